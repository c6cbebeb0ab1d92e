"""`/tasks`, the task buttons of every task list (`/today` and `/tasks`), and the buttons of the
task reminders the clock sends (`ReminderAction`: Done, +1 h, Tomorrow; the reminder is edited
to say what became of the task, without its buttons).

Buttons: Done (`complete_task`), +1 h and Tomorrow (`put_off_task`), Date… (asks for a date in
free text, read by `parse_when` in the user's zone, then `snooze_task`), More and Back (pages).
After a change the list the button sits on is drawn again from the database, in place.

A payload can be forged: the task id goes to the domain operations, which see only tasks the
actor may see. A task they may not see, or one that does not exist, gets one refusal sentence;
nothing about it is shown and nothing changes.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from tortoise.transactions import in_transaction

from bots.telegram import formats
from bots.telegram import texts_work as t
from bots.telegram.callbacks import ReminderAction
from bots.telegram.replies import Replies, pressed_message
from bots.telegram.task_views import (
    DAY,
    PAGE_SIZE,
    TASKS,
    CancelPickDate,
    ListRef,
    PageStart,
    Reader,
    Screen,
    TaskAction,
    TaskPage,
    cancel_keyboard,
    tasks_screen,
    today_screen,
)
from models.actor import Actor
from models.clock import now
from models.entities import TaskStatus
from models.errors import DomainError, NotFound, ValidationFailed
from models.ops.tasks import (
    SnoozePreset,
    complete_task,
    open_task,
    put_off_task,
    snooze_task,
)
from models.queries.tasks import count_my_open_tasks, my_open_tasks
from models.queries.today import my_day
from models.rules.when import InvalidWhen, parse_when
from models.text import Text

TOAST_TITLE_LIMIT = 80
_PENDING = "pick_date"  # FSM data: the task a date is being typed for, and its list


class PickDate(StatesGroup):
    waiting = State()


async def list_screen(actor: Actor, where: ListRef, reader: Reader) -> Screen:
    """The list a task button sits on, as it is now."""
    if where.view == DAY:
        return today_screen(await my_day(actor), reader)
    page = await my_open_tasks(actor, where.start.cursor(), PAGE_SIZE)
    return tasks_screen(page, await count_my_open_tasks(actor), where.start, reader)


async def show_tasks(message: Message, actor: Actor, replies: Replies) -> None:
    screen = await list_screen(actor, ListRef(TASKS), Reader.of(actor, replies.language))
    replies.say(screen.text, reply_markup=screen.keyboard)


async def turn_page(
    query: CallbackQuery, callback_data: TaskPage, actor: Actor, replies: Replies
) -> None:
    where = ListRef(TASKS, PageStart(callback_data.due, callback_data.after))
    screen = await list_screen(actor, where, Reader.of(actor, replies.language))
    _show_in_place(query, replies, screen)


async def act_on_task(
    query: CallbackQuery,
    callback_data: TaskAction,
    actor: Actor,
    replies: Replies,
    state: FSMContext,
) -> None:
    if callback_data.act == "date":
        await _ask_for_date(query, callback_data, actor, replies, state)
        return
    reader = Reader.of(actor, replies.language)
    try:
        async with in_transaction():  # a savepoint: a refused change leaves nothing behind
            if callback_data.act == "done":
                task = await complete_task(actor, callback_data.id, version=None)
            else:
                preset: SnoozePreset = "hour" if callback_data.act == "hour" else "tomorrow"
                task = await put_off_task(actor, callback_data.id, preset, version=None)
    except NotFound:
        replies.notify(t.TASK_GONE, alert=True)
        return
    except DomainError as error:  # closed meanwhile, or changed by someone else
        replies.notify(_sentence(error), alert=True)
    else:
        # A button's answer holds at most 200 characters: the title is cut to fit.
        title = formats.shorten(task.title, TOAST_TITLE_LIMIT)
        if task.status is TaskStatus.DONE:
            replies.notify(t.TASK_DONE, title=title)
        else:
            assert task.due_at is not None
            replies.notify(t.TASK_MOVED, title=title, when=reader.when(task.due_at))
    screen = await list_screen(actor, ListRef.of(callback_data), reader)
    _show_in_place(query, replies, screen)


async def act_on_reminder(
    query: CallbackQuery, callback_data: ReminderAction, actor: Actor, replies: Replies
) -> None:
    """A reminder's button: the same operations, and with the same rights, as a list's."""
    reader = Reader.of(actor, replies.language)
    try:
        async with in_transaction():  # a savepoint: a refused change leaves nothing behind
            if callback_data.act == "done":
                task = await complete_task(actor, callback_data.id, version=None)
            else:
                preset: SnoozePreset = "hour" if callback_data.act == "hour" else "tomorrow"
                task = await put_off_task(actor, callback_data.id, preset, version=None)
    except NotFound:
        replies.notify(t.TASK_GONE, alert=True)
        return
    except DomainError as error:
        replies.notify(_sentence(error), alert=True)
        return
    title = formats.shorten(task.title, TOAST_TITLE_LIMIT)
    message_id = pressed_message(query)
    if task.status is TaskStatus.DONE:
        replies.notify(t.TASK_DONE, title=title)
        if message_id is not None:
            replies.edit(message_id, t.REMINDER_DONE, title=task.title)
        return
    assert task.due_at is not None
    when = reader.when(task.due_at)
    replies.notify(t.TASK_MOVED, title=title, when=when)
    if message_id is not None:
        replies.edit(message_id, t.REMINDER_MOVED, title=task.title, when=when)


async def _ask_for_date(
    query: CallbackQuery,
    callback_data: TaskAction,
    actor: Actor,
    replies: Replies,
    state: FSMContext,
) -> None:
    try:
        task = await open_task(actor, callback_data.id)
    except NotFound:
        replies.notify(t.TASK_GONE, alert=True)
        return
    except DomainError as error:
        replies.notify(_sentence(error), alert=True)
        screen = await list_screen(
            actor, ListRef.of(callback_data), Reader.of(actor, replies.language)
        )
        _show_in_place(query, replies, screen)
        return
    pending: dict[str, Any] = {
        "task": task.id,
        "view": callback_data.view,
        "due": callback_data.due,
        "after": callback_data.after,
        "message": pressed_message(query),
    }
    await state.set_state(PickDate.waiting)
    await state.update_data({_PENDING: pending})
    replies.say(t.PICK_PROMPT, title=task.title, reply_markup=cancel_keyboard(replies.language))


async def read_date(message: Message, actor: Actor, replies: Replies, state: FSMContext) -> None:
    """The text typed after Date…: a moment for the task, or what is wrong with it."""
    pending = (await state.get_data()).get(_PENDING)
    if not isinstance(pending, dict) or not isinstance(pending.get("task"), int):
        await _forget(state)
        replies.notify(t.TASK_GONE)
        return
    at = now()
    try:
        until = parse_when(message.text or "", now=at, timezone=ZoneInfo(actor.timezone))
    except InvalidWhen as error:
        replies.say(
            t.PICK_RETRY,
            problem=_sentence(error).get(replies.language),
            reply_markup=cancel_keyboard(replies.language),
        )
        return
    await _forget(state)
    try:
        async with in_transaction():
            task = await snooze_task(actor, pending["task"], until, version=None)
    except NotFound:
        replies.notify(t.TASK_GONE)
        return
    except DomainError as error:
        replies.notify(_sentence(error))
        return
    reader = Reader.of(actor, replies.language, at)
    replies.say(t.PICK_DONE, when=reader.moment(until), title=task.title)
    if isinstance(pending.get("message"), int):
        where = ListRef(
            DAY if pending.get("view") == DAY else TASKS,
            PageStart(pending.get("due"), pending.get("after") or 0),
        )
        screen = await list_screen(actor, where, reader)
        replies.edit(pending["message"], screen.text, reply_markup=screen.keyboard)


async def cancel_date(
    query: CallbackQuery, callback_data: CancelPickDate, replies: Replies, state: FSMContext
) -> None:
    await _forget(state)
    replies.notify(t.PICK_CANCELLED)
    if query.message is not None:
        replies.edit(query.message.message_id, t.PICK_CANCELLED)


async def _forget(state: FSMContext) -> None:
    """Leave the date step, keeping whatever else other features keep in the FSM data."""
    if await state.get_state() == PickDate.waiting.state:
        await state.set_state(None)
    data = await state.get_data()
    if _PENDING in data:
        data.pop(_PENDING)
        await state.set_data(data)


def _sentence(error: DomainError) -> Text:
    if isinstance(error, ValidationFailed) and error.errors:
        return Text(
            " ".join(e.message.ru for e in error.errors),
            " ".join(e.message.en for e in error.errors),
        )
    return error.message


def _show_in_place(query: CallbackQuery, replies: Replies, screen: Screen) -> None:
    if query.message is not None:
        replies.edit(query.message.message_id, screen.text, reply_markup=screen.keyboard)
    else:
        replies.say(screen.text, reply_markup=screen.keyboard)


def build() -> Router:
    router = Router(name="tasks")
    router.message.register(show_tasks, Command("tasks"))
    router.message.register(read_date, PickDate.waiting, F.text, ~F.text.startswith("/"))
    router.callback_query.register(act_on_task, TaskAction.filter())
    router.callback_query.register(act_on_reminder, ReminderAction.filter())
    router.callback_query.register(turn_page, TaskPage.filter())
    router.callback_query.register(cancel_date, CancelPickDate.filter())
    return router
