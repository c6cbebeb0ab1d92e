"""Whatever no feature router took: a hint instead of silence."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, Message

from bots.telegram import texts
from bots.telegram.replies import Replies


async def not_understood(message: Message, replies: Replies) -> None:
    replies.say(texts.NOT_UNDERSTOOD)


async def stale_button(query: CallbackQuery, replies: Replies) -> None:
    replies.notify(texts.STALE_BUTTON, alert=True)


def build() -> Router:
    router = Router(name="fallback")
    router.message.register(not_understood)
    router.callback_query.register(stale_button)
    return router
