"""The morning digest: once per local date, at the user's own time, their day in one notice.

Who: active users with the digest on (`User.digest_enabled`), at `User.digest_minute` in their
zone (theirs, else their office's), or at `VORONKA_DIGEST_TIME`. What: the same day as
/v1/me/today and the bot's /today (`models/queries/today.my_day`): tasks overdue and due today,
deals over their stage time, deals gone quiet. A day with none of these sends nothing.

The digest is a list of sections (`SECTIONS`), each a function from the user's day to lines of
text, or none. What a section reads is loaded before (`DigestDay`): the user's day and KPIs.

Once: the job claims a user's date with one conditional UPDATE of `User.digest_sent_on`, and the
outbox key names the user and the date, so two schedulers or a repeated run send one digest,
and a scheduler stopped over the morning sends one late digest (`models/rules/digest.py`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from models.actor import Actor, actor_from
from models.audit import audit_changes
from models.clock import now
from models.entities import KpiLevel, KpiMetric, User
from models.errors import FieldError, ValidationFailed
from models.ops.kpi import KpiStatus, format_value, level_name, my_kpis
from models.ops.profile import my_profile
from models.ops.reminders import local_time
from models.ops.user_notices import Notice, notify_user
from models.queries.today import MyDay, my_day
from models.rules.digest import format_minute, local_date_due, parse_minute
from models.rules.timing import time_in_stage
from models.settings import get_settings
from models.text import Text

log = logging.getLogger(__name__)

PURPOSE = "digest"
SECTION_ITEMS = 10  # lines per section; the rest is counted

_TITLE = Text("Ваш день", "Your day")
_OVERDUE = Text("Просрочено: {n}", "Overdue: {n}")
_TODAY = Text("На сегодня: {n}", "Due today: {n}")
_STUCK = Text("Сделки дольше срока в этапе: {n}", "Deals over their stage time: {n}")
_QUIET = Text("Сделки без контакта: {n}", "Deals with no contact: {n}")
_MORE = Text("…и ещё {n}", "…and {n} more")
_STUCK_LINE = Text(
    "• {title} — «{stage}», {days} дн. (план {planned})",
    "• {title} — “{stage}”, {days} days (planned {planned})",
)
_KPIS = Text("Ваши KPI: {n}", "Your KPIs: {n}")
_KPI_PLAN_LINE = Text(
    "• {name}: {value} из {target}, к этому дню ожидалось {expected} — {level}",
    "• {name}: {value} of {target}, {expected} expected by today — {level}",
)
_KPI_FLOOR_LINE = Text(
    "• {name}: {value}, к этому дню не меньше {expected} — {level}",
    "• {name}: {value}, at least {expected} by today — {level}",
)
_BAD_TIME = Text("Время в виде ЧЧ:ММ, например 08:30.", "A time as HH:MM, for example 08:30.")


@dataclass(frozen=True, slots=True)
class DigestDay:
    """What a section reads: whose day it is, and the day."""

    actor: Actor
    day: MyDay
    at: datetime
    kpis: Sequence[KpiStatus] = field(default=())

    @property
    def language(self) -> str:
        return self.actor.language


Section = Callable[[DigestDay], list[str]]


def _say(text: Text, language: str, **values: object) -> str:
    return text.get(language).format(**values)


def _listed(day: DigestDay, heading: Text, lines: Sequence[str]) -> list[str]:
    if not lines:
        return []
    shown = [_say(heading, day.language, n=len(lines)), *lines[:SECTION_ITEMS]]
    if len(lines) > SECTION_ITEMS:
        shown.append(_say(_MORE, day.language, n=len(lines) - SECTION_ITEMS))
    return shown


def tasks_section(day: DigestDay) -> list[str]:
    zone, language = day.actor.timezone, day.language

    def line(title: str, due_at: datetime | None) -> str:
        return f"• {title}" + (f" — {local_time(due_at, zone, language)}" if due_at else "")

    overdue = [line(t.title, t.due_at) for t in day.day.overdue_tasks]
    today = [line(t.title, t.due_at) for t in day.day.due_today]
    return [*_listed(day, _OVERDUE, overdue), *_listed(day, _TODAY, today)]


def deals_section(day: DigestDay) -> list[str]:
    stuck = [
        _say(
            _STUCK_LINE,
            day.language,
            title=d.title,
            stage=d.stage.name,
            days=time_in_stage(d.stage_entered_at, day.at).days,
            planned=d.stage.planned_days,
        )
        for d in day.day.stuck_deals
    ]
    quiet = [f"• {d.title}" for d in day.day.quiet_deals]
    return [*_listed(day, _STUCK, stuck), *_listed(day, _QUIET, quiet)]


def kpi_section(day: DigestDay) -> list[str]:
    """The user's KPIs behind pace (warning or critical); those on track are no news."""
    lines = []
    for status in day.kpis:
        reading = status.reading
        if reading.level is KpiLevel.OK:
            continue
        metric = KpiMetric(status.definition.metric)
        values = {
            "name": status.definition.name,
            "value": format_value(metric, reading.value, status.currency),
            "expected": format_value(metric, reading.expected, status.currency),
            "level": level_name(reading.level).get(day.language),
        }
        if reading.target is None:
            lines.append(_say(_KPI_FLOOR_LINE, day.language, **values))
        else:
            target = format_value(metric, reading.target, status.currency)
            lines.append(_say(_KPI_PLAN_LINE, day.language, target=target, **values))
    return _listed(day, _KPIS, lines)


SECTIONS: list[Section] = [tasks_section, deals_section, kpi_section]


def digest_body(day: DigestDay) -> str | None:
    """The digest's text, or None when no section has anything to say."""
    parts = [lines for section in SECTIONS if (lines := section(day))]
    if not parts:
        return None
    return "\n\n".join("\n".join(lines) for lines in parts)


def digest_minute(user: User) -> int:
    minute = user.digest_minute
    if minute is None:
        minute = parse_minute(get_settings().digest_time) or 9 * 60
    return minute


async def send_digests() -> int:
    """The digest job: each user whose digest is due gets it. Returns how many went out (a
    user no channel reaches, or whose day is empty, is passed over for the day)."""
    at = now()
    users = await User.filter(is_active=True, digest_enabled=True).select_related("office")
    sent = 0
    for user in users:
        zone = user.timezone or user.office.timezone
        day = local_date_due(at, zone, digest_minute(user), user.digest_sent_on)
        if day is None:
            continue
        try:
            async with in_transaction():
                sent += await _send_one(user, day, at)
        except Exception:
            log.exception("digest of user %d failed; tried again on the next run", user.id)
    return sent


async def _send_one(user: User, day: date, at: datetime) -> int:
    untold = Q(digest_sent_on__isnull=True) | Q(digest_sent_on__lt=day)
    if await User.filter(untold, id=user.id).update(digest_sent_on=day) != 1:
        return 0
    actor = actor_from(user, user.office)
    body = digest_body(DigestDay(actor, await my_day(actor), at, await my_kpis(actor)))
    if body is None:
        return 0
    notice = Notice(purpose=PURPOSE, title=_TITLE, body=Text(body, body), data={"kind": PURPOSE})
    written = await notify_user(user, notice, dedup_key=f"digest:{user.id}:{day.isoformat()}")
    return 1 if written else 0


@dataclass(frozen=True, slots=True)
class DigestChoice:
    enabled: bool
    time: str  # HH:MM, the user's own or the installation's


def digest_choice(user: User) -> DigestChoice:
    return DigestChoice(user.digest_enabled, format_minute(digest_minute(user)))


async def set_my_digest(
    actor: Actor, *, enabled: bool | None = None, time: str | None = None
) -> DigestChoice:
    """Turn the user's own digest on or off and set its local time ("HH:MM"). Audited."""
    user = await my_profile(actor)
    changes: dict[str, tuple[object, object]] = {}
    if time is not None:
        minute = parse_minute(time)
        if minute is None:
            raise ValidationFailed([FieldError("time", "invalid_time", _BAD_TIME)])
        changes["digest_minute"] = (user.digest_minute, minute)
    if enabled is not None:
        changes["digest_enabled"] = (user.digest_enabled, enabled)
    changes = {name: pair for name, pair in changes.items() if pair[0] != pair[1]}
    if changes:
        values = {name: new for name, (_, new) in changes.items()}
        await User.filter(id=user.id).update(**values, updated_at=now())
        await audit_changes(actor, "user", user.id, changes)
        for name, value in values.items():
            setattr(user, name, value)
    return digest_choice(user)
