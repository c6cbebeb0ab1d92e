"""`/deals` in the chat: my open deals grouped by stage, each a button to its card."""

from __future__ import annotations

from decimal import Decimal

from aiogram.types import InlineKeyboardButton
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bots.telegram import formats
from bots.telegram import texts_work as t
from bots.telegram.callbacks import OpenCard
from bots.telegram.task_views import Reader, Screen
from bots.telegram.texts import render
from models.queries.board import MyBoard

PER_STAGE = 5  # deals listed per stage; the stage line counts them all
MAX_DEALS = 30  # deal buttons on one message (Telegram takes at most 100)
TITLE_LIMIT = 60
BUTTON_TITLE_LIMIT = 28  # two buttons a row


def deals_screen(boards: list[MyBoard], reader: Reader) -> Screen:
    """Stages in pipeline order with their count and sum; in each the deals longest in the stage
    first, with the amount and ⏰ when they are over the stage's planned time."""
    total = sum(column.count for board in boards for column in board.columns)
    if total == 0:
        return Screen(reader.render(t.DEALS_NONE))
    lines = [reader.render(t.DEALS_TITLE, count=total)]
    buttons: list[InlineKeyboardButton] = []
    for board in boards:
        if len(boards) > 1:
            lines += ["", reader.render(t.DEALS_PIPELINE, name=board.pipeline.name)]
        for column in board.columns:
            lines += ["", _stage_line(reader, column.stage.name, column.count, column.sums)]
            listed = column.deals[: max(MAX_DEALS - len(buttons), 0)]
            for item in listed:
                n = len(buttons) + 1
                deal = item.deal
                line = reader.render(
                    t.DEAL_LINE, n=n, title=formats.shorten(deal["title"], TITLE_LIMIT)
                )
                if deal["amount"] is not None:
                    amount = formats.money(deal["amount"], deal["currency"], reader.language)
                    line += reader.render(t.DEAL_AMOUNT, amount=amount)
                if item.overdue:
                    days = formats.days(item.seconds_in_stage // 86400, reader.language)
                    line += reader.render(t.DEAL_OVERDUE, days=days)
                lines.append(line)
                title = formats.shorten(deal["title"], BUTTON_TITLE_LIMIT)
                label = render(
                    t.DEALS_LIST_BUTTON, reader.language, {"n": n, "title": title}, markup=False
                )
                buttons.append(
                    InlineKeyboardButton(
                        text=label, callback_data=OpenCard(kind="deal", id=deal["id"]).pack()
                    )
                )
            if column.count > len(listed):
                lines.append(reader.render(t.DEALS_STAGE_MORE, count=column.count - len(listed)))
    builder = InlineKeyboardBuilder()
    builder.add(*buttons)
    builder.adjust(2)
    return Screen("\n".join(lines), builder.as_markup())


def _stage_line(reader: Reader, stage: str, count: int, sums: dict[str, Decimal]) -> str:
    name = formats.shorten(stage, 40)
    if not sums:
        return reader.render(t.DEALS_STAGE, stage=name, count=count)
    total = formats.sums(sums, reader.language)
    return reader.render(t.DEALS_STAGE_WITH_SUM, stage=name, count=count, sum=total)
