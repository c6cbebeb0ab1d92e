"""Telegram state that must outlive one process: the updates already acted on, and the tokens
that subscribe clients to notifications (in Telegram and in the client app)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from models.clock import now

if TYPE_CHECKING:
    from tortoise.fields.relational import ForeignKeyNullableRelation, ForeignKeyRelation

    from models.entities.clients import Contact
    from models.entities.org import User
    from models.entities.sales import Order


class TelegramUpdate(Model):
    """A webhook update already acted on, so that a redelivered one is not acted on twice.

    Keyed by the bot (the number before the colon of its token) and Telegram's update_id. Rows
    older than two days are purged: Telegram gives up redelivering after 24 hours.
    """

    id = fields.BigIntField(primary_key=True)
    bot_id = fields.BigIntField()
    update_id = fields.BigIntField()
    received_at = fields.DatetimeField(default=now, db_index=True)

    class Meta:
        table = "telegram_update"
        unique_together = (("bot_id", "update_id"),)


class TelegramSubscriptionToken(Model):
    """A token that subscribes a client to notifications, in Telegram and in the client app.

    The company's Telegram bot takes it in a `t.me/<bot>?start=sub_…` deep link, the company's
    own client app (push) from the same link or a QR code of it.

    Issued for a contact, or for an order (and so its contact: the greeting names the order).
    Only its SHA-256 is kept. It is bound, per channel, to the first receiver that uses it: the
    first Telegram chat (`consumed_chat_id`, at `consumed_at`) and the first app device (the
    SHA-256 of its FCM token, `consumed_device_hash`, at `device_consumed_at`). That receiver
    using it again subscribes again, any other is refused (ADR 0018, ADR 0024).

    The name is from when only Telegram used it. Tortoise 1.1's `RenameModel` cannot rename a
    model with foreign keys (its reverse relations are registered twice), and the name is not
    worth a copy of the table.
    """

    id = fields.IntField(primary_key=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    contact: ForeignKeyRelation[Contact] = fields.ForeignKeyField(
        "voronka.Contact", related_name="telegram_subscription_tokens", on_delete=fields.CASCADE
    )
    order: ForeignKeyNullableRelation[Order] = fields.ForeignKeyField(
        "voronka.Order",
        related_name="telegram_subscription_tokens",
        null=True,
        on_delete=fields.CASCADE,
    )
    created_by: ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "voronka.User",
        related_name="telegram_subscription_tokens",
        null=True,
        on_delete=fields.SET_NULL,
    )
    created_at = fields.DatetimeField(default=now)
    expires_at = fields.DatetimeField()
    consumed_at = fields.DatetimeField(null=True)
    consumed_chat_id = fields.BigIntField(null=True)
    device_consumed_at = fields.DatetimeField(null=True)
    consumed_device_hash = fields.CharField(max_length=64, null=True)

    contact_id: int
    order_id: int | None
    created_by_id: int | None

    class Meta:
        table = "telegram_subscription_token"
        indexes = (("contact_id",), ("order_id",), ("created_by_id",))
