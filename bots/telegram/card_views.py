"""Client and deal cards as messages: text (Telegram HTML, every value escaped) and buttons.

A card is drawn from the database each time it is shown or refreshed, through the queries in
`models/queries/cards.py` and `models/queries/deals.py`, which load the record through the
visibility functions (`NotFound` for anything the actor may not see). The tasks and history of a
card replace its text in place, with a button back to the card.

Phones are shown in the text in international format: Telegram apps make a phone number in a
message tappable (call, copy). The Bot API accepts only `http(s)://` and `tg://` links on inline
buttons, so a `tel:` "Call" button is not possible (see docs/bot.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, cast, get_args

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bots.telegram import formats
from bots.telegram import texts_cards as t
from bots.telegram import texts_clients as c
from bots.telegram import texts_orders as o
from bots.telegram.callbacks import OpenCard, StartLog
from bots.telegram.callbacks_cards import (
    CardView,
    ContactLanguage,
    ContactLanguageMenu,
    ContactLanguagePick,
    LoseDeal,
    LossReasonPick,
    NextStage,
    Remind,
    StageValuePick,
    StopInput,
    Writable,
    WriteMessage,
)
from bots.telegram.callbacks_orders import OrderList, OrdersOf
from bots.telegram.texts import render
from models.actor import Actor
from models.clock import now
from models.entities import (
    Channel,
    Consent,
    ConsentPurpose,
    Contact,
    Interaction,
    LossReason,
    Stage,
    Task,
)
from models.ops.outbox import default_language
from models.queries.cards import (
    ClientCard,
    Subject,
    clients_visible,
    company_card,
    contact_card,
    loss_reason_name,
    next_open_stage,
)
from models.queries.deals import DealCard, deal_card
from models.queries.orders import count_orders_of
from models.rules.timing import stage_overdue, time_in_stage
from models.text import Text

Asked = Literal["stage", "remind"]
LABEL_LIMIT = 60  # characters of a name on a button
OUTCOME_LIMIT = 200
CARD_INTERACTIONS = 3
LANGUAGE_CHOICES: tuple[ContactLanguage, ...] = ("ru", "en", "default")


@dataclass(frozen=True, slots=True)
class Rendered:
    """A message as the bot sends or edits it."""

    text: str
    markup: InlineKeyboardMarkup | None = None


@dataclass(frozen=True, slots=True)
class DealMessage:
    """A deal card and what the buttons on it need: the deal's version and its next stage."""

    rendered: Rendered
    card: DealCard
    next_stage: Stage | None


class _Lines:
    def __init__(self, language: str) -> None:
        self.language = language
        self.items: list[str] = []

    def add(self, text: Text, /, **values: object) -> None:
        self.items.append(render(text, self.language, values))

    def html(self) -> str:
        return "\n".join(self.items)


def _label(text: Text, language: str, **values: object) -> str:
    """A button label: plain text (Telegram shows button labels as written)."""
    return render(text, language, values, markup=False)


def _person(first_name: str | None, last_name: str | None) -> str:
    return " ".join(part for part in (first_name, last_name) if part)


def _duration(entered_at: datetime, at: datetime, language: str) -> str:
    spent = time_in_stage(entered_at, at)
    if spent.days >= 1:
        return formats.days(spent.days, language)
    hours = spent.seconds // 3600
    if hours >= 1:
        ru, en = t.HOURS
        return formats.plural(hours, language, ru, en)
    return t.UNDER_AN_HOUR.get(language)


def _moment(at: datetime, actor: Actor, language: str) -> str:
    return formats.when(at, actor.timezone, language, now=now())


# ---- client cards ---------------------------------------------------------------------------


def client_text(card: ClientCard, actor: Actor, language: str) -> str:
    lines = _Lines(language)
    name = card.subject.name or t.NO_NAME.get(language)
    if card.contact is not None:
        lines.add(t.CONTACT_TITLE, name=name)
        employer = card.company.name if card.company is not None else ""
        details = [part for part in (card.contact.position, employer) if part]
        if details:
            lines.add(t.PLAIN, value=" · ".join(details))
    else:
        lines.add(t.COMPANY_TITLE, name=name)
        company = card.company
        assert company is not None
        if company.legal_name and company.legal_name != company.name:
            lines.add(t.PLAIN, value=company.legal_name)
        requisites = []
        if company.inn:
            requisites.append(render(t.REQUISITES, language, {"inn": company.inn}))
        if company.kpp:
            requisites.append(render(t.KPP, language, {"kpp": company.kpp}))
        if requisites:
            lines.items.append(" · ".join(requisites))
    if card.phones:
        lines.add(t.PHONES, phones=", ".join(card.phones))
    if card.emails:
        lines.add(t.EMAILS, emails=", ".join(card.emails))
    if card.owner_name:
        lines.add(t.OWNER, name=card.owner_name)
    if card.consents:
        lines.add(c.CONSENTS, consents=_consents(card.consents, language))
    if card.contact is not None:
        lines.add(c.LANGUAGE_LINE, language=client_language(card.contact, language))
    lines.add(t.OPEN_DEALS, count=card.open_deal_count)
    task = card.next_task
    if task is None:
        lines.add(t.NO_NEXT_TASK)
    elif task.due_at is None:
        lines.add(t.NEXT_TASK_UNDATED, title=task.title)
    else:
        lines.add(t.NEXT_TASK, when=_moment(task.due_at, actor, language), title=task.title)
    return lines.html()


def client_language(contact: Contact, language: str) -> str:
    """The language the contact's messages are written in: «английский», or «русский (по
    умолчанию)» when the contact has none and the installation's is used."""
    if contact.language in c.LANGUAGE_NAMES:
        return c.LANGUAGE_NAMES[contact.language].get(language)
    name = c.LANGUAGE_NAMES[default_language()].get(language)
    return render(c.LANGUAGE_DEFAULT, language, {"language": name}, markup=False)


def client_keyboard(card: ClientCard, orders: int, language: str) -> InlineKeyboardMarkup:
    """The client card's buttons; `orders`: how many orders of the client the actor sees."""
    kind, object_id = card.subject.kind, card.subject.id
    builder = InlineKeyboardBuilder()
    builder.row(
        InlineKeyboardButton(
            text=_label(t.LOG_BUTTON, language),
            callback_data=StartLog(kind=kind, id=object_id).pack(),
        ),
        InlineKeyboardButton(
            text=_label(t.REMIND_BUTTON, language),
            callback_data=Remind(kind=kind, id=object_id).pack(),
        ),
    )
    builder.row(
        *_tasks_and_history(kind, object_id, language), *_orders(kind, object_id, orders, language)
    )
    if card.contact is not None:
        builder.row(_write_button("contact", object_id, language))
    if card.contact is not None and card.company is not None and card.company_visible:
        builder.row(
            InlineKeyboardButton(
                text=formats.shorten(f"🏢 {card.company.name}", LABEL_LIMIT),
                callback_data=OpenCard(kind="company", id=card.company.id).pack(),
            )
        )
    for deal in card.open_deals:
        builder.row(
            InlineKeyboardButton(
                text=formats.shorten(f"💼 {deal.title}", LABEL_LIMIT),
                callback_data=OpenCard(kind="deal", id=deal.id).pack(),
            )
        )
    if card.contact is not None:
        menu = ContactLanguageMenu(id=card.contact.id, version=card.contact.version)
        builder.row(
            InlineKeyboardButton(
                text=_label(c.LANGUAGE_BUTTON, language), callback_data=menu.pack()
            )
        )
    return builder.as_markup()


def language_keyboard(contact: Contact, language: str) -> InlineKeyboardMarkup:
    """The languages of the contact's messages (✓ on the current one), with Back to the card."""
    current = contact.language or "default"
    default_name = c.LANGUAGE_NAMES[default_language()].get(language)
    choices = []
    for choice in LANGUAGE_CHOICES:
        label = render(
            c.LANGUAGE_CHOICES[choice], language, {"language": default_name}, markup=False
        )
        pick = ContactLanguagePick(id=contact.id, version=contact.version, language=choice)
        choices.append(
            InlineKeyboardButton(
                text=f"✓ {label}" if choice == current else label, callback_data=pick.pack()
            )
        )
    back = CardView(kind="contact", id=contact.id, view="card")
    back_button = InlineKeyboardButton(
        text=_label(t.BACK_BUTTON, language), callback_data=back.pack()
    )
    return InlineKeyboardMarkup(inline_keyboard=[choices, [back_button]])


def _orders(kind: str, object_id: int, count: int, language: str) -> list[InlineKeyboardButton]:
    """«📦 Заказы (N)» beside Tasks and History, when the actor sees any orders of the card."""
    if not count or kind not in get_args(OrdersOf):
        return []
    listed = OrderList(kind=cast(OrdersOf, kind), id=object_id)
    label = _label(o.ORDERS_BUTTON, language, count=count)
    return [InlineKeyboardButton(text=label, callback_data=listed.pack())]


def _write_button(kind: Writable, object_id: int, language: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=_label(c.WRITE_BUTTON, language),
        callback_data=WriteMessage(kind=kind, id=object_id).pack(),
    )


def _consents(consents: Sequence[Consent], language: str) -> str:
    """The consents in force: «уведомления (Telegram), реклама (все каналы)»."""
    channels: dict[str, list[str]] = {}
    for consent in consents:
        purpose = ConsentPurpose(consent.purpose).value
        where = (
            c.CHANNELS[Channel(consent.channel)].get(language)
            if consent.channel is not None
            else c.EVERY_CHANNEL.get(language)
        )
        if where not in channels.setdefault(purpose, []):
            channels[purpose].append(where)
    return ", ".join(
        f"{c.CONSENT_PURPOSES[purpose].get(language)} ({', '.join(where)})"
        for purpose, where in channels.items()
    )


def _tasks_and_history(kind: str, object_id: int, language: str) -> list[InlineKeyboardButton]:
    return [
        InlineKeyboardButton(
            text=_label(t.TASKS_BUTTON, language),
            callback_data=CardView(kind=kind, id=object_id, view="tasks").pack(),
        ),
        InlineKeyboardButton(
            text=_label(t.HISTORY_BUTTON, language),
            callback_data=CardView(kind=kind, id=object_id, view="history").pack(),
        ),
    ]


async def client_message(actor: Actor, kind: str, object_id: int, language: str) -> Rendered:
    card = await (contact_card if kind == "contact" else company_card)(actor, object_id)
    orders = await count_orders_of(actor, kind, object_id)
    return Rendered(client_text(card, actor, language), client_keyboard(card, orders, language))


# ---- the deal card --------------------------------------------------------------------------


def deal_text(
    card: DealCard, loss_reason: str | None, actor: Actor, language: str, at: datetime
) -> str:
    deal, stage = card.deal, card.stage
    lines = _Lines(language)
    lines.add(t.DEAL_TITLE, name=deal["title"] or t.NO_NAME.get(language))
    if deal["amount"] is None:
        lines.add(t.NO_AMOUNT)
    else:
        lines.add(t.AMOUNT, amount=formats.money(deal["amount"], deal["currency"], language))
    is_open = deal["closed_at"] is None
    if not is_open:
        lines.add(
            t.STAGE_CLOSED, stage=stage["name"], when=_moment(deal["closed_at"], actor, language)
        )
        if loss_reason:
            lines.add(t.LOSS_REASON, reason=loss_reason)
    elif stage_overdue(deal["stage_entered_at"], stage["planned_days"], at):
        lines.add(
            t.STAGE_OVERDUE,
            stage=stage["name"],
            duration=_duration(deal["stage_entered_at"], at, language),
            planned=formats.days(stage["planned_days"], language),
        )
    else:
        lines.add(
            t.STAGE, stage=stage["name"], duration=_duration(deal["stage_entered_at"], at, language)
        )
    clients = []
    if card.company is not None:
        clients.append(card.company["name"])
    if card.contact is not None:
        clients.append(_person(card.contact["first_name"], card.contact["last_name"]))
    if any(clients):
        lines.add(t.CLIENT, client=", ".join(c for c in clients if c))
    if deal["deadline"] is not None:
        passed = is_open and deal["deadline"] < at
        lines.add(
            t.DEADLINE_PASSED if passed else t.DEADLINE,
            when=_moment(deal["deadline"], actor, language),
        )
    if card.interactions:
        lines.add(t.LAST_INTERACTIONS)
        for row in card.interactions[:CARD_INTERACTIONS]:
            line = _interaction_line(
                str(row["kind"]),
                row["direction"],
                row["outcome"] or "",
                row["occurred_at"],
                None,
                actor,
                language,
            )
            lines.items.append(line)
    else:
        lines.add(t.NO_INTERACTIONS)
    return lines.html()


def deal_keyboard(
    card: DealCard,
    next_stage: Stage | None,
    company_visible: bool,
    contact_visible: bool,
    orders: int,
    language: str,
) -> InlineKeyboardMarkup:
    deal = card.deal
    deal_id, version = deal["id"], deal["version"]
    builder = InlineKeyboardBuilder()
    builder.row(
        InlineKeyboardButton(
            text=_label(t.LOG_BUTTON, language),
            callback_data=StartLog(kind="deal", id=deal_id).pack(),
        ),
        InlineKeyboardButton(
            text=_label(t.REMIND_BUTTON, language),
            callback_data=Remind(kind="deal", id=deal_id).pack(),
        ),
    )
    if deal["closed_at"] is None:
        moves = []
        if next_stage is not None:
            moves.append(
                InlineKeyboardButton(
                    text=formats.shorten(
                        _label(t.NEXT_STAGE_BUTTON, language, stage=next_stage.name), LABEL_LIMIT
                    ),
                    callback_data=NextStage(id=deal_id, version=version).pack(),
                )
            )
        moves.append(
            InlineKeyboardButton(
                text=_label(t.LOST_BUTTON, language),
                callback_data=LoseDeal(id=deal_id, version=version).pack(),
            )
        )
        builder.row(*moves)
    builder.row(
        *_tasks_and_history("deal", deal_id, language), *_orders("deal", deal_id, orders, language)
    )
    if card.contact is not None and contact_visible:
        builder.row(_write_button("deal", deal_id, language))
    clients = []
    if card.company is not None and company_visible:
        clients.append(
            InlineKeyboardButton(
                text=formats.shorten(f"🏢 {card.company['name']}", LABEL_LIMIT),
                callback_data=OpenCard(kind="company", id=card.company["id"]).pack(),
            )
        )
    if card.contact is not None and contact_visible:
        name = _person(card.contact["first_name"], card.contact["last_name"])
        clients.append(
            InlineKeyboardButton(
                text=formats.shorten(f"👤 {name}", LABEL_LIMIT),
                callback_data=OpenCard(kind="contact", id=card.contact["id"]).pack(),
            )
        )
    if clients:
        builder.row(*clients)
    return builder.as_markup()


async def deal_message(actor: Actor, deal_id: int, language: str) -> DealMessage:
    card = await deal_card(actor, deal_id)
    deal = card.deal
    next_stage = await next_open_stage(deal["stage_id"]) if deal["closed_at"] is None else None
    company_visible, contact_visible = await clients_visible(
        actor, deal["company_id"], deal["contact_id"]
    )
    reason = await loss_reason_name(deal["loss_reason_id"])
    orders = await count_orders_of(actor, "deal", deal_id)
    rendered = Rendered(
        deal_text(card, reason, actor, language, now()),
        deal_keyboard(card, next_stage, company_visible, contact_visible, orders, language),
    )
    return DealMessage(rendered, card, next_stage)


async def card_message(actor: Actor, kind: str, object_id: int, language: str) -> Rendered:
    """The card of a contact, company or deal the actor may see (else `NotFound`)."""
    if kind == "deal":
        return (await deal_message(actor, object_id, language)).rendered
    return await client_message(actor, kind, object_id, language)


# ---- tasks and history in place of the card ---------------------------------------------------


def back_keyboard(kind: str, object_id: int, language: str) -> InlineKeyboardMarkup:
    back = CardView(kind=kind, id=object_id, view="card")
    button = InlineKeyboardButton(text=_label(t.BACK_BUTTON, language), callback_data=back.pack())
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


def tasks_view(subject: Subject, tasks: list[Task], actor: Actor, language: str) -> Rendered:
    lines = _Lines(language)
    lines.add(t.TASKS_TITLE, name=subject.name)
    at = now()
    for task in tasks:
        if task.due_at is None:
            lines.add(t.TASK_LINE_UNDATED, title=task.title)
        else:
            line = t.TASK_LINE_OVERDUE if task.due_at < at else t.TASK_LINE
            lines.add(line, when=_moment(task.due_at, actor, language), title=task.title)
    if not tasks:
        lines.add(t.NO_TASKS)
    return Rendered(lines.html(), back_keyboard(subject.kind, subject.id, language))


def _interaction_line(
    kind: str,
    direction: str | None,
    outcome: str,
    occurred_at: datetime,
    author: str | None,
    actor: Actor,
    language: str,
) -> str:
    kind_text = t.KINDS[kind].get(language) if kind in t.KINDS else kind
    if direction is not None and direction in t.DIRECTIONS:
        kind_text = f"{kind_text}, {t.DIRECTIONS[direction].get(language)}"
    when = _moment(occurred_at, actor, language)
    values = {"when": when, "kind": kind_text, "author": author}
    line = render(t.INTERACTION_LINE if author else t.INTERACTION_LINE_NO_AUTHOR, language, values)
    if outcome:
        shown = formats.shorten(outcome, OUTCOME_LIMIT)
        line += "\n" + render(t.OUTCOME_LINE, language, {"outcome": shown})
    return line


def history_view(
    subject: Subject, interactions: list[Interaction], actor: Actor, language: str
) -> Rendered:
    lines = _Lines(language)
    lines.add(t.HISTORY_TITLE, name=subject.name)
    for interaction in interactions:
        line = _interaction_line(
            interaction.kind.value,
            interaction.direction.value if interaction.direction is not None else None,
            interaction.outcome,
            interaction.occurred_at,
            interaction.author.full_name,
            actor,
            language,
        )
        lines.items.append(line)
    if not interactions:
        lines.add(t.NO_INTERACTIONS)
    return Rendered(lines.html(), back_keyboard(subject.kind, subject.id, language))


# ---- questions a card asks ------------------------------------------------------------------


def cancel_button(what: Asked, language: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=_label(t.CANCEL_BUTTON, language), callback_data=StopInput(what=what).pack()
    )


def question(
    text: str, what: Asked, language: str, options: Sequence[tuple[int, str]] = ()
) -> Rendered:
    """A question with a Cancel button, and a button per option (`StageValuePick`)."""
    rows = [
        [
            InlineKeyboardButton(
                text=formats.shorten(label, LABEL_LIMIT),
                callback_data=StageValuePick(value=value).pack(),
            )
        ]
        for value, label in options
    ]
    rows.append([cancel_button(what, language)])
    return Rendered(text, InlineKeyboardMarkup(inline_keyboard=rows))


def loss_reasons_keyboard(
    deal_id: int, version: int, reasons: list[LossReason], language: str
) -> InlineKeyboardMarkup:
    rows = [
        [
            InlineKeyboardButton(
                text=formats.shorten(reason.name, LABEL_LIMIT),
                callback_data=LossReasonPick(id=deal_id, version=version, reason=reason.id).pack(),
            )
        ]
        for reason in reasons
    ]
    back = CardView(kind="deal", id=deal_id, view="card")
    rows.append(
        [InlineKeyboardButton(text=_label(t.BACK_BUTTON, language), callback_data=back.pack())]
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)
