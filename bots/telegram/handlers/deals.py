"""`/deals`: my open deals grouped by stage (the board of `models.queries.board`, my deals
only), each a button to its card (`OpenCard`, handled by the cards feature)."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from bots.telegram.deal_views import PER_STAGE, deals_screen
from bots.telegram.replies import Replies
from bots.telegram.task_views import Reader
from models.actor import Actor
from models.queries.board import my_open_deals


async def show_deals(message: Message, actor: Actor, replies: Replies) -> None:
    screen = deals_screen(await my_open_deals(actor, PER_STAGE), Reader.of(actor, replies.language))
    replies.say(screen.text, reply_markup=screen.keyboard)


def build() -> Router:
    router = Router(name="deals")
    router.message.register(show_deals, Command("deals"))
    return router
