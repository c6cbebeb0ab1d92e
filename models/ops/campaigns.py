"""Campaigns: one template purpose sent to a selection of contacts, at the channels' pace.

A head or an admin drafts a campaign (name, purpose, audience filters) and sees how many
contacts it reaches (`count_audience`). Starting it fixes the recipients: the contacts the
starter sees that match the audience then, in one INSERT … SELECT. From there the scheduler's
feeder (`feed_campaign`) moves pending recipients into the outbox a small batch at a time, never
more than `BACKLOG` of a campaign's messages waiting there, so the relay's rate limits pace the
campaign and a pause or a cancel takes effect within seconds: at most the backlog already in the
outbox still goes out after a pause. A cancel also cancels that backlog. Each recipient's
message goes through `enqueue_for_contact`, so channel order, fallback, dedup and marketing
consent work as for any message, and a recipient without consent or a usable channel shows a
cancelled or failed message with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from models.actor import Actor
from models.audit import audit_created, audit_event
from models.clock import now
from models.entities import (
    Campaign,
    CampaignRecipient,
    CampaignState,
    ConsentPurpose,
    Contact,
    MessageState,
    OutboundMessage,
    RecipientState,
    Template,
)
from models.errors import FieldErrors, Forbidden, NotFound
from models.ops import fields as f
from models.ops.outbox import WAITING, enqueue_for_contact
from models.ops.versioning import update_versioned
from models.queries.campaigns import require_campaigner, visible_campaigns
from models.queries.contacts import ContactFilters, contact_conditions
from models.queries.rows import fetch
from models.text import Text

ENTITY = "campaign"
# Messages of one campaign waiting in the outbox at most: a few seconds of the fastest
# channel's limit, so the relay never runs dry and a pause stops the campaign quickly.
BACKLOG = 200
FIELDS = {"name", "purpose", "audience"}
AUDIENCE_IDS = ("segment_id", "source_id", "owner_id", "office_id", "company_id")
AUDIENCE_FIELDS = {*AUDIENCE_IDS, "q"}
IN_OUTBOX = (MessageState.QUEUED, MessageState.SENDING)

_NO_TEMPLATE = Text(
    "Нет активного шаблона с таким назначением.", "No active template has this purpose."
)
_BAD_ID = Text("Ожидается положительное целое число.", "Expected a positive integer.")
_NOT_OBJECT = Text("Ожидается объект с фильтрами.", "Expected an object of filters.")
_WRONG_STATE = Text(
    "Кампания в состоянии «{state}»: это действие недоступно.",
    "The campaign is {state}: this action is not available.",
)


@dataclass(frozen=True, slots=True)
class AudienceCount:
    """How many contacts an audience selects and, for a marketing purpose, how many of them
    have a current marketing consent (the others will get nothing)."""

    total: int
    marketing: bool
    consented: int | None


@dataclass(frozen=True, slots=True)
class Progress:
    recipients: dict[RecipientState, int]
    messages: dict[MessageState, int]


async def get_campaign(actor: Actor, campaign_id: int) -> Campaign:
    found = await visible_campaigns(actor).get_or_none(id=campaign_id)
    if found is None:
        raise NotFound(ENTITY, campaign_id)
    return found


async def _audience(raw: Any, errors: FieldErrors) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        errors.add("audience", "invalid_type", _NOT_OBJECT)
        return {}
    audience: dict[str, Any] = {}
    for name in raw:
        if name not in AUDIENCE_FIELDS:
            errors.add(f"audience.{name}", "unknown_field", f.UNKNOWN_FIELD)
    for name in AUDIENCE_IDS:
        value = raw.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            errors.add(f"audience.{name}", "invalid_id", _BAD_ID)
            continue
        audience[name] = value
    for name, check in (("segment_id", f.segment_ref), ("source_id", f.source_ref)):
        if name in audience:
            nested = FieldErrors()
            if await check(audience[name], nested) is None:
                errors.add(f"audience.{name}", "not_found", f.NOT_FOUND_REF)
    q = f.text_field(raw, "q", 200, errors) if raw.get("q") is not None else None
    if q:
        audience["q"] = q
    return audience


async def _purpose(values: Mapping[str, Any], errors: FieldErrors) -> str:
    purpose = f.text_field(values, "purpose", 64, errors) or ""
    if not purpose and not errors.has("purpose"):
        errors.add("purpose", "required", f.REQUIRED)
    elif purpose and not await Template.exists(purpose=purpose, is_active=True):
        errors.add("purpose", "no_template", _NO_TEMPLATE)
    return purpose


async def _clean(values: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
    errors = FieldErrors()
    f.reject_unknown(values, FIELDS, errors)
    columns: dict[str, Any] = {}
    if "name" in values or not partial:
        name = f.text_field(values, "name", 200, errors) or ""
        if not name and not errors.has("name"):
            errors.add("name", "required", f.REQUIRED)
        columns["name"] = name
    if "purpose" in values or not partial:
        columns["purpose"] = await _purpose(values, errors)
    if "audience" in values or not partial:
        columns["audience"] = await _audience(values.get("audience") or {}, errors)
    errors.raise_if_any()
    return columns


def _filters(audience: Mapping[str, Any]) -> ContactFilters:
    return ContactFilters(
        owner_id=audience.get("owner_id"),
        office_id=audience.get("office_id"),
        company_id=audience.get("company_id"),
        q=audience.get("q"),
        segment_id=audience.get("segment_id"),
        source_id=audience.get("source_id"),
    )


def _refuse_in(campaign: Campaign, *allowed: CampaignState) -> None:
    if campaign.state not in allowed:
        errors = FieldErrors()
        errors.add("state", "invalid_state", _WRONG_STATE.format(state=campaign.state))
        errors.raise_if_any()


async def create_campaign(actor: Actor, values: Mapping[str, Any]) -> Campaign:
    require_campaigner(actor)
    columns = await _clean(values, partial=False)
    if actor.user_id is None or actor.office_id is None:
        raise Forbidden()
    campaign = await Campaign.create(
        **columns, office_id=actor.office_id, created_by_id=actor.user_id
    )
    await audit_created(actor, ENTITY, campaign.id, columns)
    return campaign


async def update_campaign(
    actor: Actor, campaign_id: int, values: Mapping[str, Any], expected_version: int | None
) -> Campaign:
    """Change a draft's name, purpose or audience."""
    require_campaigner(actor)
    campaign = await get_campaign(actor, campaign_id)
    columns = await _clean(values, partial=True)
    _refuse_in(campaign, CampaignState.DRAFT)
    before = {name: getattr(campaign, name) for name in columns}
    await update_versioned(campaign, expected_version, **columns)
    await audit_event(actor, ENTITY, campaign.id, "update", {"before": before, "after": columns})
    return campaign


async def _is_marketing(purpose: str) -> bool:
    return await Template.exists(
        purpose=purpose, is_active=True, consent_purpose=ConsentPurpose.MARKETING
    )


async def count_audience(actor: Actor, values: Mapping[str, Any]) -> AudienceCount:
    """How many contacts `values["audience"]` selects for `actor` now (a preview before a draft
    exists, or of a draft's own audience)."""
    require_campaigner(actor)
    errors = FieldErrors()
    f.reject_unknown(values, {"purpose", "audience"}, errors)
    purpose = await _purpose(values, errors)
    audience = await _audience(values.get("audience") or {}, errors)
    errors.raise_if_any()
    where = contact_conditions(actor, _filters(audience))
    total = await _count(f"SELECT count(*) AS n FROM contact WHERE {where.sql}", where.params)
    if not await _is_marketing(purpose):
        return AudienceCount(total, marketing=False, consented=None)
    consented = await _count(
        f"SELECT count(*) AS n FROM contact WHERE {where.sql} AND EXISTS (SELECT 1 FROM consent "
        "WHERE consent.contact_id = contact.id AND consent.purpose = ? "
        "AND consent.withdrawn_at IS NULL)",
        [*where.params, ConsentPurpose.MARKETING.value],
    )
    return AudienceCount(total, marketing=True, consented=consented)


async def _count(sql: str, params: list[Any]) -> int:
    return int((await fetch(sql, params))[0]["n"])


async def start_campaign(actor: Actor, campaign_id: int, expected_version: int | None) -> Campaign:
    """Fix the recipients (the contacts the starter sees that match the audience now) and let
    the feeder send to them."""
    require_campaigner(actor)
    campaign = await get_campaign(actor, campaign_id)
    _refuse_in(campaign, CampaignState.DRAFT)
    if not await Template.exists(purpose=campaign.purpose, is_active=True):
        errors = FieldErrors()
        errors.add("purpose", "no_template", _NO_TEMPLATE)
        errors.raise_if_any()
    stamp = now()
    where = contact_conditions(actor, _filters(campaign.audience))
    await fetch(
        "INSERT INTO campaign_recipient (campaign_id, contact_id, state, created_at) "
        f"SELECT ?, contact.id, ?, ? FROM contact WHERE {where.sql} ORDER BY contact.id",
        [campaign.id, RecipientState.PENDING.value, stamp, *where.params],
    )
    total = await CampaignRecipient.filter(campaign_id=campaign.id).count()
    await update_versioned(
        campaign, expected_version, state=CampaignState.RUNNING, total=total, started_at=stamp
    )
    await audit_event(actor, ENTITY, campaign.id, "start", {"recipients": total})
    return campaign


async def pause_campaign(actor: Actor, campaign_id: int, expected_version: int | None) -> Campaign:
    return await _switch(actor, campaign_id, expected_version, "pause", CampaignState.PAUSED)


async def resume_campaign(actor: Actor, campaign_id: int, expected_version: int | None) -> Campaign:
    return await _switch(actor, campaign_id, expected_version, "resume", CampaignState.RUNNING)


async def _switch(
    actor: Actor,
    campaign_id: int,
    expected_version: int | None,
    action: str,
    state: CampaignState,
) -> Campaign:
    require_campaigner(actor)
    campaign = await get_campaign(actor, campaign_id)
    source = CampaignState.RUNNING if state is CampaignState.PAUSED else CampaignState.PAUSED
    _refuse_in(campaign, source)
    await update_versioned(campaign, expected_version, state=state)
    await audit_event(actor, ENTITY, campaign.id, action)
    return campaign


async def cancel_campaign(actor: Actor, campaign_id: int, expected_version: int | None) -> Campaign:
    """Stop for good: recipients not yet fed are cancelled, and so are the campaign's messages
    still waiting in the outbox."""
    require_campaigner(actor)
    campaign = await get_campaign(actor, campaign_id)
    _refuse_in(campaign, CampaignState.DRAFT, CampaignState.RUNNING, CampaignState.PAUSED)
    await update_versioned(
        campaign, expected_version, state=CampaignState.CANCELLED, finished_at=now()
    )
    skipped = await CampaignRecipient.filter(
        campaign_id=campaign.id, state=RecipientState.PENDING
    ).update(state=RecipientState.CANCELLED)
    withdrawn = await OutboundMessage.filter(
        campaign_id=campaign.id, state__in=WAITING, next_attempt_at__isnull=False
    ).update(state=MessageState.CANCELLED, next_attempt_at=None, last_error="campaign cancelled")
    await audit_event(
        actor, ENTITY, campaign.id, "cancel", {"not_sent": skipped, "withdrawn": withdrawn}
    )
    return campaign


async def campaign_progress(campaign: Campaign) -> Progress:
    """Recipients by state, and the campaign's messages (fallbacks included) by state."""
    recipients = dict.fromkeys(RecipientState, 0)
    for row in await fetch(
        "SELECT state, count(*) AS n FROM campaign_recipient WHERE campaign_id = ? GROUP BY state",
        [campaign.id],
    ):
        recipients[RecipientState(row["state"])] = int(row["n"])
    messages = dict.fromkeys(MessageState, 0)
    for row in await fetch(
        "SELECT state, count(*) AS n FROM outbound_message WHERE campaign_id = ? GROUP BY state",
        [campaign.id],
    ):
        messages[MessageState(row["state"])] = int(row["n"])
    return Progress(recipients, messages)


async def running_campaign_ids() -> list[int]:
    return [
        c.id for c in await Campaign.filter(state=CampaignState.RUNNING).order_by("id").only("id")
    ]


async def _still_to_go(campaign_id: int) -> bool:
    """Recipients not yet fed, or messages waiting for a retry."""
    return await CampaignRecipient.exists(
        campaign_id=campaign_id, state=RecipientState.PENDING
    ) or await OutboundMessage.exists(
        campaign_id=campaign_id, state=MessageState.FAILED, next_attempt_at__isnull=False
    )


async def feed_campaign(campaign_id: int, limit: int, backlog: int = BACKLOG) -> int:
    """Move up to `limit` pending recipients of a running campaign into the outbox, keeping at
    most `backlog` of its messages waiting there, and finish the campaign when nothing is left
    to send. Returns how many were fed: 0 means wait for the relay (or it is not running)."""
    campaign = await Campaign.get_or_none(id=campaign_id)
    if campaign is None or campaign.state is not CampaignState.RUNNING:
        return 0
    in_flight = await OutboundMessage.filter(campaign_id=campaign.id, state__in=IN_OUTBOX).count()
    room = min(limit, backlog - in_flight)
    pending = (
        await CampaignRecipient.filter(campaign_id=campaign.id, state=RecipientState.PENDING)
        .order_by("id")
        .limit(room)
        if room > 0
        else []
    )
    if not pending:
        if in_flight == 0 and not await _still_to_go(campaign.id):
            await update_versioned(campaign, None, state=CampaignState.DONE, finished_at=now())
        return 0
    contacts = {c.id: c for c in await Contact.filter(id__in=[r.contact_id for r in pending])}
    for recipient in pending:
        message = await enqueue_for_contact(
            contacts[recipient.contact_id],
            campaign.purpose,
            dedup_key=f"campaign:{campaign.id}:{recipient.contact_id}",
            campaign_id=campaign.id,
        )
        await CampaignRecipient.filter(id=recipient.id).update(
            state=RecipientState.QUEUED if message is not None else RecipientState.CANCELLED,
            message_id=message.id if message is not None else None,
        )
    return len(pending)
