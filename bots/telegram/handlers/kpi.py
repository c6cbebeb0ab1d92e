"""`/kpi`: my KPIs this month, and for heads and admins their office's and its people's. Read by
`models.ops.kpi.my_kpis` and `office_kpis`, the same as GET /v1/me/kpis and
/v1/offices/{id}/kpis."""

from __future__ import annotations

import html

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from bots.telegram import texts_kpi as t
from bots.telegram.replies import Replies
from models.actor import Actor
from models.entities import KpiLevel, KpiMode, Office, Role, User
from models.ops.kpi import KpiStatus, format_value, my_kpis, office_kpis
from models.text import Text

MARKS = {KpiLevel.OK: "✅", KpiLevel.WARNING: "⚠️", KpiLevel.CRITICAL: "🔴"}


def _line(status: KpiStatus, language: str, who: str = "") -> str:
    definition, reading = status.definition, status.reading
    metric = definition.metric

    def figure(value: int | None) -> str:
        return html.escape(format_value(metric, value or 0, status.currency))

    values = {
        "mark": MARKS[reading.level],
        "name": html.escape(definition.name),
        "who": f" — {html.escape(who)}" if who else "",
        "value": figure(reading.value),
        "target": figure(reading.target),
        "expected": figure(reading.expected),
        "percent": reading.percent,
    }
    if definition.mode is KpiMode.MINIMUM:
        line = t.MINIMUM_LINE
    elif reading.target:
        line = t.PACE_LINE
    else:
        line = t.NO_PLAN_LINE
    return line.get(language).format(**values)


async def _screen(actor: Actor, language: str) -> list[str]:
    mine = await my_kpis(actor)
    office: list[KpiStatus] = []
    if actor.role is not Role.MANAGER and actor.office_id is not None:
        office = await office_kpis(actor, actor.office_id)
    if not mine and not office:
        return []
    period = (mine or office)[0].period
    lines = [t.TITLE.get(language).format(month=f"{period.start:%m.%Y}")]
    if mine:
        lines += ["", t.MINE.get(language), *(_line(s, language) for s in mine)]
    whole = [s for s in office if s.user_id is None]
    people = [s for s in office if s.user_id is not None and s.user_id != actor.user_id]
    if whole:
        name = (await Office.get(id=actor.office_id)).name
        lines += ["", t.OFFICE.get(language).format(name=html.escape(name))]
        lines += [_line(s, language) for s in whole]
    if people:
        names = dict(
            await User.filter(id__in={s.user_id for s in people}).values_list("id", "full_name")
        )
        lines += ["", t.PEOPLE.get(language)]
        lines += [_line(s, language, str(names.get(s.user_id, ""))) for s in people]
    return lines


async def show_kpi(message: Message, actor: Actor, replies: Replies) -> None:
    lines = await _screen(actor, replies.language)
    if not lines:
        replies.say(t.NOTHING)
        return
    text = "\n".join(lines)
    replies.say(Text(text, text))


def build() -> Router:
    router = Router(name="kpi")
    router.message.register(show_kpi, Command("kpi"))
    return router
