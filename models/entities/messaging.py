"""Messaging: templates per purpose, channel and language, and the outbox of outbound messages."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

from models.clock import now
from models.entities.base import Versioned
from models.entities.enums import Channel, ConsentPurpose, MessageState

if TYPE_CHECKING:
    from tortoise.fields.relational import ForeignKeyNullableRelation

    from models.entities.campaigns import Campaign
    from models.entities.clients import Contact
    from models.entities.org import User


class Template(Versioned):
    """A message template for one purpose, channel and language, rendered with sandboxed Jinja2.

    `body` is Telegram HTML, WhatsApp or SMS text, email HTML or a push body by channel. Email also
    has `subject` and the plain-text `text_body`. `content_sid` names a Twilio Content template
    approved for WhatsApp (outside the 24-hour session window only those may be sent), and
    `content_variables` maps that template's placeholders ("1", "2", …) to Jinja2 expressions
    over the same variables as the body, rendered into the message when it is written.
    """

    id = fields.IntField(primary_key=True)
    purpose = fields.CharField(max_length=64)
    channel = fields.CharEnumField(Channel, max_length=16)
    language = fields.CharField(max_length=2)
    consent_purpose = fields.CharEnumField(
        ConsentPurpose, max_length=16, default=ConsentPurpose.SERVICE
    )
    subject = fields.CharField(max_length=300, default="")
    body = fields.TextField()
    text_body = fields.TextField(default="")
    content_sid = fields.CharField(max_length=64, null=True)
    # A column default too: adding a NOT NULL column to a table with rows needs one in the DDL.
    content_variables: dict[str, str] = fields.JSONField(default=dict, db_default={})
    is_active = fields.BooleanField(default=True)

    class Meta:
        table = "message_template"
        unique_together = (("purpose", "channel", "language"),)


class OutboundMessage(Model):
    """One message to one address through one channel: the outbox row the relay delivers.

    Written in the transaction of the change it reports. `dedup_key` makes a repeated enqueue do
    nothing. The relay claims rows that are due (`next_attempt_at`), marks them sending (counting
    the attempt, and `next_attempt_at` becomes the moment the claim expires), delivers outside
    any transaction and records the result. A row left sending by a crash is due again when its
    claim expires. `fallback_of` links a message to the one whose
    permanent failure it replaces on the next preferred channel. `payload` holds the references
    the message was rendered from and channel extras.
    """

    id = fields.IntField(primary_key=True)
    channel = fields.CharEnumField(Channel, max_length=16)
    address = fields.CharField(max_length=255, default="")
    # The person's data: their messages go when the contact or user is erased.
    contact: ForeignKeyNullableRelation[Contact] = fields.ForeignKeyField(
        "voronka.Contact", related_name="outbound_messages", null=True, on_delete=fields.CASCADE
    )
    user: ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "voronka.User", related_name="outbound_messages", null=True, on_delete=fields.CASCADE
    )
    purpose = fields.CharField(max_length=64, default="")
    language = fields.CharField(max_length=2, default="ru")
    consent_purpose = fields.CharEnumField(
        ConsentPurpose, max_length=16, default=ConsentPurpose.SERVICE
    )
    # A deleted template leaves the messages rendered from it as they were.
    template: ForeignKeyNullableRelation[Template] = fields.ForeignKeyField(
        "voronka.Template", related_name="messages", null=True, on_delete=fields.SET_NULL
    )
    subject = fields.CharField(max_length=300, default="")
    body = fields.TextField(default="")
    text_body = fields.TextField(default="")
    payload: dict[str, Any] = fields.JSONField(default=dict)
    dedup_key = fields.CharField(max_length=255, unique=True)
    state = fields.CharEnumField(MessageState, max_length=16, default=MessageState.QUEUED)
    attempts = fields.SmallIntField(default=0)
    next_attempt_at = fields.DatetimeField(null=True)
    claimed_at = fields.DatetimeField(null=True)
    last_error = fields.TextField(default="")
    provider_message_id = fields.CharField(max_length=255, null=True)
    created_at = fields.DatetimeField(default=now)
    sent_at = fields.DatetimeField(null=True)
    delivered_at = fields.DatetimeField(null=True)
    fallback_of: ForeignKeyNullableRelation[OutboundMessage] = fields.ForeignKeyField(
        "voronka.OutboundMessage", related_name="fallbacks", null=True, on_delete=fields.SET_NULL
    )
    campaign: ForeignKeyNullableRelation[Campaign] = fields.ForeignKeyField(
        "voronka.Campaign", related_name="messages", null=True, on_delete=fields.SET_NULL
    )

    contact_id: int | None
    user_id: int | None
    template_id: int | None
    fallback_of_id: int | None
    campaign_id: int | None

    class Meta:
        table = "outbound_message"
        # The relay's claim (a channel's due rows, soonest first), the admins' lists by state,
        # a contact's messages, and the foreign keys that cascades and SET NULL go through.
        indexes = (
            ("channel", "next_attempt_at"),
            ("state", "id"),
            ("contact_id", "created_at"),
            ("user_id",),
            ("template_id",),
            ("campaign_id", "state"),
            ("fallback_of_id",),
            ("provider_message_id",),
        )


class EarlyReceipt(Model):
    """A delivery receipt that came before the relay recorded its message's provider id.

    A Twilio status callback can overtake Twilio's answer to the send. Kept by provider id and
    status, applied to the message when the relay records its provider id, then deleted. One
    row per (provider id, status): a repeated receipt adds nothing. What was never applied is
    deleted by the housekeeping once `received_at` is a day old.
    """

    id = fields.IntField(primary_key=True)
    provider_message_id = fields.CharField(max_length=255)
    status = fields.CharField(max_length=16)
    error_code = fields.CharField(max_length=8, default="")
    error_message = fields.CharField(max_length=500, default="")
    received_at = fields.DatetimeField(default=now)

    class Meta:
        table = "early_receipt"
        unique_together = (("provider_message_id", "status"),)
        indexes = (("received_at",),)
