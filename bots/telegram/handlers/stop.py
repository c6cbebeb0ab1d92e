"""`/stop`: a client unsubscribes this chat from notifications.

The chat stops being the contact's Telegram identity, the Telegram consents are withdrawn, and
what was still waiting to be sent here goes through the contact's next channel
(`models.ops.subscriptions.unsubscribe_telegram_chat`). The middleware lets `/stop` through from
people who are not staff; staff are pointed to /unlink.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from bots.telegram import texts_clients as c
from bots.telegram.replies import Replies
from models.actor import Actor
from models.ops.outbox import default_language
from models.ops.subscriptions import unsubscribe_telegram_chat


async def stop(message: Message, actor: Actor | None, replies: Replies) -> None:
    if actor is not None:
        replies.say(c.STOP_IS_FOR_CLIENTS)
        return
    contacts = await unsubscribe_telegram_chat(message.chat.id)
    if not contacts:
        replies.say(c.NOT_SUBSCRIBED)
        return
    replies.language = contacts[0].language or default_language()
    replies.say(c.UNSUBSCRIBED)


def build() -> Router:
    router = Router(name="stop")
    router.message.register(stop, Command("stop"))
    return router
