"""Messages a manager sends a client: a template by purpose (or one template), rendered with the
client's data and sent through the outbox, recorded as an outbound Interaction of kind message.

One operation for the API (`POST /v1/contacts/{id}/messages`) and the bot's "Write" button:

- `preview_message` renders what would go and says through which channel and address, writing
  nothing.
- `send_message` writes the outbox row and the interaction (with the text as sent, linked to the
  row) in the caller's transaction, under a dedup key, so a repeated request sends once.

The channel is the contact's first usable one (or the one asked for). Marketing without a
current consent is refused (`ValidationFailed` naming `purpose`), nothing written. A client with
no usable channel gets a *failed* message with the reason, visible to the manager, and no
interaction (nothing was said to the client).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from models.actor import Actor
from models.audit import audit_event
from models.entities import (
    Channel,
    ConsentPurpose,
    Contact,
    Deal,
    Interaction,
    InteractionKind,
    MessageState,
    Order,
    OutboundMessage,
    Template,
)
from models.errors import FieldError, FieldErrors, NotFound, ValidationFailed
from models.ops import fields as f
from models.ops.interactions import OUTCOME_LIMIT, log_interaction
from models.ops.outbox import (
    DEDUP_KEY_LIMIT,
    Plan,
    Refs,
    default_language,
    enqueue_for_contact,
    plan_message,
)
from models.ops.templates import Rendered
from models.rules.default_templates import order_status_purpose
from models.rules.templates import ORDER_STATUS_LABELS
from models.scope import get_visible
from models.text import Text

ENTITY = "contact"
ORDER_STATUS_PREFIX = "order_status."
PURPOSE_NAMES: dict[str, Text] = {
    "thanks_after_call": Text("Спасибо за разговор", "Thanks for the call"),
    "proposal_sent": Text("КП отправлено", "Proposal sent"),
    "appointment_reminder": Text("Напоминание о встрече", "Meeting reminder"),
    "birthday_greeting": Text("Поздравление с днём рождения", "Birthday greeting"),
    **{
        order_status_purpose(status): Text(
            f"Статус заказа: {label.ru}", f"Order status: {label.en}"
        )
        for status, label in ORDER_STATUS_LABELS.items()
    },
}

_PURPOSE_OR_TEMPLATE = Text(
    "Укажите цель сообщения (purpose) или шаблон (template_id), что-то одно.",
    "Give the message's purpose or a template_id, one of the two.",
)
_NO_SUCH_PURPOSE = Text(
    "Нет активных шаблонов с такой целью.", "No active template has this purpose."
)
_NO_SUCH_TEMPLATE = Text("Нет такого активного шаблона.", "No such active template.")
_BAD_CHANNEL = Text("Неизвестный канал связи.", "Unknown channel.")
_OTHER_CHANNEL = Text("Этот шаблон для другого канала.", "This template is for another channel.")
_NOT_THIS_CLIENT = Text(
    "Это не сделка или заказ этого клиента.", "This is not a deal or order of this client."
)
NO_MARKETING_CONSENT = Text(
    "Клиент не давал согласия на рекламные сообщения по доступным каналам: такое сообщение "
    "отправить нельзя.",
    "The client has not consented to marketing through any usable channel: this message cannot "
    "be sent.",
)
_KEY_REUSED = Text(
    "Этот ключ идемпотентности уже использован для другого клиента.",
    "This idempotency key was already used for another client.",
)


def purpose_name(purpose: str) -> Text:
    """The name managers pick a purpose by: the shipped ones are named, an admin's own purpose
    is shown as written."""
    return PURPOSE_NAMES.get(purpose) or Text(purpose, purpose)


@dataclass(frozen=True, slots=True)
class PurposeChoice:
    purpose: str
    name: Text
    marketing: bool
    template_id: int  # one active template of the purpose: a short handle for bot buttons


async def message_purposes(*, with_order_statuses: bool = True) -> list[PurposeChoice]:
    """The purposes with an active template, shipped ones first in their order, then the rest
    by name."""
    rows = (
        await Template.filter(is_active=True)
        .order_by("id")
        .values_list("id", "purpose", "consent_purpose")
    )
    found: dict[str, tuple[int, bool]] = {}
    for template_id, purpose, consent in rows:
        purpose = str(purpose)
        if not with_order_statuses and purpose.startswith(ORDER_STATUS_PREFIX):
            continue
        first, marketing = found.get(purpose, (int(template_id), False))
        found[purpose] = (
            first,
            marketing or ConsentPurpose(str(consent)) is ConsentPurpose.MARKETING,
        )
    known = list(PURPOSE_NAMES)

    def rank(purpose: str) -> tuple[int, str]:
        return (known.index(purpose), "") if purpose in known else (len(known), purpose)

    return [
        PurposeChoice(p, purpose_name(p), found[p][1], found[p][0]) for p in sorted(found, key=rank)
    ]


@dataclass(frozen=True, slots=True)
class MessageRequest:
    """What a manager asks to send: a purpose or one template, what it is about, a channel."""

    purpose: str | None = None
    template_id: int | None = None
    deal_id: int | None = None
    order_id: int | None = None
    channel: str | None = None


@dataclass(frozen=True, slots=True)
class Composed:
    contact: Contact
    purpose: str
    refs: Refs
    language: str
    templates: list[Template]
    channels: list[Channel] | None
    plan: Plan


async def _refs(
    actor: Actor, contact: Contact, request: MessageRequest, errors: FieldErrors
) -> Refs:
    """The deal and order must be visible and the client's own: a message about someone else's
    deal would tell this client its title and amount."""
    found: dict[str, Deal | Order] = {}
    models: tuple[tuple[str, type[Deal] | type[Order], int | None], ...] = (
        ("deal_id", Deal, request.deal_id),
        ("order_id", Order, request.order_id),
    )
    for name, model, value in models:
        if value is None:
            continue
        try:
            record: Deal | Order = await get_visible(model, actor, value)
        except NotFound:
            errors.add(name, "not_found", f.NOT_FOUND_REF)
            continue
        own = record.contact_id == contact.id or (
            record.contact_id is None
            and record.company_id is not None
            and record.company_id == contact.company_id
        )
        if not own:
            errors.add(name, "not_this_client", _NOT_THIS_CLIENT)
            continue
        found[name] = record
    deal_id = request.deal_id if "deal_id" in found else None
    order = found.get("order_id")
    if deal_id is None and isinstance(order, Order):
        deal_id = order.deal_id
    return Refs(
        order_id=request.order_id if "order_id" in found else None,
        deal_id=deal_id,
        manager_id=actor.user_id,
    )


async def compose_message(actor: Actor, contact_id: int, request: MessageRequest) -> Composed:
    """Check the request and plan the message (nothing written). Raises NotFound for a contact
    the actor may not see, ValidationFailed for a bad request or marketing without consent."""
    contact = await get_visible(Contact, actor, contact_id)
    errors = FieldErrors()
    templates: list[Template] = []
    purpose = ""
    if (request.purpose is None) == (request.template_id is None):
        errors.add("purpose", "purpose_or_template", _PURPOSE_OR_TEMPLATE)
    elif request.template_id is not None:
        template = await Template.get_or_none(id=request.template_id, is_active=True)
        if template is None:
            errors.add("template_id", "not_found", _NO_SUCH_TEMPLATE)
        else:
            templates, purpose = [template], template.purpose
    else:
        purpose = str(request.purpose).strip()
        templates = list(await Template.filter(purpose=purpose, is_active=True))
        if not templates:
            errors.add("purpose", "unknown_purpose", _NO_SUCH_PURPOSE)
    channels = None
    if request.channel is not None:
        try:
            channels = [Channel(request.channel)]
        except ValueError:
            errors.add("channel", "invalid_choice", _BAD_CHANNEL)
        else:
            if (
                request.template_id is not None
                and templates
                and templates[0].channel != channels[0]
            ):
                errors.add("channel", "other_channel", _OTHER_CHANNEL)
    refs = await _refs(actor, contact, request, errors)
    errors.raise_if_any()
    language = contact.language or default_language()
    plan = await plan_message(contact, templates, refs=refs, language=language, channels=channels)
    if plan.state is MessageState.CANCELLED:
        raise ValidationFailed(
            [FieldError("purpose", "no_marketing_consent", NO_MARKETING_CONSENT)]
        )
    return Composed(contact, purpose, refs, language, templates, channels, plan)


async def preview_message(actor: Actor, contact_id: int, request: MessageRequest) -> Plan:
    """What `send_message` would send, and where; or why it would fail. Writes nothing."""
    return (await compose_message(actor, contact_id, request)).plan


_TAG = re.compile(r"<[^>]+>")
_BREAK = re.compile(r"<br\s*/?>|</p>", re.IGNORECASE)


def plain_text(rendered: Rendered, channel: Channel) -> str:
    """The message as a person reads it, for the interaction log: an email's subject and plain
    part, Telegram HTML without its tags."""
    if channel is Channel.EMAIL:
        body = rendered.text_body or html.unescape(_TAG.sub("", _BREAK.sub("\n", rendered.body)))
        text = f"{rendered.subject}\n\n{body}" if rendered.subject else body
    elif channel is Channel.TELEGRAM:
        text = html.unescape(_TAG.sub("", rendered.body))
    else:
        text = rendered.body
    return text.strip()


@dataclass(frozen=True, slots=True)
class Sent:
    message: OutboundMessage
    interaction: Interaction | None
    repeated: bool = False  # the dedup key had been used: nothing new was written
    problems: tuple[tuple[Channel, str], ...] = ()  # a failed message: why, per channel


async def send_message(
    actor: Actor, contact_id: int, request: MessageRequest, *, dedup_key: str
) -> Sent:
    """Send through the outbox and record the interaction, in the caller's transaction. A
    repeated `dedup_key` returns what the first request wrote."""
    dedup_key = dedup_key[:DEDUP_KEY_LIMIT]
    existing = await OutboundMessage.get_or_none(dedup_key=dedup_key)
    if existing is not None:
        contact = await get_visible(Contact, actor, contact_id)
        if existing.contact_id != contact.id:
            raise ValidationFailed([FieldError("idempotency_key", "reused", _KEY_REUSED)])
        interaction = await Interaction.filter(outbound_message_id=existing.id).first()
        return Sent(existing, interaction, repeated=True)
    composed = await compose_message(actor, contact_id, request)
    contact, plan = composed.contact, composed.plan
    message = await enqueue_for_contact(
        contact,
        composed.purpose,
        dedup_key=dedup_key,
        refs=composed.refs,
        language=composed.language,
        templates=composed.templates,
        channels=composed.channels,
    )
    assert message is not None  # templates is not empty and this is no fallback
    await audit_event(
        actor,
        ENTITY,
        contact.id,
        "message",
        f"{composed.purpose} via {message.channel} #{message.id}: {message.state}",
    )
    if message.state != MessageState.QUEUED or plan.rendered is None:
        return Sent(message, None, problems=plan.problems)
    interaction = await log_interaction(
        actor,
        {
            "kind": InteractionKind.MESSAGE.value,
            "direction": "outbound",
            "contact_id": contact.id,
            "deal_id": composed.refs.deal_id,
            "outcome": plain_text(plan.rendered, plan.channel)[:OUTCOME_LIMIT],
        },
    )
    interaction.outbound_message_id = message.id
    await interaction.save(update_fields=["outbound_message_id"])
    return Sent(message, interaction)
