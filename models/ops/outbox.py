"""The outbox: outbound messages written with the change they report, delivered by the relay.

Writing (`enqueue_for_contact`) happens in the caller's transaction: a message exists exactly
when its business change committed. A repeated dedup key does nothing. The message goes through
the first channel of the contact's order (`Contact.preferred_channels`, or Telegram → WhatsApp →
SMS → email) that is configured, has a template for the purpose and an address, and, for
marketing, a current consent. A contact reachable through none of them gets a *failed* message
that says why, never a silent drop.

Delivering is the relay's (schedulers/outbox.py), in three short steps so that no network call
happens inside a transaction:

1. `claim_due` marks due rows `sending`, counts the attempt and moves `next_attempt_at` to the
   moment the claim expires, in one `UPDATE … RETURNING` (with `FOR UPDATE SKIP LOCKED` on
   PostgreSQL; SQLite's `BEGIN IMMEDIATE` serializes writers).
2. the channel adapter delivers, outside any transaction;
3. `record_delivery` writes the result, only if the row is still the same claim.

A relay that dies between 2 and 3 leaves the row `sending`; when the claim expires the row is
due again and is delivered once more: at least once, at most one duplicate per crash.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from models.actor import Actor
from models.audit import audit_event
from models.channels import DeliveryResult, Outcome, Outgoing, enabled_channels
from models.clock import now
from models.db import dialect
from models.entities import (
    Channel,
    ChannelIdentity,
    ConsentPurpose,
    Contact,
    ContactEmail,
    ContactPhone,
    Deal,
    EarlyReceipt,
    MessageState,
    Order,
    OutboundMessage,
    Template,
    User,
)
from models.errors import FieldError, NotFound, ValidationFailed
from models.ops.consents import has_consent
from models.ops.devices import forget_token
from models.ops.org import require_admin
from models.ops.templates import Rendered, build_context, render_template
from models.queries.rows import fetch
from models.rules.outbox import (
    RECEIPT_FROM,
    channel_order,
    channels_after,
    receipt_state,
    retry_delay,
)
from models.rules.templates import RenderFailed
from models.settings import get_settings
from models.text import Text

ENTITY = "outbound_message"
DEDUP_KEY_LIMIT = 200
# How long a claim lasts: far longer than any channel's own timeout, so a slow delivery is never
# taken for a lost one and sent twice.
SENDING_TIMEOUT = timedelta(minutes=10)
WAITING = (MessageState.QUEUED, MessageState.FAILED)
# How long a receipt for a provider id no message has yet is kept: Twilio's callbacks come
# seconds after the send, so a day covers any relay that recorded the send late.
EARLY_RECEIPT_TTL = timedelta(days=1)

_NOT_REPLAYABLE = Text(
    "Повторить можно только сообщение, которое не удалось отправить (failed или dead).",
    "Only a message that could not be sent (failed or dead) can be replayed.",
)
_NO_ADDRESS = Text(
    "У сообщения нет адреса: у клиента не было доступного канала.",
    "The message has no address: the client had no usable channel.",
)


@dataclass(frozen=True, slots=True)
class Refs:
    """What a templated message is about, besides the contact: for its variables."""

    order_id: int | None = None
    deal_id: int | None = None
    manager_id: int | None = None

    def as_payload(self) -> dict[str, int]:
        return {
            k: v
            for k, v in (
                ("order_id", self.order_id),
                ("deal_id", self.deal_id),
                ("manager_id", self.manager_id),
            )
            if v is not None
        }

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Refs:
        refs = payload.get("refs") or {}
        return cls(refs.get("order_id"), refs.get("deal_id"), refs.get("manager_id"))


def _check_key(dedup_key: str) -> None:
    if not dedup_key or len(dedup_key) > DEDUP_KEY_LIMIT:
        raise ValueError(f"a dedup key is 1 to {DEDUP_KEY_LIMIT} characters")


async def insert_message(columns: dict[str, Any]) -> OutboundMessage:
    """Insert, or return the row already written under the same dedup key."""
    existing = await OutboundMessage.get_or_none(dedup_key=columns["dedup_key"])
    if existing is not None:
        return existing
    try:
        # A savepoint: a concurrent twin fails here without aborting the caller's transaction.
        async with in_transaction():
            return await OutboundMessage.create(**columns)
    except IntegrityError:
        return await OutboundMessage.get(dedup_key=columns["dedup_key"])


async def contact_addresses(contact_id: int) -> dict[Channel, str]:
    """Where a contact can be reached, per channel: identities first, then phones and emails."""
    addresses: dict[Channel, str] = {}
    identities = await ChannelIdentity.filter(contact_id=contact_id).order_by("id")
    for identity in identities:
        addresses.setdefault(Channel(identity.channel), identity.address)
    phone = await ContactPhone.filter(contact_id=contact_id).order_by("position", "id").first()
    if phone is not None:
        addresses.setdefault(Channel.WHATSAPP, phone.number)
        addresses.setdefault(Channel.SMS, phone.number)
    email = await ContactEmail.filter(contact_id=contact_id).order_by("position", "id").first()
    if email is not None:
        addresses.setdefault(Channel.EMAIL, email.email)
    return addresses


def default_language() -> str:
    return get_settings().language


def _pick_templates(templates: Sequence[Template], language: str) -> dict[Channel, Template]:
    """Per channel: the template in `language`, else in the installation's language, else any."""
    preference = [language, default_language()]
    picked: dict[Channel, Template] = {}
    ranked = sorted(
        templates,
        key=lambda t: preference.index(t.language) if t.language in preference else len(preference),
    )
    for template in ranked:
        picked.setdefault(Channel(template.channel), template)
    return picked


class _Contexts:
    """Template variables per language, built once per enqueue."""

    def __init__(self, contact: Contact, refs: Refs) -> None:
        self.contact, self.refs = contact, refs
        self._built: dict[str, dict[str, dict[str, str]]] = {}

    async def get(self, language: str) -> dict[str, dict[str, str]]:
        if language not in self._built:
            refs = self.refs
            order = await Order.get_or_none(id=refs.order_id) if refs.order_id else None
            deal = await Deal.get_or_none(id=refs.deal_id) if refs.deal_id else None
            manager = await User.get_or_none(id=refs.manager_id) if refs.manager_id else None
            self._built[language] = await build_context(
                self.contact, language, order=order, deal=deal, manager=manager
            )
        return self._built[language]


@dataclass(frozen=True, slots=True)
class Plan:
    """Where a message would go and what it would say, or why it cannot go (`state` failed or
    cancelled, with `reason`). Nothing is written: `enqueue_for_contact` writes it, a manager's
    preview shows it."""

    state: MessageState
    channel: Channel
    consent_purpose: ConsentPurpose
    language: str
    template: Template | None = None
    address: str = ""
    rendered: Rendered | None = None
    reason: str = ""
    # Why each channel was passed over, as (channel, code): not_configured, no_template,
    # no_address, no_marketing_consent, render_failed. For people, where `reason` is for logs.
    problems: tuple[tuple[Channel, str], ...] = ()

    @property
    def usable(self) -> bool:
        return self.state is MessageState.QUEUED


async def plan_message(
    contact: Contact,
    templates: Sequence[Template],
    *,
    refs: Refs,
    language: str,
    channels: Sequence[Channel] | None = None,
    tried: Sequence[Channel] = (),
) -> Plan:
    """The first of `channels` (by default the contact's order) after those `tried` that is
    configured, has one of `templates`, an address and, for marketing, a current consent; the
    template in `language` where there is one. `templates` is not empty."""
    by_channel = _pick_templates(templates, language)
    marketing = any(t.consent_purpose == ConsentPurpose.MARKETING for t in templates)
    consent_purpose = ConsentPurpose.MARKETING if marketing else ConsentPurpose.SERVICE
    ranked = list(channels) if channels else channel_order(contact.preferred_channels)
    candidates = channels_after(ranked, tried)
    enabled = enabled_channels()
    addresses = await contact_addresses(contact.id)
    contexts = _Contexts(contact, refs)
    reasons: list[str] = []
    problems: list[tuple[Channel, str]] = []
    consented = False
    for channel in candidates:
        template = by_channel.get(channel)
        if channel not in enabled:
            reasons.append(f"{channel}: not configured")
            problems.append((channel, "not_configured"))
        elif template is None:
            reasons.append(f"{channel}: no template")
            problems.append((channel, "no_template"))
        elif channel not in addresses:
            reasons.append(f"{channel}: no address")
            problems.append((channel, "no_address"))
        elif marketing and not await has_consent(contact.id, ConsentPurpose.MARKETING, channel):
            reasons.append(f"{channel}: no marketing consent")
            problems.append((channel, "no_marketing_consent"))
        else:
            consented = True
            try:
                context = await contexts.get(template.language)
                rendered = render_template(template, context)
            except RenderFailed as error:
                reasons.append(f"{channel}: template {template.id} failed to render: {error}")
                problems.append((channel, "render_failed"))
                continue
            return Plan(
                MessageState.QUEUED,
                channel,
                consent_purpose,
                template.language,
                template,
                addresses[channel],
                rendered,
            )
    if marketing and not consented and any("consent" in r for r in reasons):
        state, why = MessageState.CANCELLED, "no marketing consent: " + "; ".join(reasons)
    else:
        state, why = MessageState.FAILED, "no usable channel: " + "; ".join(reasons)
    return Plan(state, ranked[0], consent_purpose, language, reason=why, problems=tuple(problems))


_clients_quiet: ContextVar[bool] = ContextVar("voronka_clients_quiet", default=False)


@contextmanager
def clients_quiet() -> Iterator[None]:
    """Within it no message to a client is written, whoever asks (a status notification, an
    automation rule's template): for changes the client must not hear of, such as the steps an
    order import walks through or past orders loaded as history. Staff notices still go."""
    token = _clients_quiet.set(True)
    try:
        yield
    finally:
        _clients_quiet.reset(token)


def clients_are_quiet() -> bool:
    return _clients_quiet.get()


async def enqueue_for_contact(
    contact: Contact,
    purpose: str,
    *,
    dedup_key: str,
    refs: Refs | None = None,
    language: str | None = None,
    fallback_of: OutboundMessage | None = None,
    templates: Sequence[Template] | None = None,
    channels: Sequence[Channel] | None = None,
    campaign_id: int | None = None,
) -> OutboundMessage | None:
    """Write the message of `purpose` for `contact` in the caller's transaction.

    Returns the message (queued; failed with the reason when no channel is usable; cancelled
    when marketing lacks consent), the one written earlier under `dedup_key`, or None when no
    active template has this purpose (that notification is switched off) or within
    `clients_quiet`. A fallback that finds
    no further channel writes nothing either (the failed message it replaces says why).
    `templates` and `channels` narrow the choice (a manager picked one template, or a channel).
    """
    _check_key(dedup_key)
    if _clients_quiet.get():
        return None
    existing = await OutboundMessage.get_or_none(dedup_key=dedup_key)
    if existing is not None:
        return existing
    refs = refs or Refs()
    if templates is None:
        templates = await Template.filter(purpose=purpose, is_active=True)
    if not templates:
        return None
    language = language or contact.language or default_language()
    tried = await _tried_channels(fallback_of) if fallback_of is not None else []
    plan = await plan_message(
        contact, templates, refs=refs, language=language, channels=channels, tried=tried
    )
    base: dict[str, Any] = {
        "contact_id": contact.id,
        "purpose": purpose,
        "language": plan.language,
        "consent_purpose": plan.consent_purpose,
        "dedup_key": dedup_key,
        "payload": {"refs": refs.as_payload()},
        "fallback_of_id": fallback_of.id if fallback_of else None,
        # A fallback stays part of the campaign its failed message belonged to.
        "campaign_id": fallback_of.campaign_id if fallback_of else campaign_id,
        "channel": plan.channel,
    }
    if plan.usable:
        template, rendered = plan.template, plan.rendered
        assert template is not None
        assert rendered is not None
        payload = dict(base["payload"])
        payload["name"] = " ".join(p for p in (contact.first_name, contact.last_name) if p)
        if template.content_sid:
            payload["content_sid"] = template.content_sid
            if rendered.content_variables:
                payload["content_variables"] = rendered.content_variables
        if plan.channel is Channel.PUSH:
            payload["data"] = await _push_data(purpose, refs)
        return await insert_message(
            {
                **base,
                "payload": payload,
                "address": plan.address,
                "template_id": template.id,
                "subject": rendered.subject,
                "body": rendered.body,
                "text_body": rendered.text_body,
                "state": MessageState.QUEUED,
                "next_attempt_at": now(),
            }
        )
    if fallback_of is not None:
        return None
    return await insert_message(
        {**base, "state": plan.state, "next_attempt_at": None, "last_error": plan.reason}
    )


async def _push_data(purpose: str, refs: Refs) -> dict[str, str]:
    """What a client app reads from a push besides its text: what the message is about, so that
    a tap can open the order."""
    data = {"purpose": purpose}
    order = await Order.get_or_none(id=refs.order_id) if refs.order_id else None
    if order is not None:
        data["order_number"] = order.number
    return data


async def _tried_channels(message: OutboundMessage) -> list[Channel]:
    """The channels of a message and of those it falls back from."""
    tried = [Channel(message.channel)]
    current: OutboundMessage | None = message
    while current is not None and current.fallback_of_id is not None:
        current = await OutboundMessage.get_or_none(id=current.fallback_of_id)
        if current is not None:
            tried.append(Channel(current.channel))
    return tried


async def cancel_unconsented(contact_id: int) -> int:
    """Cancel the contact's waiting marketing messages (queued, or failed with a retry planned)
    whose channel no current consent covers any more: what every withdrawal does, by purpose,
    channel or id."""
    waiting = await OutboundMessage.filter(
        contact_id=contact_id,
        consent_purpose=ConsentPurpose.MARKETING,
        state__in=WAITING,
        next_attempt_at__isnull=False,
    )
    cancelled = 0
    for row in waiting:
        if await has_consent(contact_id, ConsentPurpose.MARKETING, Channel(row.channel)):
            continue
        cancelled += await OutboundMessage.filter(id=row.id, state=row.state).update(
            state=MessageState.CANCELLED, next_attempt_at=None, last_error="consent withdrawn"
        )
    return cancelled


async def reroute_waiting(contact_id: int, channel: Channel, address: str, reason: str) -> int:
    """The messages still waiting to go to an address the person has just taken back (they
    unsubscribed there): failed for good with `reason`, and the same purpose goes through the
    contact's next usable channel instead, as after a permanent delivery failure. A message
    being sent right now is left to finish. Returns how many were rerouted."""
    waiting = await OutboundMessage.filter(
        contact_id=contact_id,
        channel=channel,
        address=address,
        state__in=WAITING,
        next_attempt_at__isnull=False,
    )
    rerouted = 0
    for row in waiting:
        stopped = await OutboundMessage.filter(
            id=row.id, state=row.state, attempts=row.attempts
        ).update(state=MessageState.FAILED, next_attempt_at=None, last_error=f"permanent: {reason}")
        if stopped == 1:
            rerouted += 1
            await _fall_back(row.id)
    return rerouted


# The relay's steps


def _outgoing(row: OutboundMessage) -> Outgoing:
    return Outgoing(
        id=row.id,
        channel=Channel(row.channel),
        address=row.address,
        subject=row.subject,
        body=row.body,
        text_body=row.text_body,
        language=row.language,
        recipient_name=str(row.payload.get("name", "")) if row.payload else "",
        payload=row.payload or {},
        attempt=row.attempts,
    )


# `next_attempt_at` is set exactly while a message is claimable (queued, failed with a retry
# planned, or sending with a claim that expires), so the (channel, next_attempt_at) index gives a
# channel's due messages in order without sorting its whole backlog. One statement on both
# databases: PostgreSQL skips rows another relay holds, SQLite serializes writers anyway.
_CLAIM = """
UPDATE outbound_message SET state = 'sending', attempts = attempts + 1, claimed_at = ?,
    next_attempt_at = ?
WHERE id IN (
    SELECT id FROM outbound_message
    WHERE {channel} next_attempt_at <= ? AND state IN ('queued', 'failed', 'sending')
    ORDER BY next_attempt_at, id
    LIMIT ?
    {lock}
)
RETURNING id
"""


async def claim_due(
    limit: int, channel: Channel | None = None, *, claim_for: timedelta = SENDING_TIMEOUT
) -> list[Outgoing]:
    """Claim up to `limit` due messages (of `channel`, or of any) for delivery, soonest first.
    Run it in its own short transaction."""
    at = now()
    lock = "FOR UPDATE SKIP LOCKED" if dialect() == "postgres" else ""
    if channel is None:
        sql, params = _CLAIM.format(channel="", lock=lock), [at, at + claim_for, at, limit]
    else:
        sql = _CLAIM.format(channel="channel = ? AND", lock=lock)
        params = [at, at + claim_for, channel.value, at, limit]
    ids = sorted(row["id"] for row in await fetch(sql, params))
    if not ids:
        return []
    rows_by_id = {row.id: row for row in await OutboundMessage.filter(id__in=ids)}
    return [_outgoing(rows_by_id[i]) for i in ids if i in rows_by_id]


async def record_delivery(
    message: Outgoing,
    result: DeliveryResult,
    *,
    max_attempts: int,
    rng: random.Random | None = None,
) -> MessageState | None:
    """Write what a delivery came to, in its own short transaction. Returns the new state, or
    None when the claim is no longer this one (it expired and another relay took the row)."""
    at = now()
    claim = OutboundMessage.filter(
        id=message.id, state=MessageState.SENDING, attempts=message.attempt
    )
    if result.outcome is Outcome.SENT:
        state = MessageState.SENT
        values: dict[str, Any] = {
            "sent_at": at,
            "provider_message_id": result.provider_id,
            "last_error": "",
            "next_attempt_at": None,
        }
    elif result.outcome is Outcome.RETRY and not result.attempted:
        # Not tried (the channel's send rate was full): back in the queue, the attempt uncounted.
        state = MessageState.QUEUED
        values = {
            "attempts": max(message.attempt - 1, 0),
            "last_error": _error(result, "deferred"),
            "next_attempt_at": at + timedelta(seconds=max(result.retry_after or 0.0, 0.0)),
        }
    elif result.outcome is Outcome.RETRY and message.attempt >= max_attempts:
        state = MessageState.DEAD
        values = {"last_error": _error(result, "attempts exhausted"), "next_attempt_at": None}
    elif result.outcome is Outcome.RETRY:
        state = MessageState.FAILED
        delay = retry_delay(message.attempt, result.retry_after, rng)
        values = {"last_error": _error(result, "will retry"), "next_attempt_at": at + delay}
    else:
        state = MessageState.FAILED
        values = {"last_error": _error(result, "permanent"), "next_attempt_at": None}
    if await claim.update(state=state, **values) != 1:
        return None
    if state is MessageState.SENT and result.provider_id:
        await apply_early_receipts(result.provider_id)
    if result.outcome is Outcome.PERMANENT:
        if result.forget_address:
            await forget_address(message.channel, message.address)
        await _fall_back(message.id)
    return state


async def forget_address(channel: Channel, address: str) -> None:
    """An address the channel says is gone for good: no message goes there again. Push tokens
    are staff devices' (`Device`) or a client app's; any channel's may be a contact's identity.
    The contacts' other messages still waiting for it go through their next channel at once,
    instead of each failing there first."""
    if not address:
        return
    identities = ChannelIdentity.filter(channel=channel, address=address)
    contact_ids = cast(
        list[int],
        await identities.filter(contact_id__isnull=False).values_list("contact_id", flat=True),
    )
    await identities.delete()
    if channel is Channel.PUSH:
        await forget_token(address)
    for contact_id in sorted(set(contact_ids)):
        await reroute_waiting(contact_id, channel, address, "address gone")


async def record_provider_status(
    provider_message_id: str, status: str, *, error_code: str = "", error_message: str = ""
) -> MessageState | None:
    """A provider's delivery receipt (a Twilio status callback) for the message it knows by
    `provider_message_id`, in the caller's transaction. `delivered` and `read` move a sent
    message on; `failed` and `undelivered` fail it for good, like a permanent failure at
    sending, and the same purpose goes to the contact's next channel. A receipt never moves a
    message backwards: a repeated or late one changes nothing. A receipt for a provider id no
    message has yet is kept (`EarlyReceipt`) and applied when the relay records that id
    (`apply_early_receipts`). Returns the new state, or None when nothing changed (an unknown
    message, a status that moves nothing, a stale receipt)."""
    target = receipt_state(status)
    if target is None or not provider_message_id:
        return None
    row = await OutboundMessage.get_or_none(provider_message_id=provider_message_id)
    if row is None:
        await _keep_early_receipt(provider_message_id, status, error_code, error_message)
        return None
    if MessageState(row.state) not in RECEIPT_FROM[target]:
        return None
    values: dict[str, Any] = {"state": target}
    if target is MessageState.FAILED:
        detail = " ".join(
            p for p in (f"error {error_code}" if error_code else "", error_message) if p
        )
        values["last_error"] = f"permanent: {status.strip().lower()} ({detail or 'no detail'})"
        values["next_attempt_at"] = None
    elif row.delivered_at is None:
        values["delivered_at"] = now()
    # Conditional on the state read: of two receipts racing, one moves the message.
    moved = await OutboundMessage.filter(id=row.id, state=row.state).update(**values)
    if moved != 1:
        return None
    if target is MessageState.FAILED:
        await _fall_back(row.id)
    return target


async def _keep_early_receipt(
    provider_message_id: str, status: str, error_code: str, error_message: str
) -> None:
    status = status.strip().lower()
    kept = EarlyReceipt.filter(provider_message_id=provider_message_id, status=status)
    if await kept.exists():
        return
    try:
        # A savepoint: the same receipt arriving twice at once must not abort the caller.
        async with in_transaction():
            await EarlyReceipt.create(
                provider_message_id=provider_message_id,
                status=status,
                error_code=error_code[:8],
                error_message=error_message[:500],
            )
    except IntegrityError:
        pass


async def apply_early_receipts(provider_message_id: str) -> MessageState | None:
    """Apply, in the order they came, the receipts kept for a provider id that a message now
    has, and forget them; each moves the message only forwards, as if it came now. Returns the
    last state a receipt moved the message to, or None. Nothing happens (and the receipts stay)
    while no message has that id."""
    if not await OutboundMessage.filter(provider_message_id=provider_message_id).exists():
        return None
    moved = None
    for receipt in await EarlyReceipt.filter(provider_message_id=provider_message_id).order_by(
        "received_at", "id"
    ):
        if await EarlyReceipt.filter(id=receipt.id).delete() != 1:
            continue  # applied by a concurrent caller
        state = await record_provider_status(
            provider_message_id,
            receipt.status,
            error_code=receipt.error_code,
            error_message=receipt.error_message,
        )
        moved = state or moved
    return moved


async def settle_early_receipts() -> tuple[int, int]:
    """Housekeeping: apply the kept receipts whose message has its provider id by now (a
    receipt that came while the relay was recording it), and delete those older than
    `EARLY_RECEIPT_TTL` (their message never got that id). Returns (applied, deleted)."""
    kept = [
        str(k)
        for k in await EarlyReceipt.all().distinct().values_list("provider_message_id", flat=True)
    ]
    known: set[str] = set()
    for chunk in range(0, len(kept), 500):
        rows = await OutboundMessage.filter(
            provider_message_id__in=kept[chunk : chunk + 500]
        ).values_list("provider_message_id", flat=True)
        known.update(str(r) for r in rows)
    applied = 0
    for provider_message_id in sorted(known):
        applied += await EarlyReceipt.filter(provider_message_id=provider_message_id).count()
        await apply_early_receipts(provider_message_id)
    deleted = await EarlyReceipt.filter(received_at__lt=now() - EARLY_RECEIPT_TTL).delete()
    return applied, deleted


def _error(result: DeliveryResult, kind: str) -> str:
    return f"{kind}: {result.error or 'no detail'}"[:2000]


async def _fall_back(message_id: int) -> OutboundMessage | None:
    """After a permanent failure: the same purpose through the contact's next usable channel."""
    row = await OutboundMessage.get(id=message_id)
    if row.contact_id is None or not row.purpose:
        return None
    contact = await Contact.get_or_none(id=row.contact_id)
    if contact is None:
        return None
    follow = await enqueue_for_contact(
        contact,
        row.purpose,
        dedup_key=f"{row.dedup_key[: DEDUP_KEY_LIMIT - 10]}>{row.id}",
        refs=Refs.from_payload(row.payload or {}),
        language=row.language,
        fallback_of=row,
    )
    note = f"; fell back to message {follow.id}" if follow else "; no other channel to fall back to"
    await OutboundMessage.filter(id=row.id).update(last_error=(row.last_error + note)[:2000])
    return follow


# Admins: the dead letter


async def get_message(actor: Actor, message_id: int) -> OutboundMessage:
    require_admin(actor)
    row = await OutboundMessage.get_or_none(id=message_id)
    if row is None:
        raise NotFound("message", message_id)
    return row


async def replay_message(actor: Actor, message_id: int) -> OutboundMessage:
    """Queue a dead or failed message again, with its attempts counted from zero."""
    row = await get_message(actor, message_id)
    state = MessageState(row.state)
    waiting_retry = state is MessageState.FAILED and row.next_attempt_at is not None
    if state not in (MessageState.DEAD, MessageState.FAILED) or waiting_retry:
        raise ValidationFailed([FieldError("state", "not_replayable", _NOT_REPLAYABLE)])
    if not row.address:
        raise ValidationFailed([FieldError("address", "no_address", _NO_ADDRESS)])
    at = now()
    values = {
        "state": MessageState.QUEUED,
        "attempts": 0,
        "next_attempt_at": at,
        "claimed_at": None,
    }
    if await OutboundMessage.filter(id=row.id, state=state).update(**values) != 1:
        raise ValidationFailed([FieldError("state", "not_replayable", _NOT_REPLAYABLE)])
    await audit_event(actor, ENTITY, row.id, "replay", f"{state.value} after {row.attempts}")
    await row.refresh_from_db()
    return row
