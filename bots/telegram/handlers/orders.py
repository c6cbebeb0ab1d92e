"""Orders in the bot: the orders of a client or deal, the order card, changing its status, and
`/order <number>`.

- `OrderList` (the «📦 Заказы (N)» button of a card) shows a page of the client's or deal's
  orders in place of the card, newest first, each a button to its card.
- `OrderOpen` shows the order card in place; `/order <number>` sends it as a new message.
- `OrderStatusPick` moves the order to the status pressed (`change_order_status`, the same
  operation as `POST /v1/orders/{id}/status`), from the version the card showed. Cancelling asks
  first: the card gets the question and Yes · No. After the change the card is redrawn and says
  what the client will be told, read from the outbox message the change wrote.

Every payload is re-checked through the domain: an order, client or deal the actor may not see
gets the card refusal and nothing changes; an order changed since its card was drawn gets a
sentence and the refreshed card. `/order` with a number the actor may not see says "not found",
as for a number nobody has.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message

from bots.telegram import formats
from bots.telegram import texts_orders as o
from bots.telegram.callbacks_orders import OrderList, OrderOpen, OrderStatusPick
from bots.telegram.handlers.cards import edit_shown, refusing, send_shown
from bots.telegram.order_views import (
    PAGE,
    cancel_question,
    notice_text,
    order_message,
    orders_view,
    status_name,
)
from bots.telegram.replies import Replies, pressed_message
from models.actor import Actor
from models.entities import OrderStatus
from models.errors import NotFound, PreconditionFailed, ValidationFailed
from models.ops.orders import change_order_status
from models.queries.orders import (
    clean_number,
    latest_status_notice,
    order_card,
    order_card_by_number,
    orders_of,
)
from models.rules.orders import can_change

NUMBER_SHOWN = 64  # characters of a number someone typed, repeated back


@refusing
async def order_list(
    query: CallbackQuery, callback_data: OrderList, actor: Actor, replies: Replies
) -> None:
    kind = callback_data.kind
    found = await orders_of(
        actor, kind, callback_data.id, offset=callback_data.page * PAGE, limit=PAGE
    )
    edit_shown(replies, pressed_message(query), orders_view(found, kind, replies.language))


@refusing
async def order_open(
    query: CallbackQuery, callback_data: OrderOpen, actor: Actor, replies: Replies
) -> None:
    card = await order_card(actor, callback_data.id)
    shown = await order_message(card, actor, replies.language)
    edit_shown(replies, pressed_message(query), shown)


async def _refresh(actor: Actor, replies: Replies, order_id: int, message_id: int | None) -> None:
    card = await order_card(actor, order_id)
    edit_shown(replies, message_id, await order_message(card, actor, replies.language))


@refusing
async def status_picked(
    query: CallbackQuery, callback_data: OrderStatusPick, actor: Actor, replies: Replies
) -> None:
    order_id, message_id, language = callback_data.id, pressed_message(query), replies.language
    card = await order_card(actor, order_id)
    order, target = card.order, callback_data.status
    current = OrderStatus(order.status)
    if order.version != callback_data.version:
        replies.notify(o.STALE_ORDER, alert=True)
        edit_shown(replies, message_id, await order_message(card, actor, language))
        return
    if current is target:
        replies.notify(o.ALREADY, alert=True, status=status_name(current, language))
        return
    if not can_change(current, target):
        # Only a forged payload gets here: the card offers only the statuses that may follow.
        values = {"old": status_name(current, language), "new": status_name(target, language)}
        replies.notify(o.NOT_ALLOWED, alert=True, **values)
        return
    if target is OrderStatus.CANCELLED and not callback_data.sure:
        edit_shown(replies, message_id, cancel_question(card, actor, language))
        return
    try:
        order = await change_order_status(actor, order_id, target, version=callback_data.version)
    except (PreconditionFailed, ValidationFailed):
        # Someone changed the order between the read above and the change (its version, or its
        # status, which the check above allowed). Nothing was written: the domain refuses before
        # its first write.
        replies.notify(o.STALE_ORDER, alert=True)
        await _refresh(actor, replies, order_id, message_id)
        return
    status = status_name(target, language)
    replies.notify(o.CHANGED, number=order.number, status=status)
    footer = [replies.render(o.CHANGED_LINE, status=status)]
    notice = await latest_status_notice(order)
    if notice is not None:
        footer.append(notice_text(notice, language))
    card = await order_card(actor, order_id)
    edit_shown(replies, message_id, await order_message(card, actor, language, " ".join(footer)))


async def order_command(
    message: Message, command: CommandObject, actor: Actor, replies: Replies
) -> None:
    number = clean_number(command.args or "")
    if not number:
        replies.say(o.ORDER_USAGE)
        return
    try:
        card = await order_card_by_number(actor, number)
    except NotFound:
        replies.say(o.ORDER_NOT_FOUND, number=formats.shorten(number, NUMBER_SHOWN))
        return
    send_shown(replies, await order_message(card, actor, replies.language))


def build() -> Router:
    router = Router(name="orders")
    router.message.register(order_command, Command("order"))
    router.callback_query.register(order_list, OrderList.filter())
    router.callback_query.register(order_open, OrderOpen.filter())
    router.callback_query.register(status_picked, OrderStatusPick.filter())
    return router
