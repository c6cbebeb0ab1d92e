"""Consents under 152-FZ: given per purpose (service notifications, marketing), with the version
of the text the person agreed to and, optionally, one channel; withdrawn at any time.

A withdrawal cancels the marketing messages still waiting in the outbox for that person (and
channel). Marketing is enqueued only with a current consent (`has_consent`).
"""

from __future__ import annotations

from models.actor import Actor
from models.audit import audit_event
from models.clock import now
from models.entities import Channel, Consent, ConsentPurpose, Contact
from models.errors import FieldErrors
from models.ops import fields as f
from models.scope import get_visible
from models.text import Text

ENTITY = "contact"
_BAD_PURPOSE = Text(
    "Цель согласия: service (уведомления) или marketing (реклама).",
    "Consent purpose: service (notifications) or marketing.",
)
_BAD_CHANNEL = Text("Неизвестный канал связи.", "Unknown channel.")


def _parse(
    purpose: str, channel: str | None, errors: FieldErrors
) -> tuple[ConsentPurpose | None, Channel | None]:
    parsed_purpose = parsed_channel = None
    try:
        parsed_purpose = ConsentPurpose(purpose)
    except ValueError:
        errors.add("purpose", "invalid_choice", _BAD_PURPOSE)
    if channel is not None:
        try:
            parsed_channel = Channel(channel)
        except ValueError:
            errors.add("channel", "invalid_choice", _BAD_CHANNEL)
    return parsed_purpose, parsed_channel


async def give_consent(
    actor: Actor,
    contact_id: int,
    purpose: str,
    *,
    text_version: str,
    channel: str | None = None,
) -> Consent:
    contact = await get_visible(Contact, actor, contact_id)
    errors = FieldErrors()
    parsed_purpose, parsed_channel = _parse(purpose, channel, errors)
    version = f.text_field({"text_version": text_version}, "text_version", 32, errors)
    if not version and not errors.has("text_version"):
        errors.add("text_version", "required", f.REQUIRED)
    errors.raise_if_any()
    consent = await Consent.create(
        contact_id=contact.id,
        purpose=parsed_purpose,
        channel=parsed_channel,
        text_version=version,
        given_at=now(),
        recorded_by_id=actor.user_id,
    )
    detail = f"{purpose}:{channel or '*'}:{version}"
    await audit_event(actor, ENTITY, contact.id, "consent_given", detail)
    return consent


async def withdraw_consent(
    actor: Actor, contact_id: int, purpose: str, *, channel: str | None = None
) -> int:
    """Withdraw the current consents for `purpose` (for one channel, or all of them). For
    marketing, cancel the marketing messages still waiting. Returns how many were cancelled."""
    from models.ops.outbox import cancel_waiting

    contact = await get_visible(Contact, actor, contact_id)
    errors = FieldErrors()
    parsed_purpose, parsed_channel = _parse(purpose, channel, errors)
    errors.raise_if_any()
    assert parsed_purpose is not None
    query = Consent.filter(contact_id=contact.id, purpose=parsed_purpose, withdrawn_at=None)
    if parsed_channel is not None:
        query = query.filter(channel=parsed_channel)
    await query.update(withdrawn_at=now())
    await audit_event(actor, ENTITY, contact.id, "consent_withdrawn", f"{purpose}:{channel or '*'}")
    if parsed_purpose is not ConsentPurpose.MARKETING:
        # Service notifications go under the contract, not under this consent: the withdrawal
        # is recorded, and what waits stays.
        return 0
    return await cancel_waiting(contact.id, parsed_purpose, parsed_channel)


async def has_consent(contact_id: int, purpose: ConsentPurpose, channel: Channel) -> bool:
    """A consent for `purpose` given, not withdrawn, for this channel or for every channel."""
    consents = Consent.filter(
        contact_id=contact_id, purpose=purpose, withdrawn_at=None, given_at__lte=now()
    )
    return (
        await consents.filter(channel__isnull=True).exists()
        or await consents.filter(channel=channel).exists()
    )
