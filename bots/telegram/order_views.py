"""The orders of a client or deal and the order card, as messages (Telegram HTML, every value
escaped) with their buttons.

The card is drawn from the database each time (`models/queries/orders.py`, which loads the order
through the visibility functions). Its buttons: one per status the order may go to next
(`models/rules/orders.NEXT_STATUSES`, in the order of the lifecycle), «✉️ Написать о заказе»
(the preview of the message about this order in its status, `handlers/messages.py`) when the
client can be written to, and back to the deal and client cards the actor may open.
"""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bots.telegram import formats
from bots.telegram import texts_cards as t
from bots.telegram import texts_clients as c
from bots.telegram import texts_orders as o
from bots.telegram.callbacks_cards import CardView, MessagePick
from bots.telegram.callbacks_orders import OrderList, OrderOpen, OrdersOf, OrderStatusPick
from bots.telegram.card_views import LABEL_LIMIT, Rendered
from bots.telegram.texts import render
from models.actor import Actor
from models.clock import now
from models.entities import Channel, MessageState, Order, OrderStatus
from models.ops.duplicates import contact_label
from models.ops.messages import message_purposes
from models.queries.orders import ClientOrders, OrderCard, StatusNotice
from models.rules.default_templates import order_status_purpose
from models.rules.orders import NEXT_STATUSES
from models.rules.templates import ORDER_STATUS_LABELS

PAGE = 8  # orders a list message shows
COMMENT_LIMIT = 200


def status_name(status: OrderStatus | str, language: str) -> str:
    return ORDER_STATUS_LABELS[OrderStatus(status)].get(language)


def _amount(order: Order, language: str) -> str | None:
    amount = order.amount
    return None if amount is None else formats.money(amount, order.currency, language)


# ---- the orders of a client or deal -----------------------------------------------------------


def orders_view(found: ClientOrders, kind: OrdersOf, language: str) -> Rendered:
    """A page of orders, each a button to its card; ‹ Back and More › between pages."""
    subject = found.subject
    lines = [render(o.ORDERS_TITLE, language, {"name": subject.name})]
    if found.orders:
        values = {
            "first": found.offset + 1,
            "last": found.offset + len(found.orders),
            "total": found.total,
        }
        lines.append(render(o.ORDERS_RANGE, language, values))
    else:
        lines.append(render(o.NO_ORDERS, language))
    rows = [[_order_button(order, language)] for order in found.orders]
    page = found.offset // PAGE
    turns = []
    if page > 0:
        earlier = OrderList(kind=kind, id=subject.id, page=page - 1)
        turns.append(
            InlineKeyboardButton(text=o.EARLIER_BUTTON.get(language), callback_data=earlier.pack())
        )
    if found.offset + len(found.orders) < found.total:
        later = OrderList(kind=kind, id=subject.id, page=page + 1)
        turns.append(
            InlineKeyboardButton(text=o.MORE_BUTTON.get(language), callback_data=later.pack())
        )
    if turns:
        rows.append(turns)
    back = CardView(kind=kind, id=subject.id, view="card")
    rows.append([InlineKeyboardButton(text=t.BACK_BUTTON.get(language), callback_data=back.pack())])
    return Rendered("\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows))


def _order_button(order: Order, language: str) -> InlineKeyboardButton:
    amount = _amount(order, language)
    values = {"number": order.number, "status": status_name(order.status, language)}
    if amount is None:
        label = render(o.ORDER_BUTTON_NO_AMOUNT, language, values, markup=False)
    else:
        label = render(o.ORDER_BUTTON, language, {**values, "amount": amount}, markup=False)
    return InlineKeyboardButton(
        text=formats.shorten(label, LABEL_LIMIT), callback_data=OrderOpen(id=order.id).pack()
    )


# ---- the order card ---------------------------------------------------------------------------


def order_text(card: OrderCard, actor: Actor, language: str) -> str:
    order = card.order
    lines = [
        render(o.ORDER_TITLE, language, {"number": order.number}),
        render(o.STATUS, language, {"status": status_name(order.status, language)}),
    ]
    amount = _amount(order, language)
    if amount is None:
        lines.append(render(o.NO_AMOUNT, language))
    else:
        lines.append(render(o.AMOUNT, language, {"amount": amount}))
    clients = []
    if card.contact is not None:
        clients.append(contact_label(card.contact))
    if card.company is not None:
        clients.append(card.company.name)
    if clients:
        lines.append(render(o.CLIENT, language, {"client": " · ".join(clients)}))
    if card.deal is not None:
        lines.append(render(o.DEAL, language, {"deal": card.deal.title}))
    if card.history:
        lines.append(render(o.HISTORY, language))
        at = now()
        for step in card.history:
            change = step.change
            values = {
                "when": formats.when(change.changed_at, actor.timezone, language, now=at),
                "by": step.by_name or o.BY_SYSTEM.get(language),
                "status": status_name(change.status, language),
                "new": status_name(change.status, language),
                "old": status_name(change.from_status, language) if change.from_status else "",
            }
            line = o.CHANGE_LINE if change.from_status is not None else o.CREATED_LINE
            lines.append(render(line, language, values))
            if change.comment:
                comment = formats.shorten(change.comment, COMMENT_LIMIT)
                lines.append(render(o.COMMENT_LINE, language, {"comment": comment}))
    if not NEXT_STATUSES[OrderStatus(order.status)]:
        lines.append(render(o.FINAL, language))
    return "\n".join(lines)


def order_keyboard(
    card: OrderCard, write: MessagePick | None, language: str
) -> InlineKeyboardMarkup:
    order = card.order
    current = OrderStatus(order.status)
    allowed = NEXT_STATUSES[current]

    def pick(status: OrderStatus) -> InlineKeyboardButton:
        data = OrderStatusPick(id=order.id, version=order.version, status=status)
        return InlineKeyboardButton(
            text=o.STATUS_BUTTONS[status].get(language), callback_data=data.pack()
        )

    # In the order of the lifecycle (the enum's), cancelling on a row of its own.
    forward = [pick(s) for s in OrderStatus if s in allowed and s is not OrderStatus.CANCELLED]
    rows = [forward] if forward else []
    if OrderStatus.CANCELLED in allowed:
        rows.append([pick(OrderStatus.CANCELLED)])
    if write is not None:
        rows.append(
            [InlineKeyboardButton(text=o.WRITE_BUTTON.get(language), callback_data=write.pack())]
        )
    backs = []
    if card.deal is not None and card.deal_visible:
        backs.append(_back("deal", card.deal.id, f"💼 {card.deal.title}"))
    if card.contact is not None and card.contact_visible:
        backs.append(_back("contact", card.contact.id, f"👤 {contact_label(card.contact)}"))
    if card.company is not None and card.company_visible:
        backs.append(_back("company", card.company.id, f"🏢 {card.company.name}"))
    rows += [[button] for button in backs]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def _back(kind: str, object_id: int, name: str) -> InlineKeyboardButton:
    view = CardView(kind=kind, id=object_id, view="card")
    return InlineKeyboardButton(
        text=formats.shorten(f"← {name}", LABEL_LIMIT), callback_data=view.pack()
    )


async def _write(card: OrderCard) -> MessagePick | None:
    """The preview of the message about this order in its status, when the actor may write to
    its contact and an active template has the status's purpose."""
    if card.contact is None or not card.contact_visible:
        return None
    purpose = order_status_purpose(card.order.status)
    for choice in await message_purposes():
        if choice.purpose == purpose:
            return MessagePick(
                kind="contact",
                id=card.contact.id,
                template=choice.template_id,
                order=card.order.id,
            )
    return None


async def order_message(card: OrderCard, actor: Actor, language: str, footer: str = "") -> Rendered:
    """The order card; `footer` (HTML) below it says what a change just did."""
    text = order_text(card, actor, language)
    if footer:
        text = f"{text}\n\n{footer}"
    return Rendered(text, order_keyboard(card, await _write(card), language))


def cancel_question(card: OrderCard, actor: Actor, language: str) -> Rendered:
    """The card with the question whether to cancel, and Yes · No in place of its buttons."""
    order = card.order
    question = render(o.CONFIRM_CANCEL, language, {"number": order.number})
    sure = OrderStatusPick(
        id=order.id, version=order.version, status=OrderStatus.CANCELLED, sure=True
    )
    keep = OrderOpen(id=order.id)
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text=o.CANCEL_YES.get(language), callback_data=sure.pack()),
                InlineKeyboardButton(text=o.CANCEL_NO.get(language), callback_data=keep.pack()),
            ]
        ]
    )
    return Rendered(f"{order_text(card, actor, language)}\n\n⚠️ {question}", markup)


# ---- what a status change told the client -----------------------------------------------------


def notice_text(notice: StatusNotice, language: str) -> str:
    """One sentence from the outbox message the change wrote (or its absence), never a guess."""
    message = notice.message
    if message is None:
        if not notice.has_contact:
            return render(o.NOTICE_NO_CONTACT, language)
        return render(
            o.NOTICE_SWITCHED_OFF, language, {"status": status_name(notice.status, language)}
        )
    if message.state is MessageState.CANCELLED:
        return render(o.NOTICE_NO_CONSENT, language)
    if message.state in (MessageState.FAILED, MessageState.DEAD):
        return render(o.NOTICE_NO_CHANNEL, language)
    channel = c.CHANNELS[Channel(message.channel)].get(language)
    return render(o.NOTICE_QUEUED, language, {"channel": channel})
