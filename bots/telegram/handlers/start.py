"""`/start`: linking a Telegram account through a one-time deep link, and the greeting."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.types import Message

from bots.telegram import texts
from bots.telegram.replies import Replies
from models.actor import Actor
from models.entities import User
from models.ops.telegram_link import consume_telegram_link


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
    linked = await consume_telegram_link(token, message.from_user.id)
    if linked is None:
        replies.say(texts.LINK_INVALID)
        return
    replies.language = linked.language
    replies.say(texts.LINKED, name=linked.full_name)


def build() -> Router:
    router = Router(name="start")
    router.message.register(start, CommandStart())
    return router
