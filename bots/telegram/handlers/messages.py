"""Sending a client a message from a card: «✉️ Написать» → a template → the preview → Send.

The same operation as `POST /v1/contacts/{id}/messages` (`models/ops/messages.py`): the message
goes through the outbox and is logged as an outbound interaction. Every step reloads what its
payload names through the visibility functions (a forged or stale button gets the card
refusal), and the preview and the send are composed anew, so what is sent is checked when it is
sent. Pressing Send twice sends once: the dedup key is the pressed preview message.

A deal's message goes to the deal's contact, with the deal's variables.

Order-status templates are offered about an order, never alone (their text is the order's
number, amount and status): one button per recent order of the card (the deal's orders, or the
contact's) whose current status has an active template, «📦 №… · the status». The preview and
the send check again that the order is visible, the client's, and still in that status: an
order that moved on makes the button stale, so a client is never told an old status.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from aiogram import Router
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup

from bots.telegram import formats
from bots.telegram import texts_cards as t
from bots.telegram import texts_clients as c
from bots.telegram.callbacks_cards import (
    CardView,
    MessagePick,
    MessageSend,
    Writable,
    WriteMessage,
)
from bots.telegram.handlers.cards import refusing
from bots.telegram.replies import Replies, pressed_message
from bots.telegram.texts import STALE_BUTTON, render
from models.actor import Actor
from models.entities import Channel, Contact, MessageState, Order, OrderStatus, Template
from models.errors import DomainError
from models.ops.duplicates import contact_label
from models.ops.messages import (
    ORDER_STATUS_PREFIX,
    MessageRequest,
    compose_message,
    message_purposes,
    plain_text,
    purpose_name,
    send_message,
)
from models.queries.deals import get_deal
from models.rules.default_templates import order_status_purpose
from models.rules.templates import ORDER_STATUS_LABELS
from models.scope import get_visible, visible

LABEL_LIMIT = 60
PREVIEW_LIMIT = 3000  # a Telegram message holds 4096 characters: room for the header
ORDERS_OFFERED = 5


def _excerpt(text: str) -> str:
    """The message as the client reads it, line breaks kept, cut to fit one Telegram message."""
    return text if len(text) <= PREVIEW_LIMIT else text[: PREVIEW_LIMIT - 1].rstrip() + "…"


def _problems(problems: Sequence[tuple[Channel, str]], language: str) -> str:
    return "; ".join(
        render(
            c.PROBLEMS[code], language, {"channel": c.CHANNELS[channel].get(language)}, markup=False
        )
        for channel, code in problems
        if code in c.PROBLEMS
    )


class NoContact(DomainError):
    code = "no_contact"
    message = c.NO_CONTACT


async def _recipient(actor: Actor, kind: Writable, object_id: int) -> tuple[Contact, int | None]:
    """The contact to write to and the deal the message is about, if the actor may see both."""
    if kind == "contact":
        return await get_visible(Contact, actor, object_id), None
    deal = await get_deal(actor, object_id)
    if deal.contact_id is None:
        raise NoContact()
    return await get_visible(Contact, actor, deal.contact_id), deal.id


def _back(
    kind: Writable, object_id: int, language: str, label: str | None = None
) -> list[InlineKeyboardButton]:
    back = CardView(kind=kind, id=object_id, view="card").pack()
    return [InlineKeyboardButton(text=label or c.CANCEL_BUTTON.get(language), callback_data=back)]


@refusing
async def write(
    query: CallbackQuery, callback_data: WriteMessage, actor: Actor, replies: Replies
) -> None:
    kind, object_id, language = callback_data.kind, callback_data.id, replies.language
    contact, deal_id = await _recipient(actor, kind, object_id)
    buttons: list[tuple[str, MessagePick]] = []
    by_purpose: dict[str, int] = {}
    for choice in await message_purposes():
        if choice.purpose.startswith(ORDER_STATUS_PREFIX):
            by_purpose[choice.purpose] = choice.template_id
            continue
        name = choice.name.get(language)
        if choice.marketing:
            name = render(c.MARKETING_MARK, language, {"name": name}, markup=False)
        buttons.append((name, MessagePick(kind=kind, id=object_id, template=choice.template_id)))
    for order in await _orders(actor, contact, deal_id) if by_purpose else []:
        template_id = by_purpose.get(order_status_purpose(order.status))
        if template_id is None:
            continue
        status = ORDER_STATUS_LABELS[OrderStatus(order.status)].get(language)
        values = {"number": order.number, "status": status}
        name = render(c.ORDER_STATUS_MARK, language, values, markup=False)
        pick = MessagePick(kind=kind, id=object_id, template=template_id, order=order.id)
        buttons.append((name, pick))
    if not buttons:
        replies.notify(c.NO_TEMPLATES, alert=True)
        return
    rows = [
        [InlineKeyboardButton(text=formats.shorten(name, LABEL_LIMIT), callback_data=pick.pack())]
        for name, pick in buttons
    ]
    rows.append(_back(kind, object_id, language))
    replies.show(
        pressed_message(query),
        c.CHOOSE_TEMPLATE,
        reply_markup=InlineKeyboardMarkup(inline_keyboard=rows),
        name=contact_label(contact),
    )


async def _orders(actor: Actor, contact: Contact, deal_id: int | None) -> list[Order]:
    """The card's recent orders the actor sees: the deal's, or the contact's."""
    mine = {"deal_id": deal_id} if deal_id is not None else {"contact_id": contact.id}
    return await visible(Order, actor).filter(**mine).order_by("-id").limit(ORDERS_OFFERED)


async def _request(
    actor: Actor, kind: Writable, object_id: int, template_id: int, order_id: int = 0
) -> tuple[Contact, MessageRequest] | None:
    """The recipient and the request a button stands for; None when its template is gone, or
    for an order-status template, when the order is not in that status any more (or none)."""
    contact, deal_id = await _recipient(actor, kind, object_id)
    template = await Template.get_or_none(id=template_id, is_active=True)
    if template is None:
        return None
    if template.purpose.startswith(ORDER_STATUS_PREFIX):
        order = await visible(Order, actor).get_or_none(id=order_id) if order_id else None
        if order is None or order_status_purpose(order.status) != template.purpose:
            return None
    request = MessageRequest(purpose=template.purpose, deal_id=deal_id, order_id=order_id or None)
    return contact, request


@refusing
async def pick(
    query: CallbackQuery, callback_data: MessagePick, actor: Actor, replies: Replies
) -> None:
    kind, object_id, language = callback_data.kind, callback_data.id, replies.language
    found = await _request(actor, kind, object_id, callback_data.template, callback_data.order)
    if found is None:
        replies.notify(STALE_BUTTON, alert=True)
        return
    contact, request = found
    composed = await compose_message(actor, contact.id, request)
    plan = composed.plan
    values = {
        "purpose": purpose_name(composed.purpose).get(language),
        "name": contact_label(contact),
    }
    if not plan.usable or plan.rendered is None:
        markup = InlineKeyboardMarkup(inline_keyboard=[_back(kind, object_id, language)])
        reason = _problems(plan.problems, language) or plan.reason
        replies.show(
            pressed_message(query), c.CANNOT_SEND, reply_markup=markup, reason=reason, **values
        )
        return
    send = MessageSend(
        kind=kind, id=object_id, template=callback_data.template, order=callback_data.order
    )
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text=c.SEND_BUTTON.get(language), callback_data=send.pack()),
                *_back(kind, object_id, language),
            ]
        ]
    )
    replies.show(
        pressed_message(query),
        c.PREVIEW,
        reply_markup=markup,
        channel=c.CHANNELS[Channel(plan.channel)].get(language),
        address=plan.address,
        text=_excerpt(plain_text(plan.rendered, plan.channel)),
        **values,
    )


@refusing
async def send(
    query: CallbackQuery, callback_data: MessageSend, actor: Actor, replies: Replies
) -> None:
    kind, object_id, language = callback_data.kind, callback_data.id, replies.language
    found = await _request(actor, kind, object_id, callback_data.template, callback_data.order)
    if found is None:
        replies.notify(STALE_BUTTON, alert=True)
        return
    contact, request = found
    message_id = pressed_message(query)
    # The pressed preview identifies the send: a second press of the same button sends nothing.
    where = f"{replies.chat_id}:{message_id}" if message_id is not None else uuid.uuid4().hex
    key = f"bot:{actor.user_id}:{where}:{callback_data.template}"
    if callback_data.order:
        key += f":{callback_data.order}"
    sent = await send_message(actor, contact.id, request, dedup_key=key)
    if sent.repeated:
        replies.notify(c.ALREADY_SENT, alert=True)
        return
    message = sent.message
    back = InlineKeyboardMarkup(
        inline_keyboard=[
            _back(kind, object_id, language, render(t.BACK_BUTTON, language, markup=False))
        ]
    )
    if message.state != MessageState.QUEUED:
        reason = _problems(sent.problems, language) or message.last_error
        replies.show(message_id, c.NOT_SENT, reply_markup=back, reason=reason)
        return
    replies.notify(c.SENT_TOAST)
    replies.show(
        message_id,
        c.SENT,
        reply_markup=back,
        purpose=purpose_name(message.purpose).get(language),
        name=contact_label(contact),
        channel=c.CHANNELS[Channel(message.channel)].get(language),
    )


def build() -> Router:
    router = Router(name="messages")
    router.callback_query.register(write, WriteMessage.filter())
    router.callback_query.register(pick, MessagePick.filter())
    router.callback_query.register(send, MessageSend.filter())
    return router
