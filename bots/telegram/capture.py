"""What `/new`, `/log` and files sent to the bot share: their drafts in the FSM data, questions
asked again after a refused answer, and giving a draft up.

A draft lives under its own key of the FSM data (`new`, `log`), next to the client or deal in
context (`context.py`) and whatever other features keep there: finishing or cancelling removes
only its own key and never calls `state.clear()`. The FSM is not part of the database
transaction, so a handler changes it only after the operations it calls have succeeded.
"""

from __future__ import annotations

import asyncio
import copy
from pathlib import Path
from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.methods import SendMessage
from aiogram.types import InlineKeyboardMarkup

from bots.telegram import context
from bots.telegram.replies import Replies
from bots.telegram.texts import render
from models.errors import ValidationFailed
from models.ops.attachments import discard_staged
from models.text import Text

NEW = "new"
LOG = "log"
_STATE_PREFIXES = {NEW: "NewStates:", LOG: "LogStates:"}


def problem_of(error: ValidationFailed) -> Text:
    """The sentences of a refused value, as the middleware would say them."""
    if not error.errors:
        return error.message
    return Text(
        " ".join(e.message.ru for e in error.errors), " ".join(e.message.en for e in error.errors)
    )


def ask(
    replies: Replies,
    question: Text,
    keyboard: InlineKeyboardMarkup | None = None,
    *,
    problem: Text | None = None,
    message_id: int | None = None,
    **values: object,
) -> None:
    """Ask `question` (with its buttons), in place of the pressed message `message_id` if any.
    After a refused answer the refusal comes first, in a new message and as plain text, so the
    domain's sentence shows as written."""
    if problem is None:
        replies.show(message_id, question, reply_markup=keyboard, **values)
        return
    asked = render(question, replies.language, values, markup=False)
    said = f"{problem.get(replies.language)}\n\n{asked}"
    replies.add(
        SendMessage(chat_id=replies.chat_id, text=said, parse_mode=None, reply_markup=keyboard)
    )


async def load(state: FSMContext, key: str) -> dict[str, Any] | None:
    """A copy of the draft under `key`: changing it changes nothing until `store`."""
    value = (await state.get_data()).get(key)
    return copy.deepcopy(value) if isinstance(value, dict) else None


async def store(state: FSMContext, key: str, draft: dict[str, Any]) -> None:
    await state.update_data({key: draft})


async def drop(state: FSMContext, key: str) -> None:
    data = await state.get_data()
    if key in data:
        data.pop(key)
        await state.set_data(data)


async def in_flow(state: FSMContext, key: str) -> bool:
    current = await state.get_state()
    return current is not None and current.startswith(_STATE_PREFIXES[key])


async def finish(state: FSMContext, key: str) -> None:
    """The draft is done with (saved or given up): its state and its data go, the rest stays."""
    if await in_flow(state, key):
        await state.set_state(None)
    await drop(state, key)


def draft_files(draft: dict[str, Any] | None) -> list[dict[str, Any]]:
    files = (draft or {}).get("files")
    return [f for f in files if isinstance(f, dict)] if isinstance(files, list) else []


async def give_up(state: FSMContext, key: str, data_dir: Path) -> bool:
    """Cancel the draft under `key`, removing the files it kept waiting. True if there was one."""
    draft = await load(state, key)
    active = await in_flow(state, key)
    await finish(state, key)
    names = [str(f.get("name")) for f in draft_files(draft)]
    if names:
        await asyncio.to_thread(discard_staged, data_dir, names)
    return draft is not None or active


async def open_log_draft(state: FSMContext) -> dict[str, Any] | None:
    """The /log draft being written now, if any: a file sent meanwhile joins it."""
    if not await in_flow(state, LOG):
        return None
    return await load(state, LOG)


async def has_file_target(state: FSMContext) -> bool:
    """Whether a file sent now has somewhere to go: an open /log draft, or a client or deal in
    context. The file is fetched from Telegram only then."""
    if await open_log_draft(state) is not None:
        return True
    return await context.current(state) is not None
