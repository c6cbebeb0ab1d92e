"""Campaigns: one template sent to many contacts, fed into the outbox at the channels' pace."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

from models.clock import now
from models.entities.base import Versioned
from models.entities.enums import CampaignState, RecipientState

if TYPE_CHECKING:
    from tortoise.fields.relational import ForeignKeyNullableRelation, ForeignKeyRelation

    from models.entities.clients import Contact
    from models.entities.messaging import OutboundMessage
    from models.entities.org import Office, User


class Campaign(Versioned):
    """A bulk send of the templates of one `purpose` to the contacts `audience` selects.

    `audience` holds the contact filters (segment, source, owner, office, company, search text),
    read with the creator's visibility. Starting the campaign fixes its recipients
    (CampaignRecipient). A scheduler job then feeds them into the outbox a batch at a time while
    the campaign runs, so pausing or cancelling takes effect within seconds.
    """

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200)
    purpose = fields.CharField(max_length=64)
    audience: dict[str, Any] = fields.JSONField(default=dict)
    state = fields.CharEnumField(CampaignState, max_length=16, default=CampaignState.DRAFT)
    office: ForeignKeyRelation[Office] = fields.ForeignKeyField(
        "voronka.Office", related_name="campaigns", on_delete=fields.RESTRICT
    )
    created_by: ForeignKeyRelation[User] = fields.ForeignKeyField(
        "voronka.User", related_name="campaigns", on_delete=fields.RESTRICT
    )
    total = fields.IntField(default=0)
    started_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)

    office_id: int
    created_by_id: int

    class Meta:
        table = "campaign"
        indexes = (("office_id", "id"), ("created_by_id",), ("state",))


class CampaignRecipient(Model):
    """One contact of a started campaign: pending until fed into the outbox, then queued with
    its message (whose state tells what became of it), or cancelled with the campaign."""

    id = fields.IntField(primary_key=True)
    campaign: ForeignKeyRelation[Campaign] = fields.ForeignKeyField(
        "voronka.Campaign", related_name="recipients", on_delete=fields.CASCADE
    )
    contact: ForeignKeyRelation[Contact] = fields.ForeignKeyField(
        "voronka.Contact", related_name="campaign_recipients", on_delete=fields.CASCADE
    )
    state = fields.CharEnumField(RecipientState, max_length=16, default=RecipientState.PENDING)
    message: ForeignKeyNullableRelation[OutboundMessage] = fields.ForeignKeyField(
        "voronka.OutboundMessage",
        related_name="campaign_recipients",
        null=True,
        on_delete=fields.SET_NULL,
    )
    created_at = fields.DatetimeField(default=now)

    campaign_id: int
    contact_id: int
    message_id: int | None

    class Meta:
        table = "campaign_recipient"
        unique_together = (("campaign_id", "contact_id"),)
        indexes = (("campaign_id", "state", "id"), ("contact_id",), ("message_id",))
