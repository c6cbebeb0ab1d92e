"""`/new`: a contact, company or deal created from the chat, one question at a time.

`/new` (or `/new контакт|компания|сделка`, `/new contact|company|deal`) asks what to create,
then each field in turn (an FSM state per field):

- contact: name, phone, email, company (found by name or INN; the company in context offered);
- company: name, INN, KPP (asked only for a 10-digit INN);
- deal: title, client (a contact or company found by a few words; the one in context offered),
  amount.

Each answer is checked at once by the operation's own rules (`check_contact_values`,
`check_company_values`, `check_deal_values`): a refused one gets the domain's sentence and the
same question again. Optional fields have Skip. A summary comes last, with Create. A duplicate
(`Conflict`) shows the matching records with Open (`callbacks.OpenCard`) and Create anyway
(`force=True`). Nothing is written before Create; Cancel and /cancel drop the draft.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

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
from bots.telegram.callbacks import OpenCard, StartLog
from bots.telegram.handlers.cancel import CaptureCancel
from bots.telegram.replies import Replies, pressed_message
from bots.telegram.staging import UpdateFiles
from models.actor import Actor
from models.entities import Company, Contact, Deal
from models.errors import Conflict, NotFound, ValidationFailed
from models.ops.companies import check_company_values, create_company
from models.ops.contacts import check_contact_values, create_contact
from models.ops.deals import check_deal_values, create_deal
from models.ops.duplicates import contact_label
from models.queries.pick import MAX_ID, Choice, choice_of, pick_clients, pick_companies
from models.rules.money import from_minor
from models.text import Text

Kind = Literal["contact", "company", "deal"]


class NewStates(StatesGroup):
    kind = State()
    name = State()
    phone = State()
    email = State()
    company = State()
    company_name = State()
    inn = State()
    kpp = State()
    title = State()
    client = State()
    amount = State()
    confirm = State()
    duplicate = State()


class NewKind(CallbackData, prefix="new.kind"):
    kind: Kind


class NewSkip(CallbackData, prefix="new.skip"):
    step: str


class NewPick(CallbackData, prefix="new.pick"):
    """A company for a contact, or a client for a deal, from a search or the context."""

    step: Literal["company", "client"]
    kind: Literal["contact", "company"]
    id: int = Field(ge=1, le=MAX_ID)


class NewDo(CallbackData, prefix="new.do"):
    action: Literal["create", "force"]
    rev: int


STEPS: dict[str, tuple[str, ...]] = {
    "contact": ("name", "phone", "email", "company"),
    "company": ("company_name", "inn", "kpp"),
    "deal": ("title", "client", "amount"),
}
OPTIONAL = frozenset({"phone", "email", "company", "inn", "kpp", "amount"})
_STATES: dict[str, State] = {
    step: getattr(NewStates, step) for steps in STEPS.values() for step in steps
}
_STEP_OF_STATE = {state.state: step for step, state in _STATES.items()}
_KIND_WORDS: dict[str, Kind] = {
    "contact": "contact",
    "контакт": "contact",
    "company": "company",
    "компания": "company",
    "компанию": "company",
    "deal": "deal",
    "сделка": "deal",
    "сделку": "deal",
}
# The step that asks for a field a create refused.
_FIELD_STEPS = {
    "first_name": "name",
    "last_name": "name",
    "phones": "phone",
    "emails": "email",
    "name": "company_name",
    "inn": "inn",
    "kpp": "kpp",
    "title": "title",
    "amount": "amount",
    "currency": "amount",
    "contact_id": "client",
}
# What each step sets in the create's values (cleared again by Skip).
_STEP_FIELDS = {
    "name": ("first_name", "last_name"),
    "phone": ("phones",),
    "email": ("emails",),
    "company": ("company_id",),
    "company_name": ("name",),
    "inn": ("inn", "kpp"),
    "kpp": ("kpp",),
    "title": ("title",),
    "client": ("contact_id", "company_id"),
    "amount": ("amount",),
}


# ---- keyboards --------------------------------------------------------------------------------


def _label(text: Text, language: str, **values: object) -> str:
    return texts.render(text, language, values, markup=False)


def kind_keyboard(language: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for kind in ("contact", "company", "deal"):
        builder.button(text=t.KIND_NAMES[kind].get(language), callback_data=NewKind(kind=kind))
    builder.button(text=t.CANCEL.get(language), callback_data=CaptureCancel(flow="new"))
    builder.adjust(3, 1)
    return builder.as_markup()


def step_keyboard(
    step: str, language: str, choices: Sequence[Choice] = (), suggested: Choice | None = None
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    rows: list[int] = []
    if suggested is not None:
        label = _label(t.IN_CONTEXT, language, label=suggested.label)
        builder.button(text=label, callback_data=_pick(step, suggested))
        rows.append(1)
    for choice in choices:
        builder.button(text=choice.label, callback_data=_pick(step, choice))
        rows.append(1)
    if step in OPTIONAL:
        builder.button(text=t.SKIP.get(language), callback_data=NewSkip(step=step))
    builder.button(text=t.CANCEL.get(language), callback_data=CaptureCancel(flow="new"))
    rows.append(2 if step in OPTIONAL else 1)
    builder.adjust(*rows)
    return builder.as_markup()


def _pick(step: str, choice: Choice) -> NewPick:
    kind: Any = choice.kind  # a contact or company: the searches find nothing else
    target: Any = step
    return NewPick(step=target, kind=kind, id=choice.id)


def summary_keyboard(rev: int, language: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=t.NEW_CREATE.get(language), callback_data=NewDo(action="create", rev=rev))
    builder.button(text=t.CANCEL.get(language), callback_data=CaptureCancel(flow="new"))
    return builder.as_markup()


def duplicate_keyboard(error: Conflict, rev: int, language: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for candidate in error.candidates[:3]:
        label = _label(t.OPEN_EXISTING, language, label=candidate.label)
        builder.button(text=label, callback_data=OpenCard(kind=candidate.entity, id=candidate.id))
    builder.button(text=t.CREATE_ANYWAY.get(language), callback_data=NewDo(action="force", rev=rev))
    builder.button(text=t.CANCEL.get(language), callback_data=CaptureCancel(flow="new"))
    builder.adjust(1)
    return builder.as_markup()


def created_keyboard(kind: str, object_id: int, language: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=t.OPEN_CARD.get(language), callback_data=OpenCard(kind=kind, id=object_id))
    builder.button(text=t.LOG_BUTTON.get(language), callback_data=StartLog(kind=kind, id=object_id))
    builder.adjust(1)
    return builder.as_markup()


# ---- the draft ----------------------------------------------------------------------------------


def _next_step(kind: str, after: str | None, values: dict[str, Any]) -> str | None:
    steps = STEPS[kind]
    start = 0 if after is None else steps.index(after) + 1
    for step in steps[start:]:
        if step == "kpp" and len(str(values.get("inn") or "")) != 10:
            continue  # no INN, or a sole trader's: no KPP
        return step
    return None


async def _suggestion(actor: Actor, state: FSMContext, step: str) -> Choice | None:
    """The client in context, when it fits the question (a company for a contact; a contact or
    company for a deal)."""
    fits = {"company": ("company",), "client": ("contact", "company")}.get(step)
    here = await context.current(state)
    if fits is None or here is None or here.kind not in fits:
        return None
    try:
        return await choice_of(actor, here.kind, here.id)
    except NotFound:
        return None


async def _ask(
    actor: Actor,
    replies: Replies,
    state: FSMContext,
    step: str,
    *,
    problem: Text | None = None,
    message_id: int | None = None,
) -> None:
    await state.set_state(_STATES[step])
    keyboard = step_keyboard(step, replies.language, [], await _suggestion(actor, state, step))
    question = t.NEW_QUESTIONS[step]
    capture.ask(replies, question, keyboard, problem=problem, message_id=message_id)


def _with_kind(text: Text, kind: str) -> Text:
    """`text` with its {kind} put in, in each language; other placeholders stay."""
    name = t.KIND_NAMES[kind]
    return Text(
        text.ru.replace("{kind}", name.ru.lower()), text.en.replace("{kind}", name.en.lower())
    )


def _summary(draft: dict[str, Any]) -> Text:
    kind = draft["kind"]
    shown: dict[str, str] = draft.get("shown", {})
    rows: list[tuple[Text, Text | str]] = [
        (t.NEW_LABELS[step], shown[step]) for step in STEPS[kind] if shown.get(step)
    ]
    return t.block(_with_kind(t.NEW_SUMMARY, kind), rows)


async def _show_summary(
    replies: Replies, state: FSMContext, draft: dict[str, Any], message_id: int | None
) -> None:
    draft["rev"] = int(draft.get("rev", 0)) + 1
    draft.pop("fixing", None)
    await capture.store(state, capture.NEW, draft)
    await state.set_state(NewStates.confirm)
    keyboard = summary_keyboard(draft["rev"], replies.language)
    replies.show(message_id, _summary(draft), reply_markup=keyboard)


async def _advance(
    actor: Actor,
    replies: Replies,
    state: FSMContext,
    draft: dict[str, Any],
    step: str,
    message_id: int | None = None,
) -> None:
    """After `step` was answered or skipped: the next question, or the summary."""
    following = None if draft.get("fixing") else _next_step(draft["kind"], step, draft["values"])
    if following is None:
        await _show_summary(replies, state, draft, message_id)
        return
    await capture.store(state, capture.NEW, draft)
    await _ask(actor, replies, state, following, message_id=message_id)


async def _answer(
    actor: Actor, step: str, text: str, values: dict[str, Any]
) -> tuple[dict[str, Any], str]:
    """The values `text` sets for `step`, and how the summary shows them; ValidationFailed from
    the domain for a refused one."""
    if step == "name":
        first, _, last = " ".join(text.split()).partition(" ")
        checked = await check_contact_values(actor, {"first_name": first, "last_name": last})
        given = {"first_name": checked["first_name"], "last_name": checked["last_name"]}
        return given, " ".join(p for p in (given["first_name"], given["last_name"]) if p)
    if step in ("phone", "email"):
        name = "phones" if step == "phone" else "emails"
        checked = await check_contact_values(actor, {name: [text]})
        return {name: checked[name]}, ", ".join(checked[name])
    if step in ("company_name", "inn", "kpp"):
        field = {"company_name": "name", "inn": "inn", "kpp": "kpp"}[step]
        given = {"inn": values.get("inn"), "kpp": text} if step == "kpp" else {field: text}
        checked = await check_company_values(actor, given)
        return {field: checked[field]}, str(checked[field])
    if step == "title":
        checked = await check_deal_values(actor, {"title": text})
        return {"title": checked["title"]}, checked["title"]
    assert step == "amount"
    checked = await check_deal_values(actor, {"amount": text})
    minor = checked.get("amount_minor")
    if minor is None:
        return {}, ""
    amount = from_minor(minor, "RUB")
    return {"amount": str(amount)}, t.money_text(amount, actor.language)


def _refused_step(kind: str, error: ValidationFailed) -> str | None:
    for item in error.errors:
        name = item.field.split(".", 1)[0]
        step = _FIELD_STEPS.get(name)
        if name == "company_id":
            step = "company" if kind == "contact" else "client"
        if step in STEPS[kind]:
            return step
    return None


async def _create(
    actor: Actor, draft: dict[str, Any], *, force: bool
) -> tuple[Contact | Company | Deal, str]:
    kind, values = draft["kind"], dict(draft["values"])
    if kind == "contact":
        contact = await create_contact(actor, values, force=force)
        return contact, contact_label(contact)
    if kind == "company":
        company = await create_company(actor, values, force=force)
        return company, company.name
    deal = await create_deal(actor, values)
    return deal, deal.title


def _duplicate_text(error: Conflict) -> Text:
    def lines(language: str) -> str:
        out = [t.DUPLICATE_TITLE.get(language)]
        for candidate in error.candidates:
            on, _, value = candidate.matched_on.partition(":")
            matched = t.MATCHED_ON.get(on)
            shown = f"• {candidate.label}"
            if matched is not None:
                shown += f" — {matched.get(language)} {value}"
            out.append(shown)
        if error.hidden:
            out.append(t.DUPLICATE_HIDDEN.get(language).format(count=error.hidden))
        out.append(t.DUPLICATE_QUESTION.get(language))
        return "\n".join(out)

    return Text(lines("ru"), lines("en"))


# ---- handlers -----------------------------------------------------------------------------------


async def start(
    message: Message,
    command: CommandObject,
    actor: Actor,
    replies: Replies,
    state: FSMContext,
    update_files: UpdateFiles,
) -> None:
    replaced = await capture.give_up(state, capture.LOG, update_files.data_dir)
    await capture.give_up(state, capture.NEW, update_files.data_dir)
    if replaced:
        replies.say(t.LOG_REPLACED)
    kind = _KIND_WORDS.get((command.args or "").strip().lower())
    if kind is None:
        await state.set_state(NewStates.kind)
        replies.say(t.NEW_WHAT, reply_markup=kind_keyboard(replies.language))
        return
    await _begin(actor, replies, state, kind, None)


async def _begin(
    actor: Actor, replies: Replies, state: FSMContext, kind: str, message_id: int | None
) -> None:
    draft: dict[str, Any] = {"kind": kind, "values": {}, "shown": {}, "rev": 0}
    await capture.store(state, capture.NEW, draft)
    first = _next_step(kind, None, {})
    assert first is not None
    await _ask(actor, replies, state, first, message_id=message_id)


async def choose_kind(
    query: CallbackQuery,
    callback_data: NewKind,
    actor: Actor,
    replies: Replies,
    state: FSMContext,
) -> None:
    message_id = pressed_message(query)
    await _begin(actor, replies, state, callback_data.kind, message_id)


async def answer(message: Message, actor: Actor, replies: Replies, state: FSMContext) -> None:
    step = _STEP_OF_STATE.get(await state.get_state() or "")
    draft = await capture.load(state, capture.NEW)
    if step is None or draft is None:
        await capture.finish(state, capture.NEW)
        replies.say(texts.NOT_UNDERSTOOD)
        return
    text = (message.text or "").strip()
    if step in ("company", "client"):
        await _search(actor, replies, state, step, text)
        return
    try:
        given, shown = await _answer(actor, step, text, draft["values"])
    except ValidationFailed as refused:
        await _ask(actor, replies, state, step, problem=capture.problem_of(refused))
        return
    draft["values"].update(given)
    draft["shown"][step] = shown
    if step == "inn" and len(str(given.get("inn") or "")) != 10:
        draft["values"].pop("kpp", None)
        draft["shown"].pop("kpp", None)
    await _advance(actor, replies, state, draft, step)


async def _search(actor: Actor, replies: Replies, state: FSMContext, step: str, text: str) -> None:
    if step == "company":
        choices = await pick_companies(actor, text)
    else:
        choices = await pick_clients(actor, text)
    if not choices:
        problem = t.NOTHING_FOUND.format(text=text)
        await _ask(actor, replies, state, step, problem=problem)
        return
    replies.say(t.FOUND, reply_markup=step_keyboard(step, replies.language, choices))


async def pick(
    query: CallbackQuery,
    callback_data: NewPick,
    actor: Actor,
    replies: Replies,
    state: FSMContext,
) -> None:
    step = callback_data.step
    draft = await capture.load(state, capture.NEW)
    if draft is None or await state.get_state() != _STATES[step].state:
        replies.notify(texts.STALE_BUTTON, alert=True)
        return
    if step == "company" and callback_data.kind != "company":
        replies.notify(texts.STALE_BUTTON, alert=True)
        return
    try:
        choice = await choice_of(actor, callback_data.kind, callback_data.id)
    except NotFound:
        replies.notify(t.NOT_AVAILABLE, alert=True)
        return
    for name in _STEP_FIELDS[step]:
        draft["values"].pop(name, None)
    draft["values"][f"{choice.kind}_id"] = choice.id
    draft["shown"][step] = choice.label
    message_id = pressed_message(query)
    await _advance(actor, replies, state, draft, step, message_id)


async def skip(
    query: CallbackQuery,
    callback_data: NewSkip,
    actor: Actor,
    replies: Replies,
    state: FSMContext,
) -> None:
    step = callback_data.step
    draft = await capture.load(state, capture.NEW)
    state_now = await state.get_state()
    if draft is None or step not in OPTIONAL or state_now != _STATES[step].state:
        replies.notify(texts.STALE_BUTTON, alert=True)
        return
    for name in _STEP_FIELDS[step]:
        draft["values"].pop(name, None)
    draft["shown"].pop(step, None)
    if step == "inn":
        draft["shown"].pop("kpp", None)
    message_id = pressed_message(query)
    await _advance(actor, replies, state, draft, step, message_id)


async def create(
    query: CallbackQuery,
    callback_data: NewDo,
    actor: Actor,
    replies: Replies,
    state: FSMContext,
) -> None:
    draft = await capture.load(state, capture.NEW)
    wanted = NewStates.duplicate if callback_data.action == "force" else NewStates.confirm
    if (
        draft is None
        or await state.get_state() != wanted.state
        or draft.get("rev") != (callback_data.rev)
    ):
        replies.notify(texts.STALE_BUTTON, alert=True)
        return
    message_id = pressed_message(query)
    try:
        record, label = await _create(actor, draft, force=callback_data.action == "force")
    except Conflict as duplicate:
        await state.set_state(NewStates.duplicate)
        keyboard = duplicate_keyboard(duplicate, draft["rev"], replies.language)
        replies.show(message_id, _duplicate_text(duplicate), reply_markup=keyboard)
        return
    except ValidationFailed as refused:
        step = _refused_step(draft["kind"], refused)
        if step is None:
            raise
        draft["fixing"] = True
        await capture.store(state, capture.NEW, draft)
        await _ask(actor, replies, state, step, problem=capture.problem_of(refused))
        return
    kind = draft["kind"]
    await capture.finish(state, capture.NEW)
    await context.remember(state, kind, record.id)
    done = _with_kind(t.NEW_CREATED, kind)
    keyboard = created_keyboard(kind, record.id, replies.language)
    replies.show(message_id, done, reply_markup=keyboard, label=label)


def build() -> Router:
    router = Router(name="new")
    router.message.register(start, Command("new"))
    router.callback_query.register(choose_kind, NewKind.filter(), StateFilter(NewStates.kind))
    router.callback_query.register(pick, NewPick.filter())
    router.callback_query.register(skip, NewSkip.filter())
    router.callback_query.register(create, NewDo.filter())
    router.message.register(answer, StateFilter(*_STATES.values()), F.text, ~F.text.startswith("/"))
    return router
