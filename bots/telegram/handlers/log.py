"""`/log`: a call, meeting, visit or note about a client or deal, written as a draft and saved
only when the manager says so.

The target is the one the manager names (`/log Петров`, then a button), or the client or deal in
context (`context.current`), or the one whose card's Log button was pressed
(`callbacks.StartLog`). Then, one FSM state each: what happened (buttons), the outcome (text),
the next step (a task title, optional) and when (read by `parse_when` in the user's time zone).
The draft is shown with Save · Edit · Cancel: nothing is written before Save. Save logs the
interaction (`log_interaction`), creates the next step's task (`create_task`) and stores the
files sent meanwhile (`save_attachments`), all in the update's one transaction, then keeps the
target in context. Buttons carry the draft's revision, so an older copy of the draft cannot save
what it does not show.
"""

from __future__ import annotations

import asyncio
import html
from datetime import UTC, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from pydantic import Field

from bots.telegram import capture, context, texts
from bots.telegram import texts_capture as t
from bots.telegram.callbacks import StartLog
from bots.telegram.handlers.cancel import CaptureCancel
from bots.telegram.replies import Replies, pressed_message
from bots.telegram.staging import UpdateFiles
from models.actor import Actor
from models.clock import now
from models.errors import NotFound, ValidationFailed
from models.ops.attachments import StagedFile, save_attachments
from models.ops.interactions import check_outcome, log_interaction
from models.ops.tasks import check_task_values, create_task
from models.queries.pick import KINDS, MAX_ID, Choice, choice_of, pick_clients_and_deals
from models.rules.when import parse_when
from models.text import Text

LogKindName = Literal["call", "meeting", "visit", "note"]


class LogStates(StatesGroup):
    target = State()
    kind = State()
    outcome = State()
    next_step = State()
    due = State()
    draft = State()


class LogTarget(CallbackData, prefix="log.to"):
    kind: Literal["contact", "company", "deal"]
    id: int = Field(ge=1, le=MAX_ID)


class LogKind(CallbackData, prefix="log.kind"):
    kind: LogKindName


class LogNoNext(CallbackData, prefix="log.nonext"):
    pass


class LogDo(CallbackData, prefix="log.do"):
    """A button of the draft (`save`, `edit`) or of its edit menu (`back`)."""

    action: Literal["save", "edit", "back"]
    rev: int


class LogEdit(CallbackData, prefix="log.edit"):
    field: Literal["kind", "outcome", "next", "due"]
    rev: int


# ---- keyboards --------------------------------------------------------------------------------


def _cancel(builder: InlineKeyboardBuilder, language: str) -> None:
    builder.button(text=t.CANCEL.get(language), callback_data=CaptureCancel(flow="log"))


def targets_keyboard(choices: list[Choice], language: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for choice in choices:
        kind: Any = choice.kind
        builder.button(text=choice.label, callback_data=LogTarget(kind=kind, id=choice.id))
    _cancel(builder, language)
    builder.adjust(1)
    return builder.as_markup()


def kinds_keyboard(language: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for kind, name in t.LOG_KINDS.items():
        builder.button(text=name.get(language), callback_data=LogKind(kind=kind))  # type: ignore[arg-type]
    _cancel(builder, language)
    builder.adjust(2, 2, 1)
    return builder.as_markup()


def cancel_keyboard(language: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    _cancel(builder, language)
    return builder.as_markup()


def next_keyboard(language: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=t.LOG_NO_NEXT.get(language), callback_data=LogNoNext())
    _cancel(builder, language)
    builder.adjust(1)
    return builder.as_markup()


def draft_keyboard(rev: int, language: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=t.LOG_SAVE.get(language), callback_data=LogDo(action="save", rev=rev))
    builder.button(text=t.LOG_EDIT.get(language), callback_data=LogDo(action="edit", rev=rev))
    _cancel(builder, language)
    builder.adjust(2, 1)
    return builder.as_markup()


def edit_keyboard(draft: dict[str, Any], language: str) -> InlineKeyboardMarkup:
    rev = int(draft["rev"])
    builder = InlineKeyboardBuilder()
    fields: list[Literal["kind", "outcome", "next", "due"]] = ["kind", "outcome", "next"]
    if draft.get("next"):
        fields.append("due")
    for name in fields:
        label = t.LOG_EDIT_FIELDS[name].get(language)
        builder.button(text=label, callback_data=LogEdit(field=name, rev=rev))
    label = t.LOG_EDIT_FIELDS["back"].get(language)
    builder.button(text=label, callback_data=LogDo(action="back", rev=rev))
    builder.adjust(2, 2, 1)
    return builder.as_markup()


# ---- the draft ----------------------------------------------------------------------------------


def _due(draft: dict[str, Any]) -> datetime | None:
    raw = draft.get("due")
    return datetime.fromisoformat(raw) if isinstance(raw, str) else None


def draft_text(draft: dict[str, Any], actor: Actor) -> Text:
    target = draft["target"]
    kind = t.LOG_KINDS[draft["kind"]]
    rows: list[tuple[Text, Text | str]] = [
        (t.LOG_LABELS["deal" if target["kind"] == "deal" else "target"], target["label"]),
        (t.LOG_LABELS["kind"], kind),
        (t.LOG_LABELS["outcome"], draft.get("outcome") or "—"),
    ]
    due = _due(draft)
    if draft.get("next") and due is not None:
        title = str(draft["next"])
        rows.append(
            (
                t.LOG_LABELS["next"],
                Text(
                    f"{_escape(title)} — {t.due_text(due, actor.timezone, 'ru', now=now())}",
                    f"{_escape(title)} — {t.due_text(due, actor.timezone, 'en', now=now())}",
                ),
            )
        )
    else:
        rows.append((t.LOG_LABELS["next"], t.LOG_NO_NEXT_SHOWN))
    files = capture.draft_files(draft)
    if files:
        rows.append((t.LOG_LABELS["files"], str(len(files))))
    return t.block(t.LOG_DRAFT, rows)


def _escape(value: str) -> str:
    return html.escape(value, quote=False)


async def show_draft(
    actor: Actor,
    replies: Replies,
    state: FSMContext,
    draft: dict[str, Any],
    message_id: int | None = None,
) -> None:
    """The draft with Save · Edit · Cancel, as a new revision (older copies' buttons go stale)."""
    draft["rev"] = int(draft.get("rev", 0)) + 1
    draft["editing"] = False
    await capture.store(state, capture.LOG, draft)
    await state.set_state(LogStates.draft)
    keyboard = draft_keyboard(draft["rev"], replies.language)
    replies.show(message_id, draft_text(draft, actor), reply_markup=keyboard)


async def _begin(
    replies: Replies, state: FSMContext, choice: Choice, message_id: int | None = None
) -> None:
    draft: dict[str, Any] = {
        "target": {"kind": choice.kind, "id": choice.id, "label": choice.label},
        "kind": None,
        "outcome": None,
        "next": None,
        "due": None,
        "files": [],
        "rev": 0,
        "editing": False,
    }
    await capture.store(state, capture.LOG, draft)
    await _ask_kind(replies, state, choice.label, message_id)


async def _ask_kind(
    replies: Replies, state: FSMContext, label: str, message_id: int | None = None
) -> None:
    await state.set_state(LogStates.kind)
    keyboard = kinds_keyboard(replies.language)
    replies.show(message_id, t.LOG_KIND, reply_markup=keyboard, label=label)


async def _ask_outcome(
    replies: Replies,
    state: FSMContext,
    draft: dict[str, Any],
    *,
    problem: Text | None = None,
    message_id: int | None = None,
) -> None:
    await state.set_state(LogStates.outcome)
    kind = draft["kind"]
    label = draft["target"]["label"]
    question = t.LOG_NOTE_TEXT if kind == "note" else t.LOG_OUTCOME
    values = {"label": label, "kind": t.LOG_KINDS[kind].get(replies.language)}
    keyboard = cancel_keyboard(replies.language)
    capture.ask(replies, question, keyboard, problem=problem, message_id=message_id, **values)


async def _ask_next(
    replies: Replies,
    state: FSMContext,
    *,
    problem: Text | None = None,
    message_id: int | None = None,
) -> None:
    await state.set_state(LogStates.next_step)
    keyboard = next_keyboard(replies.language)
    capture.ask(replies, t.LOG_NEXT, keyboard, problem=problem, message_id=message_id)


async def _ask_due(
    replies: Replies,
    state: FSMContext,
    *,
    problem: Text | None = None,
    message_id: int | None = None,
) -> None:
    await state.set_state(LogStates.due)
    keyboard = cancel_keyboard(replies.language)
    capture.ask(replies, t.LOG_WHEN, keyboard, problem=problem, message_id=message_id)


async def _current_draft(state: FSMContext, expected: State) -> dict[str, Any] | None:
    if await state.get_state() != expected.state:
        return None
    return await capture.load(state, capture.LOG)


# ---- starting -----------------------------------------------------------------------------------


async def _start_over(replies: Replies, state: FSMContext, files: UpdateFiles) -> None:
    """A new /log replaces whatever capture was in progress."""
    replaced = await capture.give_up(state, capture.LOG, files.data_dir)
    await capture.give_up(state, capture.NEW, files.data_dir)
    if replaced:
        replies.say(t.LOG_REPLACED)


async def start(
    message: Message,
    command: CommandObject,
    actor: Actor,
    replies: Replies,
    state: FSMContext,
    update_files: UpdateFiles,
) -> None:
    wanted = (command.args or "").strip()
    here = await context.current(state)
    choice: Choice | None = None
    if not wanted and here is not None:
        try:
            choice = await choice_of(actor, here.kind, here.id)
        except NotFound:
            choice = None
    await _start_over(replies, state, update_files)
    if choice is not None:
        await _begin(replies, state, choice)
        return
    await state.set_state(LogStates.target)
    if wanted:
        await _search(actor, replies, wanted)
        return
    replies.say(t.LOG_WHO, reply_markup=cancel_keyboard(replies.language))


async def _search(actor: Actor, replies: Replies, text: str) -> None:
    choices = await pick_clients_and_deals(actor, text)
    if not choices:
        problem = t.NOTHING_FOUND.format(text=text)
        capture.ask(replies, t.LOG_WHO, cancel_keyboard(replies.language), problem=problem)
        return
    replies.say(t.FOUND, reply_markup=targets_keyboard(choices, replies.language))


async def search_target(message: Message, actor: Actor, replies: Replies) -> None:
    await _search(actor, replies, (message.text or "").strip())


async def pick_target(
    query: CallbackQuery,
    callback_data: LogTarget,
    actor: Actor,
    replies: Replies,
    state: FSMContext,
) -> None:
    if await state.get_state() != LogStates.target.state:
        replies.notify(texts.STALE_BUTTON, alert=True)
        return
    try:
        choice = await choice_of(actor, callback_data.kind, callback_data.id)
    except NotFound:
        replies.notify(t.NOT_AVAILABLE, alert=True)
        return
    await _begin(replies, state, choice, pressed_message(query))


async def start_from_card(
    query: CallbackQuery,
    callback_data: StartLog,
    actor: Actor,
    replies: Replies,
    state: FSMContext,
    update_files: UpdateFiles,
) -> None:
    """The Log button of a card (another feature's message: answered with a new one)."""
    if callback_data.kind not in KINDS:
        replies.notify(texts.STALE_BUTTON, alert=True)
        return
    try:
        choice = await choice_of(actor, callback_data.kind, callback_data.id)
    except NotFound:
        replies.notify(t.NOT_AVAILABLE, alert=True)
        return
    await _start_over(replies, state, update_files)
    await _begin(replies, state, choice)


# ---- the steps ----------------------------------------------------------------------------------


async def choose_kind(
    query: CallbackQuery,
    callback_data: LogKind,
    actor: Actor,
    replies: Replies,
    state: FSMContext,
) -> None:
    draft = await _current_draft(state, LogStates.kind)
    if draft is None:
        replies.notify(texts.STALE_BUTTON, alert=True)
        return
    draft["kind"] = callback_data.kind
    if draft.get("editing"):
        await show_draft(actor, replies, state, draft, pressed_message(query))
        return
    await capture.store(state, capture.LOG, draft)
    await _ask_outcome(replies, state, draft, message_id=pressed_message(query))


async def write_outcome(
    message: Message, actor: Actor, replies: Replies, state: FSMContext
) -> None:
    draft = await capture.load(state, capture.LOG)
    if draft is None or draft.get("kind") is None:
        await capture.finish(state, capture.LOG)
        replies.say(texts.NOT_UNDERSTOOD)
        return
    try:
        draft["outcome"] = check_outcome(message.text or "")
    except ValidationFailed as refused:
        await _ask_outcome(replies, state, draft, problem=capture.problem_of(refused))
        return
    if draft.get("editing"):
        await show_draft(actor, replies, state, draft)
        return
    await capture.store(state, capture.LOG, draft)
    await _ask_next(replies, state)


async def write_next(message: Message, actor: Actor, replies: Replies, state: FSMContext) -> None:
    draft = await capture.load(state, capture.LOG)
    if draft is None:
        await capture.finish(state, capture.LOG)
        replies.say(texts.NOT_UNDERSTOOD)
        return
    try:
        checked = await check_task_values(actor, {"title": message.text or ""})
    except ValidationFailed as refused:
        await _ask_next(replies, state, problem=capture.problem_of(refused))
        return
    draft["next"] = checked["title"]
    await capture.store(state, capture.LOG, draft)
    await _ask_due(replies, state)


async def no_next_step(
    query: CallbackQuery, actor: Actor, replies: Replies, state: FSMContext
) -> None:
    draft = await _current_draft(state, LogStates.next_step)
    if draft is None:
        replies.notify(texts.STALE_BUTTON, alert=True)
        return
    draft["next"] = None
    draft["due"] = None
    await show_draft(actor, replies, state, draft, pressed_message(query))


async def write_due(message: Message, actor: Actor, replies: Replies, state: FSMContext) -> None:
    draft = await capture.load(state, capture.LOG)
    if draft is None or not draft.get("next"):
        await capture.finish(state, capture.LOG)
        replies.say(texts.NOT_UNDERSTOOD)
        return
    try:
        due = parse_when(
            message.text or "", now=now(), timezone=ZoneInfo(actor.timezone), field="due_at"
        )
    except ValidationFailed as refused:
        await _ask_due(replies, state, problem=capture.problem_of(refused))
        return
    draft["due"] = due.astimezone(UTC).isoformat()
    await show_draft(actor, replies, state, draft)


# ---- the draft's buttons ----------------------------------------------------------------------


async def draft_button(
    query: CallbackQuery,
    callback_data: LogDo,
    actor: Actor,
    replies: Replies,
    state: FSMContext,
    update_files: UpdateFiles,
) -> None:
    draft = await _current_draft(state, LogStates.draft)
    if draft is None:
        replies.notify(texts.STALE_BUTTON, alert=True)
        return
    if draft.get("rev") != callback_data.rev:
        replies.notify(t.LOG_DRAFT_CHANGED, alert=True)
        return
    message_id = pressed_message(query)
    if callback_data.action == "save":
        await _save(actor, replies, state, draft, update_files, message_id)
    elif callback_data.action == "edit":
        keyboard = edit_keyboard(draft, replies.language)
        replies.show(message_id, t.LOG_EDIT_WHAT, reply_markup=keyboard)
    else:
        keyboard = draft_keyboard(draft["rev"], replies.language)
        replies.show(message_id, draft_text(draft, actor), reply_markup=keyboard)


async def edit_field(
    query: CallbackQuery,
    callback_data: LogEdit,
    actor: Actor,
    replies: Replies,
    state: FSMContext,
) -> None:
    draft = await _current_draft(state, LogStates.draft)
    if draft is None:
        replies.notify(texts.STALE_BUTTON, alert=True)
        return
    if draft.get("rev") != callback_data.rev:
        replies.notify(t.LOG_DRAFT_CHANGED, alert=True)
        return
    field = callback_data.field
    if field == "due" and not draft.get("next"):
        replies.notify(texts.STALE_BUTTON, alert=True)
        return
    draft["editing"] = True
    await capture.store(state, capture.LOG, draft)
    message_id = pressed_message(query)
    if field == "kind":
        await _ask_kind(replies, state, draft["target"]["label"], message_id)
    elif field == "outcome":
        await _ask_outcome(replies, state, draft, message_id=message_id)
    elif field == "next":
        await _ask_next(replies, state, message_id=message_id)
    else:
        await _ask_due(replies, state, message_id=message_id)


async def _save(
    actor: Actor,
    replies: Replies,
    state: FSMContext,
    draft: dict[str, Any],
    files: UpdateFiles,
    message_id: int | None,
) -> None:
    target = draft["target"]
    link = {f"{target['kind']}_id": target["id"]}
    staged: list[StagedFile] = []
    lost = 0
    for entry in capture.draft_files(draft):
        try:
            staged.append(
                await asyncio.to_thread(
                    StagedFile.reopen,
                    files.data_dir,
                    str(entry.get("name")),
                    entry.get("file_name"),
                    entry.get("content_type"),
                    int(entry.get("size") or 0),
                    str(entry.get("sha256")),
                )
            )
        except FileNotFoundError:
            lost += 1
    interaction = await log_interaction(
        actor, {"kind": draft["kind"], "outcome": draft.get("outcome") or "", **link}
    )
    due = _due(draft)
    task = None
    if draft.get("next") and due is not None:
        task = await create_task(
            actor, {"title": draft["next"], "due_at": due, "remind_at": due, **link}
        )
    files.hold(staged)  # back to staging, and to the draft, if this update does not commit
    await save_attachments(actor, interaction.id, staged)
    await capture.finish(state, capture.LOG)
    await context.remember(state, target["kind"], target["id"])
    said = _saved_text(draft, actor, task is not None, len(staged), lost)
    replies.show(message_id, said)


def _saved_text(
    draft: dict[str, Any], actor: Actor, with_task: bool, stored: int, lost: int
) -> Text:
    kind = t.LOG_KINDS[draft["kind"]]
    label = _escape(draft["target"]["label"])

    def lines(language: str) -> str:
        out = [t.LOG_SAVED.get(language).format(kind=kind.get(language), label=label)]
        due = _due(draft)
        if with_task and due is not None:
            when = t.due_text(due, actor.timezone, language, now=now())
            title = _escape(str(draft["next"]))
            out.append(t.LOG_SAVED_TASK.get(language).format(title=title, when=when))
        if stored:
            out.append(t.LOG_SAVED_FILES.get(language).format(count=stored))
        if lost:
            out.append(t.LOG_FILES_LOST.get(language).format(count=lost))
        return "\n".join(out)

    return Text(lines("ru"), lines("en"))


def build() -> Router:
    router = Router(name="log")
    not_a_command = ~F.text.startswith("/")
    router.message.register(start, Command("log"))
    router.callback_query.register(start_from_card, StartLog.filter())
    router.callback_query.register(pick_target, LogTarget.filter())
    router.callback_query.register(choose_kind, LogKind.filter())
    router.callback_query.register(no_next_step, LogNoNext.filter())
    router.callback_query.register(draft_button, LogDo.filter())
    router.callback_query.register(edit_field, LogEdit.filter())
    router.message.register(search_target, StateFilter(LogStates.target), F.text, not_a_command)
    router.message.register(write_outcome, StateFilter(LogStates.outcome), F.text, not_a_command)
    router.message.register(write_next, StateFilter(LogStates.next_step), F.text, not_a_command)
    router.message.register(write_due, StateFilter(LogStates.due), F.text, not_a_command)
    return router
