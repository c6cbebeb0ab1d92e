"""Texts of `/kpi` in Russian and English. Lines are put together in handlers/kpi.py with every
value escaped for Telegram HTML."""

from __future__ import annotations

from models.text import Text

TITLE = Text("<b>KPI</b>, {month}", "<b>KPI</b>, {month}")
MINE = Text("<b>Мои</b>", "<b>Mine</b>")
OFFICE = Text("<b>Офис «{name}»</b>", "<b>Office “{name}”</b>")
PEOPLE = Text("<b>Сотрудники</b>", "<b>People</b>")
PACE_LINE = Text(
    "{mark} {name}{who}: {value} из {target}, {percent} % темпа",
    "{mark} {name}{who}: {value} of {target}, {percent} % of the pace",
)
NO_PLAN_LINE = Text(
    "{mark} {name}{who}: {value}, плана нет", "{mark} {name}{who}: {value}, no plan"
)
MINIMUM_LINE = Text(
    "{mark} {name}{who}: {value}, к этому дню нужно {expected}",
    "{mark} {name}{who}: {value}, {expected} needed by today",
)
NOTHING = Text(
    "KPI пока не настроены: их задаёт администратор.",
    "No KPIs are set up yet: an administrator sets them.",
)
