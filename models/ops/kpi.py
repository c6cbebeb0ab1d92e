"""Plans, KPI definitions, KPI status, and the alerts of KPI breaches (ADR 0021).

Plans: heads set them for their office tree (its offices and users), admins for anyone;
managers read their own. KPI definitions are admins' settings. A status reads a definition for
a user or an office now (models/rules/kpi.py over models/queries/kpi.py). `check_kpi`, run by
the clock, records a breach once per level per period (`KpiBreach`), notifies the user and/or
their head (bot + push), and creates a task, as the definition says.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from models.actor import Actor
from models.audit import audit_changes, audit_created, audit_event
from models.clock import now
from models.entities import (
    KpiBreach,
    KpiDefinition,
    KpiLevel,
    KpiMetric,
    KpiMode,
    KpiRecipient,
    KpiSubject,
    Office,
    Plan,
    Role,
    User,
)
from models.errors import FieldErrors, Forbidden, NotFound
from models.ops import fields as f
from models.ops.org import require_admin
from models.ops.tasks import create_task
from models.ops.user_notices import Notice, notify_user
from models.queries.heads import nearest_head
from models.queries.kpi import Whose, measure
from models.rules.digits import MAX_BIGINT, ascii_digits, whole_number
from models.rules.kpi import MONEY_METRICS, Period, Reading, Thresholds, month_of, read
from models.rules.kpi import threshold_problems as _threshold_problems
from models.rules.money import CURRENCIES, from_minor, parse_amount
from models.scope import subtree_filter, visible_offices
from models.text import Text

PLAN_FIELDS = {"user_id", "office_id", "metric", "period_start", "period_end", "target", "currency"}
KPI_FIELDS = {
    "name",
    "metric",
    "subject",
    "mode",
    "warning",
    "critical",
    "office_id",
    "grace_days",
    "notify",
    "task_for",
    "is_active",
}
_ONE_OF = Text("Укажите сотрудника или офис.", "Give either a user or an office.")
_NOT_A_MONTH = Text(
    "План ставится на календарный месяц: с первого по последнее число.",
    "A plan covers one calendar month: from its first to its last day.",
)
_PLAN_EXISTS = Text("План на этот месяц уже есть.", "There is already a plan for this month.")
_BAD_CHOICE = Text("Недопустимое значение.", "Not an allowed value.")
_BAD_COUNT = Text("Нужно целое число не меньше 0.", "A whole number of at least 0 is needed.")
_TOO_LARGE = Text("Слишком большое число.", "The number is too large.")
_THRESHOLDS = {
    "negative": Text("Порог не может быть отрицательным.", "A threshold cannot be negative."),
    "above_warning": Text(
        "Критический порог не может быть выше порога предупреждения.",
        "The critical threshold cannot be above the warning one.",
    ),
    "too_large": Text("Не больше 1000 %.", "At most 1000 %."),
}
_METRIC_NAMES = {
    KpiMetric.INTERACTIONS: Text("Контакты с клиентами", "Client interactions"),
    KpiMetric.CALLS: Text("Звонки", "Calls"),
    KpiMetric.MEETINGS: Text("Встречи", "Meetings"),
    KpiMetric.VISITS: Text("Визиты", "Visits"),
    KpiMetric.NEW_DEALS: Text("Новые сделки", "New deals"),
    KpiMetric.DEALS_WON: Text("Выигранные сделки", "Deals won"),
    KpiMetric.REVENUE: Text("Выручка", "Revenue"),
}
_LEVEL_NAMES = {
    KpiLevel.OK: Text("в норме", "on track"),
    KpiLevel.WARNING: Text("внимание", "warning"),
    KpiLevel.CRITICAL: Text("критично", "critical"),
}


def metric_name(metric: KpiMetric) -> Text:
    return _METRIC_NAMES[metric]


def level_name(level: KpiLevel) -> Text:
    return _LEVEL_NAMES[level]


def format_value(metric: KpiMetric, value: int, currency: str = "RUB") -> str:
    """A value as people read it: a count, or an amount with its currency."""
    if metric in MONEY_METRICS:
        return f"{from_minor(value, currency)} {currency}"
    return str(value)


# Plans


def visible_plans(actor: Actor) -> QuerySet[Plan]:
    if actor.sees_everything:
        return Plan.all()
    if actor.role is Role.HEAD:
        return Plan.filter(
            Q(subtree_filter(actor, "user__"), subtree_filter(actor), join_type="OR")
        )
    return Plan.filter(user_id=actor.user_id)


def _require_planner(actor: Actor) -> None:
    if actor.role is Role.MANAGER:
        raise Forbidden()


async def get_plan(actor: Actor, plan_id: int) -> Plan:
    plan = await visible_plans(actor).get_or_none(id=plan_id)
    if plan is None:
        raise NotFound("plan", plan_id)
    return plan


def _month_problem(start: date, end: date) -> bool:
    last = calendar.monthrange(start.year, start.month)[1]
    return start.day != 1 or end != start.replace(day=last)


def _target(metric: KpiMetric | None, raw: Any, currency: str, errors: FieldErrors) -> int | None:
    if raw is None:
        errors.add("target", "required", f.REQUIRED)
        return None
    if metric in MONEY_METRICS:
        return parse_amount(raw, currency, errors, "target")
    text = str(raw).strip()
    if isinstance(raw, bool) or not isinstance(raw, int | str) or not ascii_digits(text):
        errors.add("target", "not_a_count", _BAD_COUNT)
        return None
    if (count := whole_number(text, MAX_BIGINT)) is None:
        errors.add("target", "too_large", _TOO_LARGE)
    return count


def _metric(raw: Any, errors: FieldErrors) -> KpiMetric | None:
    try:
        return KpiMetric(raw)
    except ValueError:
        errors.add("metric", "invalid_choice", _BAD_CHOICE)
        return None


async def create_plan(actor: Actor, values: Mapping[str, Any]) -> Plan:
    """A monthly target for a user or an office (exactly one), for one metric. `target` is a
    count, or an amount (a decimal string) for revenue."""
    _require_planner(actor)
    errors = FieldErrors()
    f.reject_unknown(values, PLAN_FIELDS, errors)
    user_id, office_id = values.get("user_id"), values.get("office_id")
    if (user_id is None) == (office_id is None):
        errors.add("user_id", "one_of", _ONE_OF)
    elif user_id is not None:
        user_query = User.filter(id=user_id, is_active=True)
        if not actor.sees_everything:
            user_query = user_query.filter(subtree_filter(actor))
        if not await user_query.exists():
            errors.add("user_id", "not_found", f.NOT_FOUND_REF)
    elif not await visible_offices(actor).filter(id=office_id).exists():
        errors.add("office_id", "not_found", f.NOT_FOUND_REF)
    metric = _metric(values.get("metric"), errors)
    currency = str(values.get("currency") or "RUB")
    if currency not in CURRENCIES:
        errors.add("currency", "unknown_currency", _BAD_CHOICE)
    start, end = values.get("period_start"), values.get("period_end")
    for name, day in (("period_start", start), ("period_end", end)):
        if day is None:
            errors.add(name, "required", f.REQUIRED)
    if isinstance(start, date) and isinstance(end, date) and _month_problem(start, end):
        errors.add("period_end", "not_a_month", _NOT_A_MONTH)
    target = _target(metric, values.get("target"), currency, errors)
    if not errors.items:
        same = Plan.filter(metric=metric, period_start=start, user_id=user_id, office_id=office_id)
        if await same.exists():
            errors.add("period_start", "duplicate", _PLAN_EXISTS)
    errors.raise_if_any()
    columns: dict[str, Any] = {
        "user_id": user_id,
        "office_id": office_id,
        "metric": metric,
        "period_start": start,
        "period_end": end,
        "target": target,
        "currency": currency,
    }
    plan = await Plan.create(**columns)
    await audit_created(actor, "plan", plan.id, columns)
    return plan


async def update_plan(actor: Actor, plan_id: int, values: Mapping[str, Any]) -> Plan:
    """Change the target of a plan (the only thing that changes: another month or person is
    another plan)."""
    _require_planner(actor)
    plan = await get_plan(actor, plan_id)
    errors = FieldErrors()
    f.reject_unknown(values, {"target"}, errors)
    target = _target(KpiMetric(plan.metric), values.get("target"), plan.currency, errors)
    errors.raise_if_any()
    await Plan.filter(id=plan.id).update(target=target, updated_at=now())
    await audit_changes(actor, "plan", plan.id, {"target": (plan.target, target)})
    plan.target = int(target or 0)
    return plan


async def delete_plan(actor: Actor, plan_id: int) -> None:
    _require_planner(actor)
    plan = await get_plan(actor, plan_id)
    await plan.delete()
    await audit_event(actor, "plan", plan_id, "delete")


# KPI definitions


def _choice(enum: Any, values: Mapping[str, Any], name: str, errors: FieldErrors) -> Any:
    try:
        return enum(values[name])
    except ValueError:
        errors.add(name, "invalid_choice", _BAD_CHOICE)
        return None


def _whole(values: Mapping[str, Any], name: str, errors: FieldErrors) -> int | None:
    value = values[name]
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        errors.add(name, "not_a_count", _BAD_COUNT)
        return None
    return value


async def _kpi_columns(
    values: Mapping[str, Any], errors: FieldErrors, current: KpiDefinition | None
) -> dict[str, Any]:
    f.reject_unknown(values, KPI_FIELDS, errors)
    columns = f.text_columns(values, {"name": 200}, errors, required=("name",))
    choices = {
        "metric": KpiMetric,
        "subject": KpiSubject,
        "mode": KpiMode,
        "notify": KpiRecipient,
        "task_for": KpiRecipient,
    }
    for name, enum in choices.items():
        if name in values:
            columns[name] = _choice(enum, values, name, errors)
    for name in ("warning", "critical", "grace_days"):
        if name in values:
            columns[name] = _whole(values, name, errors)
    if "is_active" in values:
        columns["is_active"] = bool(values["is_active"])
    if values.get("office_id") is not None and not await Office.exists(id=values["office_id"]):
        errors.add("office_id", "not_found", f.NOT_FOUND_REF)
    if "office_id" in values:
        columns["office_id"] = values["office_id"]

    def final(name: str) -> Any:
        return columns[name] if name in columns else getattr(current, name, None)

    mode, warning, critical = final("mode") or KpiMode.PACE, final("warning"), final("critical")
    if isinstance(warning, int) and isinstance(critical, int):
        for name, code in _threshold_problems(mode, warning, critical):
            errors.add(name, code, _THRESHOLDS[code])
    return columns


async def create_kpi(actor: Actor, values: Mapping[str, Any]) -> KpiDefinition:
    require_admin(actor)
    errors = FieldErrors()
    for name in ("name", "metric", "warning", "critical"):
        if values.get(name) is None:
            errors.add(name, "required", f.REQUIRED)
    columns = await _kpi_columns(values, errors, None)
    errors.raise_if_any()
    kpi = await KpiDefinition.create(**columns)
    await audit_created(actor, "kpi", kpi.id, columns)
    return kpi


async def get_kpi(actor: Actor, kpi_id: int) -> KpiDefinition:
    require_admin(actor)
    kpi = await KpiDefinition.get_or_none(id=kpi_id)
    if kpi is None:
        raise NotFound("kpi", kpi_id)
    return kpi


async def update_kpi(actor: Actor, kpi_id: int, values: Mapping[str, Any]) -> KpiDefinition:
    kpi = await get_kpi(actor, kpi_id)
    errors = FieldErrors()
    columns = await _kpi_columns(values, errors, kpi)
    errors.raise_if_any()
    changes = {name: (getattr(kpi, name), value) for name, value in columns.items()}
    if columns:
        await KpiDefinition.filter(id=kpi.id).update(**columns, updated_at=now())
        for name, value in columns.items():
            setattr(kpi, name, value)
    await audit_changes(actor, "kpi", kpi.id, changes)
    return kpi


# Status


@dataclass(frozen=True, slots=True)
class KpiStatus:
    definition: KpiDefinition
    user_id: int | None
    office_id: int | None
    period: Period
    reading: Reading
    currency: str


async def _plan_target(
    metric: KpiMetric, period: Period, *, user_id: int | None, office_id: int | None
) -> tuple[int | None, str]:
    plan = await Plan.filter(
        metric=metric, period_start=period.start, user_id=user_id, office_id=office_id
    ).first()
    return (None, "RUB") if plan is None else (plan.target, plan.currency)


async def status_of(
    definition: KpiDefinition, *, user: User | None = None, office: Office | None = None
) -> KpiStatus:
    """The definition read now for a user (in their office's month) or for an office tree."""
    at = now()
    if user is not None:
        home = await Office.get(id=user.office_id)
        period = month_of(at, user.timezone or home.timezone)
        whose = Whose(user_id=user.id)
        plan_of = {"user_id": user.id, "office_id": None}
    else:
        assert office is not None
        period = month_of(at, office.timezone)
        whose = Whose(office_path=office.path)
        plan_of = {"user_id": None, "office_id": office.id}
    metric = KpiMetric(definition.metric)
    target, currency = await _plan_target(metric, period, **plan_of)
    value = await measure(metric, whose, period, currency=currency)
    thresholds = Thresholds(
        KpiMode(definition.mode), definition.warning, definition.critical, definition.grace_days
    )
    reading = read(thresholds, value, target, period, at)
    return KpiStatus(
        definition, plan_of["user_id"], plan_of["office_id"], period, reading, currency
    )


def _applies(definition: KpiDefinition, path: str, office_paths: Mapping[int, str]) -> bool:
    if definition.office_id is None:
        return True
    scope = office_paths.get(definition.office_id)
    return scope is not None and path.startswith(scope)


async def _active(subject: KpiSubject) -> list[KpiDefinition]:
    return await KpiDefinition.filter(is_active=True, subject=subject).order_by("id")


async def _paths() -> dict[int, str]:
    return dict(await Office.all().values_list("id", "path"))


async def my_kpis(actor: Actor) -> list[KpiStatus]:
    """The actor's own KPIs now."""
    if actor.user_id is None:
        return []
    user = await User.get(id=actor.user_id)
    paths = await _paths()
    return [
        await status_of(d, user=user)
        for d in await _active(KpiSubject.USER)
        if _applies(d, actor.office_path, paths)
    ]


async def office_kpis(actor: Actor, office_id: int) -> list[KpiStatus]:
    """An office's KPIs now, and for heads and admins those of each of its active people."""
    office = await visible_offices(actor).get_or_none(id=office_id)
    if office is None:
        raise NotFound("office", office_id)
    paths = await _paths()
    statuses = [
        await status_of(d, office=office)
        for d in await _active(KpiSubject.OFFICE)
        if _applies(d, office.path, paths)
    ]
    if actor.role is Role.MANAGER:
        return statuses
    people = await User.filter(office_id=office.id, is_active=True).exclude(role=Role.ADMIN)
    for definition in await _active(KpiSubject.USER):
        if _applies(definition, office.path, paths):
            for person in sorted(people, key=lambda u: u.id):
                statuses.append(await status_of(definition, user=person))
    return statuses


# Alerts


@dataclass(frozen=True, slots=True)
class Subject:
    definition_id: int
    kind: KpiSubject
    id: int


async def kpi_subjects() -> list[Subject]:
    """Every (definition, user or office) the clock checks: the active users (not admins) and
    the offices each active definition applies to."""
    paths = await _paths()
    subjects: list[Subject] = []
    users = await User.filter(is_active=True).exclude(role=Role.ADMIN).order_by("id")
    offices = await Office.all().order_by("id")
    for definition in await KpiDefinition.filter(is_active=True).order_by("id"):
        if definition.subject is KpiSubject.USER:
            subjects += [
                Subject(definition.id, KpiSubject.USER, u.id)
                for u in users
                if _applies(definition, paths[u.office_id], paths)
            ]
        else:
            subjects += [
                Subject(definition.id, KpiSubject.OFFICE, o.id)
                for o in offices
                if _applies(definition, o.path, paths)
            ]
    return subjects


async def check_kpi(subject: Subject) -> KpiBreach | None:
    """Read one KPI for one user or office; on a breach of a level not yet recorded this period,
    record it, notify and create the task. Returns the new breach, if any."""
    definition = await KpiDefinition.get_or_none(id=subject.definition_id, is_active=True)
    if definition is None:
        return None
    user = office = None
    if subject.kind is KpiSubject.USER:
        user = await User.get_or_none(id=subject.id, is_active=True)
        if user is None:
            return None
        status = await status_of(definition, user=user)
        key = f"user:{user.id}"
    else:
        office = await Office.get_or_none(id=subject.id)
        if office is None:
            return None
        status = await status_of(definition, office=office)
        key = f"office:{office.id}"
    level = status.reading.level
    if level is KpiLevel.OK:
        return None
    recorded = KpiBreach.filter(
        definition_id=definition.id, subject_key=key, period_start=status.period.start
    )
    # Once per level and period, and a warning after a critical breach is no news.
    as_bad = [level, KpiLevel.CRITICAL]
    if await recorded.filter(level__in=as_bad).exists():
        return None
    breach = await KpiBreach.create(
        definition_id=definition.id,
        subject_key=key,
        user_id=user.id if user else None,
        office_id=office.id if office else None,
        period_start=status.period.start,
        level=level,
        value=status.reading.value,
        target=status.reading.target,
        expected=status.reading.expected,
    )
    await _alert(breach, definition, status, user, office)
    return breach


async def _heads_of(user: User | None, office: Office | None) -> list[User]:
    if user is not None:
        head = await nearest_head(user.id)
        return [head] if head is not None else []
    assert office is not None
    ancestors = [int(part) for part in office.path.split("/") if part][::-1]
    heads = await User.filter(office_id__in=ancestors, role=Role.HEAD, is_active=True)
    if not heads:
        return []
    nearest = min(ancestors.index(h.office_id) for h in heads)
    return sorted((h for h in heads if ancestors.index(h.office_id) == nearest), key=lambda u: u.id)


def _recipients(choice: KpiRecipient, user: User | None, heads: list[User]) -> list[User]:
    chosen: list[User] = []
    if choice in (KpiRecipient.USER, KpiRecipient.BOTH) and user is not None:
        chosen.append(user)
    if choice in (KpiRecipient.HEAD, KpiRecipient.BOTH) or (
        choice is KpiRecipient.USER and user is None
    ):
        chosen += heads
    return chosen


async def _alert(
    breach: KpiBreach,
    definition: KpiDefinition,
    status: KpiStatus,
    user: User | None,
    office: Office | None,
) -> None:
    metric = KpiMetric(definition.metric)
    reading = status.reading
    who = user.full_name if user is not None else (office.name if office else "")
    value = format_value(metric, reading.value, status.currency)
    expected = format_value(metric, reading.expected, status.currency)
    title = Text(
        f"KPI «{definition.name}»: {level_name(breach.level).ru}",
        f"KPI “{definition.name}”: {level_name(breach.level).en}",
    )
    if reading.target is not None:
        target = format_value(metric, reading.target, status.currency)
        body = Text(
            f"{who}. {metric_name(metric).ru}: {value} из плана {target}; к этому дню "
            f"ожидалось {expected} ({reading.percent} % темпа).",
            f"{who}. {metric_name(metric).en}: {value} of the {target} plan; {expected} was "
            f"expected by today ({reading.percent} % of the pace).",
        )
    else:
        body = Text(
            f"{who}. {metric_name(metric).ru}: {value}, к этому дню нужно не меньше {expected}.",
            f"{who}. {metric_name(metric).en}: {value}, at least {expected} by today.",
        )
    heads = await _heads_of(user, office)
    notice = Notice(
        purpose="kpi_breach",
        title=title,
        body=body,
        data={"kpi_id": str(definition.id), "breach_id": str(breach.id), "level": breach.level},
    )
    for recipient in _recipients(KpiRecipient(definition.notify), user, heads):
        await notify_user(recipient, notice, dedup_key=f"kpi:{breach.id}:{recipient.id}")
    assignees = _recipients(KpiRecipient(definition.task_for), user, heads)[:1]
    if assignees:
        assignee = assignees[0]
        task = await create_task(
            Actor.system(),
            {
                "title": f"{title.get(assignee.language)}: {who}"[:300],
                "description": body.get(assignee.language),
                "assignee_id": assignee.id,
                "due_at": now() + timedelta(days=1),
            },
        )
        await KpiBreach.filter(id=breach.id).update(task_id=task.id)
        breach.task_id = task.id
    await audit_event(
        Actor.system(), "kpi", definition.id, f"breach_{breach.level}", breach.subject_key
    )
