"""/find results as a message: a line saying what was searched, and a button per record found
(`OpenCard`), contacts first, then companies, then deals."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bots.telegram import formats
from bots.telegram import texts_find as t
from bots.telegram.callbacks import OpenCard
from bots.telegram.card_views import LABEL_LIMIT, Rendered
from bots.telegram.texts import render
from models.queries.find import FIND_LIMIT, Findings

QUERY_SHOWN = 100  # characters of the query repeated back


def _button(label: str, kind: str, object_id: int) -> list[InlineKeyboardButton]:
    data = OpenCard(kind=kind, id=object_id).pack()
    return [InlineKeyboardButton(text=formats.shorten(label, LABEL_LIMIT), callback_data=data)]


def _joined(*parts: str | None) -> str:
    return " · ".join(part for part in parts if part)


def find_results(findings: Findings, query: str, language: str) -> Rendered:
    shown = formats.shorten(query, QUERY_SHOWN)
    if findings.count == 0:
        return Rendered(render(t.FIND_NOTHING, language, {"query": shown}))
    rows: list[list[InlineKeyboardButton]] = []
    for row in findings.contacts:
        name = " ".join(p for p in (row["last_name"], row["first_name"], row["middle_name"]) if p)
        phone = row["phones"][0] if row["phones"] else None
        email = None if phone else (row["emails"][0] if row["emails"] else None)
        rows.append(_button(_joined(f"👤 {name}", phone, email), "contact", row["id"]))
    for company in findings.companies:
        inn = render(t.INN, language, {"inn": company.inn}, markup=False) if company.inn else None
        rows.append(_button(_joined(f"🏢 {company.name}", inn), "company", company.id))
    for deal in findings.deals:
        amount = deal.amount
        money = formats.money(amount, deal.currency, language) if amount is not None else None
        closed = t.CLOSED.get(language) if deal.closed_at is not None else None
        rows.append(_button(_joined(f"💼 {deal.title}", money, closed), "deal", deal.id))
    text = render(t.FIND_FOUND, language, {"query": shown})
    if findings.more:
        text += "\n" + render(t.FIND_MORE, language, {"limit": FIND_LIMIT})
    return Rendered(text, InlineKeyboardMarkup(inline_keyboard=rows))
