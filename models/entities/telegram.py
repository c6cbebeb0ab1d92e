"""Telegram edge state that must outlive one process: the updates already acted on."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from models.clock import now


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
