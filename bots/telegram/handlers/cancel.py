"""`/cancel` and the Cancel buttons of `/new` and `/log`: the draft is dropped, with the files it
kept waiting, and nothing is written. `/cancel` also leaves any other feature's dialog (its FSM
state); the client or deal in context stays."""

from __future__ import annotations

from typing import Literal

from aiogram import Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bots.telegram import capture, texts
from bots.telegram import texts_capture as t
from bots.telegram.replies import Replies
from bots.telegram.staging import UpdateFiles


class CaptureCancel(CallbackData, prefix="cap.cancel"):
    flow: Literal["new", "log"]


async def cancel_command(
    message: Message, replies: Replies, state: FSMContext, update_files: UpdateFiles
) -> None:
    dropped = await capture.give_up(state, capture.NEW, update_files.data_dir)
    dropped = await capture.give_up(state, capture.LOG, update_files.data_dir) or dropped
    if not dropped and await state.get_state() is not None:
        await state.set_state(None)  # another feature's dialog
        dropped = True
    replies.say(t.CANCELLED if dropped else t.NOTHING_TO_CANCEL)


async def cancel_button_pressed(
    query: CallbackQuery,
    callback_data: CaptureCancel,
    replies: Replies,
    state: FSMContext,
    update_files: UpdateFiles,
) -> None:
    key = capture.NEW if callback_data.flow == "new" else capture.LOG
    if not await capture.in_flow(state, key):
        replies.notify(texts.STALE_BUTTON, alert=True)
        return
    await capture.give_up(state, key, update_files.data_dir)
    replies.notify(t.CANCELLED)
    if query.message is not None:
        replies.edit(query.message.message_id, t.CANCELLED)


def build() -> Router:
    router = Router(name="cancel")
    router.message.register(cancel_command, Command("cancel"))
    router.callback_query.register(cancel_button_pressed, CaptureCancel.filter())
    return router
