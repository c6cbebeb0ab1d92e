"""Client and deal cards and their buttons.

- `OpenCard` sends the card as a new message (from /find, a list, another card) and puts the
  record in context (`context.remember`).
- `CardView` redraws the pressed message in place: the card, its open tasks, its history.
- `NextStage` moves a deal to its next open stage. Fields the stage requires and the deal lacks
  are asked one at a time (`CardInput.stage_value`); each answer is checked by the domain
  (`missing_to_enter`) before the next question, and the move is made with all of them and the
  version the card showed.
- `LoseDeal` puts the loss reasons in place of the card's buttons; `LossReasonPick` loses the
  deal with that reason.
- `Remind` asks when (`CardInput.remind_when`, read by `parse_when` in the user's zone) and
  makes a task for the actor linked to the client or deal.
- `ContactLanguageMenu` puts the languages of the contact's messages in place of the card's
  buttons; `ContactLanguagePick` sets one (`update_contact`) and redraws the card.

Every payload is re-checked through the domain: a record the actor may not see, a missing one,
a wrong kind all get the same refusal (`Unavailable`), and nothing changes. A deal changed since
its card was drawn (an older version) gets a sentence and the refreshed card.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, ParamSpec, TypeVar
from zoneinfo import ZoneInfo

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.methods import EditMessageReplyMarkup, EditMessageText, SendMessage
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bots.telegram import context, formats
from bots.telegram import texts_cards as t
from bots.telegram import texts_clients as c
from bots.telegram.callbacks import OpenCard
from bots.telegram.callbacks_cards import (
    MAX_ID,
    CardView,
    ContactLanguageMenu,
    ContactLanguagePick,
    LoseDeal,
    LossReasonPick,
    NextStage,
    Remind,
    StageValuePick,
    StopInput,
)
from bots.telegram.card_views import (
    Asked,
    Rendered,
    card_message,
    client_language,
    deal_message,
    history_view,
    language_keyboard,
    loss_reasons_keyboard,
    question,
    tasks_view,
)
from bots.telegram.replies import Replies, pressed_message
from bots.telegram.texts import STALE_BUTTON, render
from models.actor import Actor
from models.clock import now
from models.entities import LossReason, Source
from models.errors import DomainError, NotFound, PreconditionFailed, ValidationFailed
from models.ops.contacts import update_contact
from models.ops.deals import lose_deal, missing_to_enter, move_deal_to_stage
from models.ops.reference import list_reference
from models.ops.tasks import create_task
from models.queries.cards import (
    get_subject,
    history_of,
    loss_reason_name,
    open_tasks_of,
)
from models.queries.companies import CompanyFilters, list_companies
from models.queries.contacts import ContactFilters, get_contact, list_contacts
from models.queries.deals import get_deal
from models.rules.stages import REQUIRABLE_FIELDS
from models.rules.when import InvalidWhen, parse_when
from models.text import Text

P = ParamSpec("P")
R = TypeVar("R")

_FLOW = "card_input"  # FSM data: the question a card asked
PICK_LIMIT = 5
NAME_IN_TITLE = 250  # a task title is at most 300 characters
_ASK = {
    "amount": t.ASK_AMOUNT,
    "deadline": t.ASK_DEADLINE,
    "contact_id": t.ASK_CONTACT,
    "company_id": t.ASK_COMPANY,
    "source_id": t.ASK_SOURCE,
}
_PICKED = ("contact_id", "company_id", "source_id")


class CardInput(StatesGroup):
    stage_value = State()
    remind_when = State()


class Unavailable(DomainError):
    """The refusal for a record the actor may not see, a missing one, or a forged payload."""

    code = "not_available"
    message = t.UNAVAILABLE


def refusing(handler: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """`NotFound` from the domain becomes the card refusal: the transaction rolls back and the
    person hears one sentence that reveals nothing about the record."""

    @functools.wraps(handler)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await handler(*args, **kwargs)
        except NotFound as missing:
            raise Unavailable() from missing

    return wrapper


def _check(kind: str, object_id: int) -> None:
    if kind not in context.KINDS or not 1 <= object_id <= MAX_ID:
        raise Unavailable()


# ---- sending and editing ----------------------------------------------------------------------


def send_shown(replies: Replies, shown: Rendered) -> None:
    replies.add(SendMessage(chat_id=replies.chat_id, text=shown.text, reply_markup=shown.markup))


def offer_choices(
    replies: Replies, message_id: int | None, prompt: Text, markup: InlineKeyboardMarkup
) -> None:
    """Put the choices in place of the pressed card's buttons, with the prompt as a toast; on a
    message too old to edit, send them as a new message under the prompt."""
    replies.notify(prompt)
    if message_id is None:
        send_shown(replies, Rendered(replies.render(prompt), markup))
        return
    replies.add(
        EditMessageReplyMarkup(chat_id=replies.chat_id, message_id=message_id, reply_markup=markup)
    )


def edit_shown(replies: Replies, message_id: int | None, shown: Rendered) -> None:
    """Redraw a message of the bot in place; without one (too old to edit) send it anew."""
    if message_id is None:
        send_shown(replies, shown)
        return
    replies.add(
        EditMessageText(
            chat_id=replies.chat_id,
            message_id=message_id,
            text=shown.text,
            reply_markup=shown.markup,
        )
    )


async def _show_card(
    actor: Actor,
    replies: Replies,
    state: FSMContext,
    kind: str,
    object_id: int,
    *,
    in_place: int | None = None,
    new: bool = False,
) -> None:
    shown = await card_message(actor, kind, object_id, replies.language)
    await context.remember(state, kind, object_id)
    if new:
        send_shown(replies, shown)
    else:
        edit_shown(replies, in_place, shown)


# ---- opening and redrawing cards ----------------------------------------------------------


@refusing
async def open_card(
    query: CallbackQuery,
    callback_data: OpenCard,
    actor: Actor,
    replies: Replies,
    state: FSMContext,
) -> None:
    _check(callback_data.kind, callback_data.id)
    await _show_card(actor, replies, state, callback_data.kind, callback_data.id, new=True)


@refusing
async def card_view(
    query: CallbackQuery,
    callback_data: CardView,
    actor: Actor,
    replies: Replies,
    state: FSMContext,
) -> None:
    kind, object_id = callback_data.kind, callback_data.id
    _check(kind, object_id)
    if callback_data.view == "card":
        await _show_card(actor, replies, state, kind, object_id, in_place=pressed_message(query))
        return
    if callback_data.view == "tasks":
        subject, tasks = await open_tasks_of(actor, kind, object_id)
        shown = tasks_view(subject, tasks, actor, replies.language)
    else:
        subject, interactions = await history_of(actor, kind, object_id)
        shown = history_view(subject, interactions, actor, replies.language)
    edit_shown(replies, pressed_message(query), shown)


# ---- the dialog state of a question ---------------------------------------------------------


_STEPS: dict[str, State] = {"stage": CardInput.stage_value, "remind": CardInput.remind_when}


async def _flow(state: FSMContext, what: Asked) -> dict[str, Any] | None:
    """The open question of kind `what`, if the dialog is still at it (`/cancel` or another
    feature's dialog leaves the state and makes its buttons stale)."""
    if await state.get_state() != _STEPS[what].state:
        return None
    flow = await state.get_value(_FLOW)
    return flow if isinstance(flow, dict) and flow.get("what") == what else None


async def _save_flow(state: FSMContext, flow: dict[str, Any], step: State) -> None:
    await state.set_state(step)
    await state.update_data({_FLOW: flow})


async def _end_flow(state: FSMContext) -> None:
    await state.set_state(None)
    await state.update_data({_FLOW: None})


def _error_text(error: ValidationFailed, language: str) -> str:
    sentences = " ".join(e.message.get(language) for e in error.errors) or error.message.get(
        language
    )
    return html.escape(sentences, quote=False)


def _again(problem: str, asked: Rendered, language: str) -> Rendered:
    """The problem with the answer, and the question again."""
    text = f"{problem} {t.TRY_AGAIN.get(language)}\n\n{asked.text}"
    return Rendered(text, asked.markup)


# ---- next stage -----------------------------------------------------------------------------


async def _refresh_deal(
    actor: Actor, replies: Replies, state: FSMContext, deal_id: int, message_id: int | None
) -> None:
    await _show_card(actor, replies, state, "deal", deal_id, in_place=message_id)


@refusing
async def next_stage(
    query: CallbackQuery,
    callback_data: NextStage,
    actor: Actor,
    replies: Replies,
    state: FSMContext,
) -> None:
    deal_id, message_id = callback_data.id, pressed_message(query)
    shown = await deal_message(actor, deal_id, replies.language)
    deal = shown.card.deal
    if deal["version"] != callback_data.version:
        replies.notify(t.STALE_DEAL, alert=True)
        await context.remember(state, "deal", deal_id)
        edit_shown(replies, message_id, shown.rendered)
        return
    if deal["closed_at"] is not None:
        replies.notify(t.DEAL_CLOSED, alert=True)
        return
    stage = shown.next_stage
    if stage is None:
        replies.notify(t.NO_NEXT_STAGE, alert=True)
        return
    missing = await missing_to_enter(actor, deal_id, stage.id)
    if not missing:
        await _move(
            actor, replies, state, deal_id, stage.id, stage.name, deal["version"], {}, message_id
        )
        return
    flow = {
        "what": "stage",
        "deal_id": deal_id,
        "version": deal["version"],
        "stage_id": stage.id,
        "stage_name": stage.name,
        "currency": deal["currency"],
        "fields": [error.field for error in missing],
        "values": {},
        "message_id": message_id,
    }
    await _save_flow(state, flow, CardInput.stage_value)
    labels = ", ".join(REQUIRABLE_FIELDS[name].get(replies.language) for name in flow["fields"])
    replies.say(t.STAGE_NEEDS, stage=stage.name, fields=labels)
    asked = await _question(flow, replies.language)
    if asked is None:
        await _end_flow(state)
        replies.say(t.NO_SOURCES)
        return
    send_shown(replies, asked)


async def _question(
    flow: dict[str, Any], language: str, options: list[tuple[int, str]] | None = None
) -> Rendered | None:
    """The question for the first field still missing; None when it cannot be answered (a
    source is required and the list of sources is empty)."""
    field = flow["fields"][0]
    text = render(_ASK[field], language, {"currency": flow["currency"]})
    if options is not None:
        text = render(t.CHOOSE, language)
    elif field == "source_id":
        sources = await list_reference(Source, active=True)
        if not sources:
            return None
        options = [(source.id, source.name) for source in sources[:20]]
    return question(text, "stage", language, options or ())


def _domain_values(values: dict[str, Any]) -> dict[str, Any]:
    """Answers as the FSM keeps them (JSON) → as the domain takes them."""
    result = dict(values)
    if isinstance(result.get("deadline"), str):
        result["deadline"] = datetime.fromisoformat(result["deadline"])
    return result


async def _accept(
    actor: Actor,
    replies: Replies,
    state: FSMContext,
    flow: dict[str, Any],
    value: Any,
) -> None:
    """Check the answer to the first missing field with the domain; then ask the next field,
    or move the deal once nothing is missing."""
    field, language = flow["fields"][0], replies.language
    values = {**flow["values"], field: value}
    try:
        missing = await missing_to_enter(
            actor, flow["deal_id"], flow["stage_id"], _domain_values(values)
        )
    except NotFound:
        await _end_flow(state)
        raise
    except ValidationFailed as error:
        await _ask_again(replies, flow, _error_text(error, language))
        return
    still = [error for error in missing if error.field == field]
    if still:
        await _ask_again(replies, flow, html.escape(still[0].message.get(language), quote=False))
        return
    flow = {**flow, "values": values, "fields": [error.field for error in missing]}
    if flow["fields"]:
        await _save_flow(state, flow, CardInput.stage_value)
        asked = await _question(flow, language)
        if asked is None:
            await _end_flow(state)
            replies.say(t.NO_SOURCES)
            return
        send_shown(replies, asked)
        return
    await _end_flow(state)
    await _move(
        actor,
        replies,
        state,
        flow["deal_id"],
        flow["stage_id"],
        flow["stage_name"],
        flow["version"],
        _domain_values(values),
        flow["message_id"],
    )


async def _ask_again(replies: Replies, flow: dict[str, Any], problem: str) -> None:
    asked = await _question(flow, replies.language)
    if asked is not None:
        send_shown(replies, _again(problem, asked, replies.language))


async def _move(
    actor: Actor,
    replies: Replies,
    state: FSMContext,
    deal_id: int,
    stage_id: int,
    stage_name: str,
    version: int,
    values: dict[str, Any],
    message_id: int | None,
) -> None:
    try:
        await move_deal_to_stage(actor, deal_id, stage_id, version=version, values=values)
    except PreconditionFailed:
        # Nothing was written: the versioned UPDATE is the move's first write.
        replies.notify(t.STALE_DEAL, alert=True)
        await _refresh_deal(actor, replies, state, deal_id, message_id)
        return
    replies.notify(t.MOVED, stage=stage_name)
    await _refresh_deal(actor, replies, state, deal_id, message_id)


@refusing
async def stage_value_typed(
    message: Message, actor: Actor, replies: Replies, state: FSMContext
) -> None:
    flow = await _flow(state, "stage")
    if flow is None:
        await _end_flow(state)
        replies.say(STALE_BUTTON)
        return
    field, text = flow["fields"][0], (message.text or "").strip()
    language = replies.language
    if field == "deadline":
        try:
            at = parse_when(text, now=now(), timezone=ZoneInfo(actor.timezone), field="deadline")
        except InvalidWhen as error:
            await _ask_again(replies, flow, _error_text(error, language))
            return
        await _accept(actor, replies, state, flow, at.isoformat())
        return
    if field in ("contact_id", "company_id"):
        options = await _candidates(actor, field, text)
        if not options:
            problem = render(t.NOBODY_FOUND, language, {"query": formats.shorten(text, 100)})
            asked = await _question(flow, language)
            assert asked is not None
            send_shown(replies, Rendered(f"{problem}\n\n{asked.text}", asked.markup))
            return
        if len(options) == 1:
            await _accept(actor, replies, state, flow, options[0][0])
            return
        asked = await _question(flow, language, options)
        assert asked is not None
        send_shown(replies, asked)
        return
    if field == "source_id":
        await _ask_again(replies, flow, t.USE_BUTTONS.get(language))
        return
    await _accept(actor, replies, state, flow, text)


async def _candidates(actor: Actor, field: str, text: str) -> list[tuple[int, str]]:
    if field == "contact_id":
        page = await list_contacts(actor, ContactFilters(q=text), None, None, PICK_LIMIT)
        options = []
        for row in page.items:
            name = " ".join(p for p in (row["last_name"], row["first_name"]) if p)
            phone = f" · {row['phones'][0]}" if row["phones"] else ""
            options.append((row["id"], f"👤 {name}{phone}"))
        return options
    companies = await list_companies(actor, CompanyFilters(q=text), None, None, PICK_LIMIT)
    return [(c.id, f"🏢 {c.name}" + (f" · {c.inn}" if c.inn else "")) for c in companies.items]


@refusing
async def stage_value_picked(
    query: CallbackQuery,
    callback_data: StageValuePick,
    actor: Actor,
    replies: Replies,
    state: FSMContext,
) -> None:
    flow = await _flow(state, "stage")
    if flow is None or flow["fields"][0] not in _PICKED:
        replies.notify(STALE_BUTTON, alert=True)
        return
    await _accept(actor, replies, state, flow, callback_data.value)


# ---- lost -----------------------------------------------------------------------------------


@refusing
async def lose(
    query: CallbackQuery,
    callback_data: LoseDeal,
    actor: Actor,
    replies: Replies,
    state: FSMContext,
) -> None:
    deal_id, message_id = callback_data.id, pressed_message(query)
    shown = await deal_message(actor, deal_id, replies.language)
    deal = shown.card.deal
    if deal["version"] != callback_data.version:
        replies.notify(t.STALE_DEAL, alert=True)
        edit_shown(replies, message_id, shown.rendered)
        return
    if deal["closed_at"] is not None:
        replies.notify(t.DEAL_CLOSED, alert=True)
        return
    reasons = await list_reference(LossReason, active=True)
    if not reasons:
        replies.notify(t.NO_LOSS_REASONS, alert=True)
        return
    markup = loss_reasons_keyboard(deal_id, deal["version"], reasons, replies.language)
    offer_choices(replies, message_id, t.CHOOSE_LOSS_REASON, markup)


@refusing
async def loss_reason_picked(
    query: CallbackQuery,
    callback_data: LossReasonPick,
    actor: Actor,
    replies: Replies,
    state: FSMContext,
) -> None:
    deal_id, message_id = callback_data.id, pressed_message(query)
    deal = await get_deal(actor, deal_id)
    if deal.closed_at is not None and deal.version == callback_data.version:
        replies.notify(t.DEAL_CLOSED, alert=True)
        await _refresh_deal(actor, replies, state, deal_id, message_id)
        return
    try:
        await lose_deal(
            actor, deal_id, version=callback_data.version, loss_reason_id=callback_data.reason
        )
    except PreconditionFailed:
        replies.notify(t.STALE_DEAL, alert=True)
        await _refresh_deal(actor, replies, state, deal_id, message_id)
        return
    replies.notify(t.LOST, reason=await loss_reason_name(callback_data.reason) or "")
    await _refresh_deal(actor, replies, state, deal_id, message_id)


# ---- remind ---------------------------------------------------------------------------------


@refusing
async def remind(
    query: CallbackQuery,
    callback_data: Remind,
    actor: Actor,
    replies: Replies,
    state: FSMContext,
) -> None:
    _check(callback_data.kind, callback_data.id)
    subject = await get_subject(actor, callback_data.kind, callback_data.id)
    flow = {"what": "remind", "kind": subject.kind, "id": subject.id}
    await _save_flow(state, flow, CardInput.remind_when)
    send_shown(replies, _remind_question(subject.name, replies.language))


def _remind_question(name: str, language: str) -> Rendered:
    text = render(t.REMIND_ASK, language, {"name": formats.shorten(name, 100)})
    return question(text, "remind", language)


@refusing
async def remind_typed(message: Message, actor: Actor, replies: Replies, state: FSMContext) -> None:
    flow = await _flow(state, "remind")
    if flow is None:
        await _end_flow(state)
        replies.say(STALE_BUTTON)
        return
    try:
        subject = await get_subject(actor, flow["kind"], flow["id"])
    except NotFound:
        await _end_flow(state)
        raise
    language = replies.language
    try:
        at = parse_when(message.text or "", now=now(), timezone=ZoneInfo(actor.timezone))
    except InvalidWhen as error:
        asked = _remind_question(subject.name, language)
        send_shown(replies, _again(_error_text(error, language), asked, language))
        return
    name = formats.shorten(subject.name, NAME_IN_TITLE)
    title = render(t.REMIND_TITLE, language, {"name": name}, markup=False)
    link = f"{subject.kind}_id"
    task = await create_task(
        actor, {"title": title, "due_at": at, "remind_at": at, link: subject.id}
    )
    await _end_flow(state)
    when = formats.when(at, actor.timezone, language, now=now())
    replies.say(t.REMIND_SET, when=when, title=task.title)


# ---- the language of the contact's messages ---------------------------------------------------


@refusing
async def language_menu(
    query: CallbackQuery,
    callback_data: ContactLanguageMenu,
    actor: Actor,
    replies: Replies,
    state: FSMContext,
) -> None:
    contact, message_id = await get_contact(actor, callback_data.id), pressed_message(query)
    if contact.version != callback_data.version:
        replies.notify(c.STALE_CONTACT, alert=True)
        await _show_card(actor, replies, state, "contact", contact.id, in_place=message_id)
        return
    offer_choices(
        replies, message_id, c.LANGUAGE_CHOOSE, language_keyboard(contact, replies.language)
    )


@refusing
async def language_picked(
    query: CallbackQuery,
    callback_data: ContactLanguagePick,
    actor: Actor,
    replies: Replies,
    state: FSMContext,
) -> None:
    contact_id, message_id = callback_data.id, pressed_message(query)
    chosen = None if callback_data.language == "default" else callback_data.language
    try:
        contact = await update_contact(
            actor, contact_id, {"language": chosen}, version=callback_data.version
        )
    except PreconditionFailed:
        replies.notify(c.STALE_CONTACT, alert=True)
        await _show_card(actor, replies, state, "contact", contact_id, in_place=message_id)
        return
    replies.notify(c.LANGUAGE_CHOSEN, language=client_language(contact, replies.language))
    await _show_card(actor, replies, state, "contact", contact_id, in_place=message_id)


# ---- cancel ---------------------------------------------------------------------------------


async def stop_input(
    query: CallbackQuery, callback_data: StopInput, replies: Replies, state: FSMContext
) -> None:
    if await _flow(state, callback_data.what) is not None:
        await _end_flow(state)
    replies.notify(t.CANCELLED)
    edit_shown(replies, pressed_message(query), Rendered(replies.render(t.CANCELLED)))


def build() -> Router:
    router = Router(name="cards")
    router.callback_query.register(open_card, OpenCard.filter())
    router.callback_query.register(card_view, CardView.filter())
    router.callback_query.register(next_stage, NextStage.filter())
    router.callback_query.register(stage_value_picked, StageValuePick.filter())
    router.callback_query.register(lose, LoseDeal.filter())
    router.callback_query.register(loss_reason_picked, LossReasonPick.filter())
    router.callback_query.register(remind, Remind.filter())
    router.callback_query.register(stop_input, StopInput.filter())
    router.callback_query.register(language_menu, ContactLanguageMenu.filter())
    router.callback_query.register(language_picked, ContactLanguagePick.filter())
    # A command sent instead of an answer goes to its own handler; the question stays open.
    answers = (F.text, ~F.text.startswith("/"))
    router.message.register(stage_value_typed, CardInput.stage_value, *answers)
    router.message.register(remind_typed, CardInput.remind_when, *answers)
    return router
