"""`/find <text>`: clients and deals by name, phone or its last 4 digits, INN or email, as
buttons that open their cards. `/find` alone asks for the text; the next message is searched."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.methods import SendMessage
from aiogram.types import Message

from bots.telegram import texts_find as t
from bots.telegram.find_views import find_results
from bots.telegram.replies import Replies
from models.actor import Actor
from models.queries.find import find_clients_and_deals

MAX_QUERY = 200  # characters searched: a longer text is a paste, not a query


class FindInput(StatesGroup):
    query = State()


async def _find(text: str, actor: Actor, replies: Replies) -> None:
    query = " ".join(text.split())[:MAX_QUERY]
    findings = await find_clients_and_deals(actor, query)
    shown = find_results(findings, query, replies.language)
    replies.add(SendMessage(chat_id=replies.chat_id, text=shown.text, reply_markup=shown.markup))


async def find_command(
    message: Message, command: CommandObject, actor: Actor, replies: Replies, state: FSMContext
) -> None:
    text = (command.args or "").strip()
    if not text:
        await state.set_state(FindInput.query)
        replies.say(t.FIND_ASK)
        return
    await _find(text, actor, replies)


async def find_answer(message: Message, actor: Actor, replies: Replies, state: FSMContext) -> None:
    await state.set_state(None)
    await _find(message.text or "", actor, replies)


def build() -> Router:
    router = Router(name="find")
    router.message.register(find_command, Command("find"))
    # A command sent instead of the text goes to its own handler; the question stays open.
    router.message.register(find_answer, FindInput.query, F.text, ~F.text.startswith("/"))
    return router
