"""Task lists in the chat (`/today`, `/tasks`): their buttons, and how they are drawn.

A list is one message: a numbered line per task, and per task a row of buttons
`N. Done · +1 h · Tomorrow · Date…`. A button names the task and the list it sits on (the day,
or a `/tasks` page by where that page starts), so that after the change the same message is
drawn again from the database, in place. Every payload can be forged: the handlers pass the
task id to the domain operations, which find only tasks the actor may see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder
from pydantic import Field

from bots.telegram import formats
from bots.telegram import texts_work as t
from bots.telegram.callbacks import OpenCard
from bots.telegram.texts import render
from models.actor import Actor
from models.clock import now
from models.entities import Deal, Task
from models.queries.paging import Page
from models.queries.tasks import MY_TASKS_DATED, MY_TASKS_UNDATED
from models.queries.today import MyDay
from models.rules.digits import MAX_ID
from models.text import Text

MAX_MICROS = 253_402_300_799_999_999  # 9999-12-31T23:59:59.999999Z in microseconds
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
PAGE_SIZE = 10  # tasks per /tasks message
TODAY_TASKS = 15  # task rows on /today (4 buttons each; a message takes at most 100)
TODAY_DEALS = 10
TITLE_LIMIT = 60

View = Literal["d", "t"]  # d: the /today message; t: a /tasks page
DAY: View = "d"
TASKS: View = "t"


class TaskAction(CallbackData, prefix="tsk"):
    """A task button: `act` on task `id`, pressed on the list `view` (a /tasks page starts after
    `due` (µs since the epoch, or none) and task `after`; 0: the first page)."""

    act: Literal["done", "hour", "tmrw", "date"]
    id: int = Field(ge=1, le=MAX_ID)
    view: View
    due: int | None = Field(default=None, ge=0, le=MAX_MICROS)
    after: int = Field(default=0, ge=0, le=MAX_ID)


class TaskPage(CallbackData, prefix="tsp"):
    """A /tasks page: the tasks after (`due`, `after`); `after` 0 is the first page."""

    due: int | None = Field(default=None, ge=0, le=MAX_MICROS)
    after: int = Field(default=0, ge=0, le=MAX_ID)


class CancelPickDate(CallbackData, prefix="tsx"):
    """Give up typing a date for a task."""


@dataclass(frozen=True, slots=True)
class PageStart:
    """Where a /tasks page starts, as packed into buttons: after the task `after` (0: from the
    beginning), due at `due` µs since the epoch, or in the undated part when `due` is None."""

    due: int | None = None
    after: int = 0

    def cursor(self) -> list[Any] | None:
        """As a cursor of `my_open_tasks`."""
        if self.after == 0:
            return None
        if self.due is None:
            return [MY_TASKS_UNDATED.token, self.after, self.after]
        moment = EPOCH + timedelta(microseconds=self.due)
        return [MY_TASKS_DATED.token, moment.isoformat(), self.after]

    @classmethod
    def of(cls, cursor: list[Any] | None) -> PageStart:
        """From a `my_open_tasks` cursor (`next_after`)."""
        if cursor is None:
            return cls()
        token, value, last_id = cursor
        if token == MY_TASKS_UNDATED.token:
            return cls(None, last_id)
        due = datetime.fromisoformat(value) - EPOCH
        return cls(due // timedelta(microseconds=1), last_id)


@dataclass(frozen=True, slots=True)
class ListRef:
    """The list a task button sits on."""

    view: View
    start: PageStart = PageStart()

    @classmethod
    def of(cls, action: TaskAction) -> ListRef:
        return cls(action.view, PageStart(action.due, action.after))


@dataclass(frozen=True, slots=True)
class Screen:
    """A message drawn in the reader's language: HTML text and its buttons."""

    body: str
    keyboard: InlineKeyboardMarkup | None = None

    @property
    def text(self) -> Text:
        """For `Replies.say`/`edit`: already in one language, its values already escaped."""
        return Text(self.body, self.body)


@dataclass(frozen=True, slots=True)
class Reader:
    """Who reads: their language, their zone, and "now" for relative days."""

    language: str
    timezone: str
    now: datetime

    @classmethod
    def of(cls, actor: Actor, language: str, at: datetime | None = None) -> Reader:
        return cls(language, actor.timezone, at or now())

    def render(self, text: Text, **values: object) -> str:
        return render(text, self.language, values)

    def when(self, at: datetime) -> str:
        return formats.when(at, self.timezone, self.language, now=self.now)

    def moment(self, at: datetime) -> str:
        return formats.moment(at, self.timezone, self.language, now=self.now)


def _task_line(reader: Reader, n: int, task: Task, *, mark_overdue: bool) -> str:
    title = formats.shorten(task.title, TITLE_LIMIT)
    if task.due_at is None:
        return reader.render(t.TASK_LINE_UNDATED, n=n, title=title)
    overdue = mark_overdue and task.due_at < reader.now
    line = t.TASK_LINE_OVERDUE if overdue else t.TASK_LINE
    return reader.render(line, n=n, title=title, when=reader.when(task.due_at))


def _task_buttons(reader: Reader, n: int, task: Task, where: ListRef) -> list[InlineKeyboardButton]:
    def button(label: Text, act: Literal["done", "hour", "tmrw", "date"]) -> InlineKeyboardButton:
        data = TaskAction(
            act=act, id=task.id, view=where.view, due=where.start.due, after=where.start.after
        )
        text = render(label, reader.language, {"n": n}, markup=False)
        return InlineKeyboardButton(text=text, callback_data=data.pack())

    return [
        button(t.DONE_BUTTON, "done"),
        button(t.HOUR_BUTTON, "hour"),
        button(t.TOMORROW_BUTTON, "tmrw"),
        button(t.PICK_BUTTON, "date"),
    ]


def _stuck_line(reader: Reader, deal: Deal) -> str:
    stage = deal.stage
    in_stage = max((reader.now - deal.stage_entered_at).days, 0)
    return reader.render(
        t.STUCK_LINE,
        title=formats.shorten(deal.title, TITLE_LIMIT),
        stage=formats.shorten(stage.name, 40),
        days=formats.days(in_stage, reader.language),
        planned=formats.days(stage.planned_days or 0, reader.language),
    )


def _deal_button(reader: Reader, deal: Deal) -> InlineKeyboardButton:
    title = formats.shorten(deal.title, 40)
    return InlineKeyboardButton(
        text=render(t.DEAL_BUTTON, reader.language, {"title": title}, markup=False),
        callback_data=OpenCard(kind="deal", id=deal.id).pack(),
    )


def today_screen(day: MyDay, reader: Reader) -> Screen:
    """/today: overdue tasks, tasks due later today, deals over their stage time."""
    tasks = day.overdue_tasks + day.due_today
    if not tasks and not day.stuck_deals:
        return Screen(reader.render(t.TODAY_NOTHING))
    day_title = formats.day_title(reader.now, reader.timezone, reader.language)
    lines = [reader.render(t.TODAY_TITLE, day=day_title)]
    builder = InlineKeyboardBuilder()
    where = ListRef(DAY)
    n = 0
    for title, section in ((t.TODAY_OVERDUE, day.overdue_tasks), (t.TODAY_DUE, day.due_today)):
        listed = section[: max(TODAY_TASKS - n, 0)]
        if listed:
            lines += ["", reader.render(title)]
        for task in listed:
            n += 1
            lines.append(_task_line(reader, n, task, mark_overdue=False))  # the section says
            builder.row(*_task_buttons(reader, n, task, where))
    if len(tasks) > n:
        lines.append(reader.render(t.TODAY_MORE_TASKS, count=len(tasks) - n))
    if day.stuck_deals:
        lines += ["", reader.render(t.TODAY_STUCK)]
        for deal in day.stuck_deals[:TODAY_DEALS]:
            lines.append(_stuck_line(reader, deal))
            builder.row(_deal_button(reader, deal))
        if len(day.stuck_deals) > TODAY_DEALS:
            more = len(day.stuck_deals) - TODAY_DEALS
            lines.append(reader.render(t.TODAY_MORE_DEALS, count=more))
    return Screen("\n".join(lines), builder.as_markup())


def tasks_screen(page: Page[Task], total: int, start: PageStart, reader: Reader) -> Screen:
    """A /tasks page: up to PAGE_SIZE tasks, More when there are others after them, and a way
    back to the first page from the others."""
    if total == 0 or (not page.items and start.after == 0):
        return Screen(reader.render(t.TASKS_NONE))
    lines = [reader.render(t.TASKS_TITLE, count=total)]
    if page.items:
        lines.append("")
    builder = InlineKeyboardBuilder()
    where = ListRef(TASKS, start)
    for n, task in enumerate(page.items, start=1):
        lines.append(_task_line(reader, n, task, mark_overdue=True))
        builder.row(*_task_buttons(reader, n, task, where))
    navigation = []
    if start.after != 0:
        navigation.append(_page_button(reader, t.TASKS_FIRST_BUTTON, PageStart()))
    if page.next_after is not None:
        navigation.append(_page_button(reader, t.TASKS_MORE_BUTTON, PageStart.of(page.next_after)))
    if navigation:
        builder.row(*navigation)
    return Screen("\n".join(lines), builder.as_markup())


def _page_button(reader: Reader, label: Text, start: PageStart) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=label.get(reader.language),
        callback_data=TaskPage(due=start.due, after=start.after).pack(),
    )


def cancel_keyboard(language: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=t.PICK_CANCEL_BUTTON.get(language), callback_data=CancelPickDate())
    return builder.as_markup()
