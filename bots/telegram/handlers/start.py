"""`/start`: the deep links, and the greeting.

Two kinds of deep link come here, told apart by the token (`is_subscription_token`):

- a staff link (`/v1/me/telegram-link`) binds this Telegram account to a Voronka user;
- a client link (`/v1/contacts/{id}/telegram-subscription`, or an order's) subscribes this chat
  to the contact's notifications, with the consent to the text shown here. A Telegram account
  linked to staff is refused: staff and clients stay apart.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.methods import SendMessage
from aiogram.types import Message

from bots.telegram import texts
from bots.telegram import texts_clients as c
from bots.telegram.replies import Replies
from models.actor import Actor
from models.entities import OrderStatus, User
from models.ops.subscriptions import (
    CONSENT_TEXT,
    is_subscription_token,
    subscribe_telegram_chat,
)
from models.ops.telegram_link import consume_telegram_link
from models.rules.templates import ORDER_STATUS_LABELS


async def start(
    message: Message,
    command: CommandObject,
    actor: Actor | None,
    user: User | None,
    replies: Replies,
) -> None:
    token = (command.args or "").strip()
    if not token:
        # Only a linked, active user gets here without a token: the middleware's gate.
        assert user is not None
        replies.say(texts.WELCOME_BACK, name=user.full_name)
        return
    assert message.from_user is not None
    if is_subscription_token(token):
        await _subscribe(message, token, replies)
        return
    linked = await consume_telegram_link(token, message.from_user.id)
    if linked is None:
        replies.say(texts.LINK_INVALID)
        return
    replies.language = linked.language
    replies.say(texts.LINKED, name=linked.full_name)


async def _subscribe(message: Message, token: str, replies: Replies) -> None:
    assert message.from_user is not None
    # Deactivated staff too: their account may come back, and its chat is not a client's.
    if await User.exists(telegram_user_id=message.from_user.id):
        replies.say(c.SUBSCRIPTION_FOR_CLIENTS)
        return
    subscribed = await subscribe_telegram_chat(token, message.chat.id)
    if subscribed is None:
        replies.say(c.SUBSCRIPTION_INVALID)
        return
    language = replies.language = subscribed.language
    name = subscribed.contact.first_name
    lines = [
        replies.render(c.SUBSCRIBED_HELLO, name=name)
        if name
        else replies.render(c.SUBSCRIBED_HELLO_NO_NAME)
    ]
    order = subscribed.order
    if order is not None:
        status = ORDER_STATUS_LABELS[OrderStatus(order.status)].get(language)
        lines.append(replies.render(c.SUBSCRIBED_ORDER, number=order.number, status=status))
    lines.append(replies.render(CONSENT_TEXT))
    replies.add(SendMessage(chat_id=replies.chat_id, text="\n\n".join(lines)))


def build() -> Router:
    router = Router(name="start")
    router.message.register(start, CommandStart())
    return router
