"""Interactions: calls, meetings, visits, emails, messages and notes about clients and deals."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from tortoise.expressions import Q

from models.actor import Actor
from models.audit import audit_created
from models.clock import now
from models.entities import Company, Contact, Deal, Direction, Interaction, InteractionKind
from models.errors import FieldErrors, NotFound
from models.ops import fields as f
from models.scope import get_visible
from models.text import Text

ENTITY = "interaction"
FIELDS = {
    "kind",
    "direction",
    "outcome",
    "occurred_at",
    "duration_seconds",
    "deal_id",
    "contact_id",
    "company_id",
    "latitude",
    "longitude",
}
FUTURE_SLACK = timedelta(minutes=5)
OUTCOME_LIMIT = 5000
_NO_SUBJECT = Text(
    "Укажите клиента или сделку, к которым относится запись.",
    "Say which client or deal this is about.",
)
_BAD_KIND = Text(
    "Неизвестный вид: звонок, встреча, визит, письмо, сообщение или заметка.",
    "Unknown kind: call, meeting, visit, email, message or note.",
)
_BAD_DIRECTION = Text("Направление: входящее или исходящее.", "Direction: inbound or outbound.")
_IN_FUTURE = Text("Это время ещё не наступило.", "That time has not come yet.")
_BAD_DURATION = Text(
    "Длительность — целое число секунд от 0 до 24 часов.",
    "Duration is whole seconds from 0 to 24 hours.",
)
_BAD_GEO = Text(
    "Координаты: широта от -90 до 90, долгота от -180 до 180, обе сразу.",
    "Coordinates: latitude -90..90 and longitude -180..180, both together.",
)


def _check_geo(values: Mapping[str, Any], errors: FieldErrors) -> tuple[float | None, float | None]:
    lat, lon = values.get("latitude"), values.get("longitude")
    if lat is None and lon is None:
        return None, None
    try:
        lat_f, lon_f = float(lat), float(lon)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        errors.add("latitude" if lat is None else "longitude", "invalid_geo", _BAD_GEO)
        return None, None
    if not (-90 <= lat_f <= 90 and -180 <= lon_f <= 180):
        errors.add("latitude", "invalid_geo", _BAD_GEO)
        return None, None
    return lat_f, lon_f


async def log_interaction(actor: Actor, values: Mapping[str, Any]) -> Interaction:
    """Record what happened with a client. The deal's current stage is kept with the record."""
    errors = FieldErrors()
    f.reject_unknown(values, FIELDS, errors)
    try:
        kind = InteractionKind(str(values.get("kind")))
    except ValueError:
        errors.add("kind", "invalid_choice", _BAD_KIND)
    direction = None
    if values.get("direction") is not None:
        try:
            direction = Direction(values["direction"])
        except ValueError:
            errors.add("direction", "invalid_choice", _BAD_DIRECTION)
    occurred_at = f.aware_datetime(values.get("occurred_at") or now(), "occurred_at", errors)
    if occurred_at is not None and occurred_at > now() + FUTURE_SLACK:
        errors.add("occurred_at", "in_future", _IN_FUTURE)
    duration = values.get("duration_seconds")
    if duration is not None and (
        not isinstance(duration, int) or isinstance(duration, bool) or not 0 <= duration <= 86400
    ):
        errors.add("duration_seconds", "invalid_duration", _BAD_DURATION)
    latitude, longitude = _check_geo(values, errors)
    outcome = f.text_field(values, "outcome", OUTCOME_LIMIT, errors) or ""
    deal = contact = company = None
    try:
        if values.get("deal_id") is not None:
            deal = await get_visible(Deal, actor, values["deal_id"])
        if values.get("contact_id") is not None:
            contact = await get_visible(Contact, actor, values["contact_id"])
        if values.get("company_id") is not None:
            company = await get_visible(Company, actor, values["company_id"])
    except NotFound as missing:
        errors.add(f"{missing.entity}_id", "not_found", f.NOT_FOUND_REF)
    if deal is None and contact is None and company is None and not errors.items:
        errors.add("contact_id", "required", _NO_SUBJECT)
    errors.raise_if_any()
    assert occurred_at is not None
    if deal is not None:
        contact_id = contact.id if contact else deal.contact_id
        company_id = company.id if company else deal.company_id
    else:
        contact_id = contact.id if contact else None
        company_id = company.id if company else (contact.company_id if contact else None)
    interaction = await Interaction.create(
        kind=kind,
        direction=direction,
        outcome=outcome,
        occurred_at=occurred_at,
        duration_seconds=duration,
        deal_id=deal.id if deal else None,
        contact_id=contact_id,
        company_id=company_id,
        stage_id=deal.stage_id if deal else None,
        author_id=actor.user_id,
        office_id=deal.office_id if deal else (contact or company).office_id,  # type: ignore[union-attr]
        latitude=latitude,
        longitude=longitude,
    )
    if deal is not None:
        # The deal's card changed either way: clients syncing by updated_at must see it.
        await Deal.filter(id=deal.id).update(updated_at=now())
        await (
            Deal.filter(id=deal.id)
            .filter(Q(last_interaction_at__isnull=True) | Q(last_interaction_at__lt=occurred_at))
            .update(last_interaction_at=occurred_at)
        )
    await audit_created(
        actor,
        ENTITY,
        interaction.id,
        {"kind": kind, "deal_id": interaction.deal_id, "contact_id": contact_id},
    )
    return interaction


def check_outcome(raw: str) -> str:
    """Check an outcome typed on its own (the bot asks for it before the record is saved) as
    `log_interaction` checks it. Returns it stripped; raises ValidationFailed."""
    errors = FieldErrors()
    outcome = f.text_field({"outcome": raw}, "outcome", OUTCOME_LIMIT, errors) or ""
    errors.raise_if_any()
    return outcome
