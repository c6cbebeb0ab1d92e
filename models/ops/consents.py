"""Consents under 152-FZ: given per purpose (service notifications, marketing), with the version
of the text the person agreed to and, optionally, one channel; withdrawn at any time.

A withdrawal, by purpose (and channel) or of one consent by id, cancels the marketing messages
still waiting in the outbox for that person through a channel no current consent covers any more
(`cancel_unconsented`): one rule for both ways. Marketing is enqueued only with a current consent
(`has_consent`).
"""

from __future__ import annotations

from dataclasses import dataclass

from models.actor import Actor
from models.audit import audit_event
from models.clock import now
from models.entities import Channel, ChannelIdentity, Consent, ConsentPurpose, Contact
from models.errors import FieldErrors, NotFound
from models.ops import fields as f
from models.rules.outbox import channel_order
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
    marketing, cancel the marketing still waiting through a channel no current consent covers
    (a consent for every channel still covers Telegram after the Telegram one is withdrawn).
    Returns how many were cancelled."""
    from models.ops.outbox import cancel_unconsented

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
    return await cancel_unconsented(contact.id)


async def has_consent(contact_id: int, purpose: ConsentPurpose, channel: Channel) -> bool:
    """A consent for `purpose` given, not withdrawn, for this channel or for every channel."""
    consents = Consent.filter(
        contact_id=contact_id, purpose=purpose, withdrawn_at=None, given_at__lte=now()
    )
    return (
        await consents.filter(channel__isnull=True).exists()
        or await consents.filter(channel=channel).exists()
    )


async def list_consents(actor: Actor, contact_id: int) -> list[Consent]:
    """Every consent of a contact, current and withdrawn, newest first: the history 152-FZ asks
    the operator to keep."""
    contact = await get_visible(Contact, actor, contact_id)
    return await Consent.filter(contact_id=contact.id).order_by("-given_at", "-id")


async def current_consents(contact_id: int) -> list[Consent]:
    """The consents in force (given, not withdrawn), by purpose and channel."""
    return await Consent.filter(
        contact_id=contact_id, withdrawn_at=None, given_at__lte=now()
    ).order_by("purpose", "channel", "id")


async def withdraw_consent_by_id(actor: Actor, contact_id: int, consent_id: int) -> Consent:
    """Withdraw one consent of the contact (already withdrawn: returned as it is). Marketing
    still waiting through a channel no other current consent covers is cancelled."""
    from models.ops.outbox import cancel_unconsented

    contact = await get_visible(Contact, actor, contact_id)
    consent = await Consent.get_or_none(id=consent_id, contact_id=contact.id)
    if consent is None:
        raise NotFound("consent", consent_id)
    if consent.withdrawn_at is not None:
        return consent
    consent.withdrawn_at = now()
    await Consent.filter(id=consent.id).update(withdrawn_at=consent.withdrawn_at)
    channel = consent.channel.value if consent.channel is not None else "*"
    detail = f"{consent.purpose.value}:{channel}#{consent.id}"
    await audit_event(actor, ENTITY, contact.id, "consent_withdrawn", detail)
    if consent.purpose is ConsentPurpose.MARKETING:
        await cancel_unconsented(contact.id)
    return consent


@dataclass(frozen=True, slots=True)
class ContactChannels:
    """How a contact is reached: the preferred order as set (`preferred`), the order the outbox
    follows (`order`: the default when none is set), the identities (Telegram chats of
    subscriptions, devices…), the address per channel the outbox would use and the language
    messages are written in (the contact's, else the installation's)."""

    preferred: list[str]
    order: list[Channel]
    identities: list[ChannelIdentity]
    addresses: dict[Channel, str]
    language: str


async def contact_channels(actor: Actor, contact_id: int) -> ContactChannels:
    from models.ops.outbox import contact_addresses, default_language

    contact = await get_visible(Contact, actor, contact_id)
    identities = await ChannelIdentity.filter(contact_id=contact.id).order_by("id")
    return ContactChannels(
        preferred=[str(c) for c in contact.preferred_channels],
        order=channel_order(contact.preferred_channels),
        identities=identities,
        addresses=await contact_addresses(contact.id),
        language=contact.language or default_language(),
    )
