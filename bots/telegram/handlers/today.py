"""`/today`: my day. Overdue tasks and tasks due later today, each with its buttons (handled in
`handlers/tasks.py`), and my deals that stay in their stage longer than planned, each a button
to its card (`OpenCard`). Read by `models.queries.today.my_day`, the same as GET /v1/me/today."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from bots.telegram.replies import Replies
from bots.telegram.task_views import Reader, today_screen
from models.actor import Actor
from models.queries.today import my_day


async def show_today(message: Message, actor: Actor, replies: Replies) -> None:
    screen = today_screen(await my_day(actor), Reader.of(actor, replies.language))
    replies.say(screen.text, reply_markup=screen.keyboard)


def build() -> Router:
    router = Router(name="today")
    router.message.register(show_today, Command("today"))
    return router
