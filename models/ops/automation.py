"""The rules engine: runs the rules an event or the clock fires, and keeps their log (RuleRun).

**Events** (models/events.py) arrive in the transaction of the change. Each active rule whose
trigger fires, whose office covers the record and whose conditions hold gets a run, in the same
transaction. **The clock** (schedulers/rules.py) asks for due time and schedule occurrences,
fires each in its own transaction, once per (rule, record, occurrence) by the run's dedup key.

**Actions** run in order as the system, through the same operations people use
(`move_deal_to_stage` enforces a stage's required fields, `create_task`, the update of each
record kind, `enqueue_for_contact` for messages). Each action runs in its own savepoint: a
failing one is rolled back alone and recorded in the run's results, the run's other actions
and every other rule go on. A run with a failed action is retried by the clock (only the failed
actions) with growing delays, and is dead after `MAX_ATTEMPTS`. Nothing here calls the network:
a webhook action writes a WebhookDelivery row that the clock posts later, signed.

**The loop guard**: the rules whose actions caused an event travel with it (a context
variable). A rule is not run again for an event its own run caused, and a chain of more than
`MAX_DEPTH` runs is cut; both are recorded as skipped runs. Saving refuses the loops it can see
beforehand (models/ops/rules.py), this catches the rest.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.models import Model
from tortoise.transactions import in_transaction

from models.actor import Actor
from models.audit import audit_event
from models.clock import now
from models.db import dialect
from models.entities import (
    Company,
    Contact,
    Deal,
    DeliveryState,
    Lead,
    MessageState,
    Office,
    Order,
    Role,
    Rule,
    RuleEntity,
    RuleRun,
    RunOutcome,
    Task,
    User,
    WebhookDelivery,
)
from models.errors import DomainError, FieldError, NotFound, ValidationFailed
from models.events import Event
from models.ops.org import require_admin
from models.ops.outbox import Refs, clients_are_quiet, enqueue_for_contact
from models.queries.rows import fetch
from models.queries.workload import least_loaded_user
from models.rules.automation import (
    CLOCK_TRIGGERS,
    EVENT_TRIGGERS,
    FIELDS,
    LOOKBACK,
    MAX_DEPTH,
    OWNER_FIELD,
    Kind,
    conditions_hold,
    cron_trigger,
    due_moments,
    last_fire,
    occurrence_key,
    offset_of,
    parse_duration,
    parse_relative,
    trigger_fires,
)
from models.rules.money import from_minor
from models.settings import get_settings
from models.text import Text

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# Waits before the 2nd, 3rd, 4th and 5th attempt of a run with a failed action.
RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
)
WEBHOOK_MAX_ATTEMPTS = 8
WEBHOOK_CLAIM = timedelta(minutes=5)
WEBHOOK_DELAYS = (30, 60, 300, 900, 1800, 3600, 7200)  # seconds, then the last one again
# Records one clock tick takes from one rule, at most: the rest wait for the next tick.
BATCH = 500

MODELS: dict[RuleEntity, type[Model]] = {
    RuleEntity.DEAL: Deal,
    RuleEntity.LEAD: Lead,
    RuleEntity.CONTACT: Contact,
    RuleEntity.TASK: Task,
    RuleEntity.ORDER: Order,
}

_chain: ContextVar[tuple[int, ...]] = ContextVar("voronka_rule_chain", default=())

_NO_RECORD = Text("Запись не найдена.", "No such record.")
_NOT_REPLAYABLE = Text(
    "Повторить можно только запуск, у которого кончились попытки (dead).",
    "Only a run whose attempts ran out (dead) can be replayed.",
)


# Records as rules see them


async def load_record(entity: RuleEntity, record_id: int) -> Any | None:
    return await MODELS[entity].get_or_none(id=record_id)


async def snapshot(entity: RuleEntity, record: Any) -> dict[str, Any]:
    """The record's fields that conditions and webhooks see (models.rules.automation.FIELDS)."""
    values: dict[str, Any] = {}
    for name in FIELDS[entity]:
        if name == "amount":
            minor = record.amount_minor
            values[name] = None if minor is None else from_minor(minor, record.currency)
        elif name == "owner_id" and entity is RuleEntity.TASK:
            values[name] = record.assignee_id
        elif hasattr(record, name):
            values[name] = getattr(record, name)
    office = await Office.get_or_none(id=record.office_id)
    path = office.path if office else ""
    values["office_ids"] = [int(part) for part in path.split("/") if part]
    if entity is RuleEntity.DEAL:
        segment = None
        if record.company_id is not None:
            company = await Company.get_or_none(id=record.company_id)
            segment = company.segment_id if company else None
        if segment is None and record.contact_id is not None:
            contact = await Contact.get_or_none(id=record.contact_id)
            segment = contact.segment_id if contact else None
        values["segment_id"] = segment
    return values


def _changes(
    entity: RuleEntity, record: Any, changes: Mapping[str, tuple[Any, Any]]
) -> dict[str, tuple[Any, Any]]:
    """Column names as rules name fields: `amount_minor` is `amount`, a task's assignee its
    owner."""
    out = dict(changes)
    if "amount_minor" in out:
        old, new = out.pop("amount_minor")
        currency = getattr(record, "currency", "RUB")
        out["amount"] = tuple(  # type: ignore[assignment]
            None if v is None else from_minor(v, currency) for v in (old, new)
        )
    if entity is RuleEntity.TASK and "assignee_id" in out:
        out["owner_id"] = out["assignee_id"]
    return out


def _covers(rule: Rule, values: Mapping[str, Any]) -> bool:
    return rule.office_id is None or rule.office_id in values.get("office_ids", [])


# Events


async def on_event(event: Event) -> None:
    """Run the active rules this event fires (called by models.events.emit)."""
    entity = RuleEntity(event.entity)
    rules = [
        rule
        for rule in await Rule.filter(entity=entity, is_active=True).order_by("id")
        if rule.trigger.get("on") in EVENT_TRIGGERS
    ]
    if not rules:
        return
    record = await load_record(entity, event.record_id)
    if record is None:
        return
    changes = _changes(entity, record, event.changes)
    fired = [r for r in rules if trigger_fires(entity, r.trigger, event.kind, changes)]
    if not fired:
        return
    values = await snapshot(entity, record)
    at = now()
    for rule in fired:
        if _covers(rule, values) and conditions_hold(entity, rule.conditions, values, at):
            await start_run(rule, record.id, str(rule.trigger["on"]))


# Runs


async def start_run(
    rule: Rule, record_id: int, event: str, dedup_key: str | None = None
) -> RuleRun | None:
    """Record a run of `rule` on the record and perform its actions. None when `dedup_key` was
    taken already (the occurrence fired before)."""
    chain = _chain.get()
    at = now()
    columns: dict[str, Any] = {
        "rule_id": rule.id,
        "entity": rule.entity,
        "record_id": record_id,
        "event": event,
        "dedup_key": dedup_key,
        "depth": len(chain),
        "started_at": at,
    }
    guard = None
    if rule.id in chain:
        guard = "loop guard: this event was caused by the rule's own run"
    elif len(chain) >= MAX_DEPTH:
        guard = f"loop guard: {MAX_DEPTH} rule runs led to this event"
    if guard is not None:
        return await RuleRun.create(
            **columns, outcome=RunOutcome.SKIPPED, error=guard, finished_at=at
        )
    try:
        async with in_transaction():
            run = await RuleRun.create(**columns, outcome=RunOutcome.OK)
    except IntegrityError:
        return None
    results = [_result(i, action, "pending") for i, action in enumerate(rule.actions)]
    results = await _execute(rule, run, range(len(rule.actions)), results)
    await _finish(run, results)
    return run


def _result(index: int, action: Mapping[str, Any], status: str, detail: str = "") -> dict[str, Any]:
    return {"index": index, "do": action.get("do", ""), "status": status, "detail": detail}


async def _execute(
    rule: Rule, run: RuleRun, indices: Sequence[int], results: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    results = [dict(r) for r in results]
    token = _chain.set((*_chain.get(), rule.id))
    try:
        for index in indices:
            if index >= len(rule.actions):
                results[index] = {**results[index], "status": "skipped", "detail": "rule changed"}
                continue
            action = rule.actions[index]
            tries = int(results[index].get("tries", 0)) + 1
            try:
                async with in_transaction():
                    outcome = await _perform(rule, run, index, action, tries)
            except DomainError as error:
                outcome = {"status": "failed", "detail": _describe(error)}
            except Exception as error:
                # An action's unexpected error must not stop the rule's other actions or the
                # other rules: it is rolled back alone, logged and recorded for a retry.
                log.exception("rule %s action %s on %s failed", rule.id, index, run.record_id)
                outcome = {"status": "failed", "detail": f"{type(error).__name__}: {error}"}
            outcome["detail"] = str(outcome.get("detail", ""))[:1000]
            results[index] = {**_result(index, action, "ok"), **outcome, "tries": tries}
    finally:
        _chain.reset(token)
    return results


def _describe(error: DomainError) -> str:
    if isinstance(error, ValidationFailed):
        return "; ".join(f"{e.field}: {e.message.en}" for e in error.errors)
    return error.message.en


async def _finish(run: RuleRun, results: list[dict[str, Any]]) -> None:
    failed = [r for r in results if r["status"] == "failed"]
    run.results = results
    run.finished_at = now()
    run.next_attempt_at = None
    if failed:
        run.error = "; ".join(f"actions.{r['index']}: {r['detail']}" for r in failed)[:4000]
        if run.dry_run or run.attempts >= MAX_ATTEMPTS:
            run.outcome = RunOutcome.DEAD if not run.dry_run else RunOutcome.FAILED
        else:
            run.outcome = RunOutcome.FAILED
            run.next_attempt_at = run.finished_at + RETRY_DELAYS[run.attempts - 1]
    else:
        run.error = ""
        skipped = all(r["status"] == "skipped" for r in results)
        run.outcome = RunOutcome.SKIPPED if skipped and results else RunOutcome.OK
    await run.save(update_fields=["results", "finished_at", "next_attempt_at", "error", "outcome"])


# Actions


async def _perform(
    rule: Rule, run: RuleRun, index: int, action: Mapping[str, Any], tries: int
) -> dict[str, Any]:
    entity = RuleEntity(rule.entity)
    record = await load_record(entity, run.record_id)
    if record is None:
        raise ValidationFailed([FieldError("record_id", "not_found", _NO_RECORD)])
    do = action["do"]
    if do == "send_template":
        key = _action_key(run, index, tries)
        return await _send_template(entity, record, key, action["purpose"])
    if do == "create_task":
        return await _create_task(entity, record, action)
    if do == "assign_owner":
        return await _assign_owner(rule, entity, record, action["how"])
    if do == "set_field":
        return await _set_field(entity, record, action["field"], action.get("value"))
    if do == "move_stage":
        return await _move_stage(record, action["stage_id"])
    if do == "webhook":
        return await _webhook(rule, entity, record, run, index, action["url"], tries)
    raise ValueError(f"unknown action {do!r}")


def _action_key(run: RuleRun, index: int, tries: int) -> str:
    """The dedup key of what an action writes on its `tries`-th performance: a retry is a new
    try, since what the failed one wrote (a message with no usable channel, a dead webhook
    call) stays as it was."""
    key = f"rule:{run.id}:{index}"
    return key if tries <= 1 else f"{key}:{tries}"


def _contact_id(entity: RuleEntity, record: Any) -> int | None:
    return record.id if entity is RuleEntity.CONTACT else getattr(record, "contact_id", None)


async def _send_template(
    entity: RuleEntity, record: Any, dedup_key: str, purpose: str
) -> dict[str, Any]:
    contact_id = _contact_id(entity, record)
    contact = await Contact.get_or_none(id=contact_id) if contact_id else None
    if contact is None:
        return {"status": "skipped", "detail": "the record has no client"}
    refs = Refs(
        order_id=record.id if entity is RuleEntity.ORDER else None,
        deal_id=record.id if entity is RuleEntity.DEAL else getattr(record, "deal_id", None),
        manager_id=getattr(record, "owner_id", None) or getattr(record, "assignee_id", None),
    )
    if clients_are_quiet():
        return {"status": "skipped", "detail": "the client is not told of this change (import)"}
    message = await enqueue_for_contact(contact, purpose, dedup_key=dedup_key, refs=refs)
    if message is None:
        return {"status": "skipped", "detail": f"no active template for {purpose}"}
    detail = f"message {message.id} to contact {contact.id} by {message.channel}"
    if message.state == MessageState.CANCELLED:
        # The client gave no marketing consent: respected, not a failure. A retry would find
        # the same deduplicated message, so five futile attempts would end the run as dead.
        return {"status": "skipped", "detail": f"{detail}: {message.state}: {message.last_error}"}
    if message.state in (MessageState.FAILED, MessageState.DEAD):
        return {"status": "failed", "detail": f"{detail}: {message.state}: {message.last_error}"}
    return {"status": "ok", "detail": detail, "message_id": message.id}


async def head_of(office_id: int) -> int | None:
    """The active head of the office, or of the nearest office above it."""
    office = await Office.get_or_none(id=office_id)
    if office is None:
        return None
    for ancestor in reversed([int(p) for p in office.path.split("/") if p]):
        head = (
            await User.filter(office_id=ancestor, role=Role.HEAD, is_active=True)
            .order_by("id")
            .first()
        )
        if head is not None:
            return head.id
    return None


def _links(entity: RuleEntity, record: Any) -> dict[str, int]:
    if entity is RuleEntity.TASK:
        names = ("deal_id", "contact_id", "company_id", "lead_id")
        return {n: getattr(record, n) for n in names if getattr(record, n) is not None}
    if entity is RuleEntity.ORDER:
        return {"deal_id": record.deal_id} if record.deal_id else _contact_link(record)
    return {f"{entity.value}_id": record.id}


def _contact_link(record: Any) -> dict[str, int]:
    return {"contact_id": record.contact_id} if record.contact_id else {}


async def _create_task(
    entity: RuleEntity, record: Any, action: Mapping[str, Any]
) -> dict[str, Any]:
    from models.ops.tasks import create_task

    whom = action.get("for", "owner")
    if whom == "user":
        assignee = action.get("user_id")
    elif whom == "head":
        assignee = await head_of(record.office_id)
    else:
        assignee = record.assignee_id if entity is RuleEntity.TASK else record.owner_id
    if assignee is None:
        return {"status": "failed", "detail": f"no active {whom} for office {record.office_id}"}
    values: dict[str, Any] = {
        "title": action["title"],
        "assignee_id": assignee,
        **_links(entity, record),
    }
    if action.get("description"):
        values["description"] = action["description"]
    due_in = parse_duration(action.get("due_in"))
    if due_in is not None:
        values["due_at"] = values["remind_at"] = now() + due_in
    task = await create_task(Actor.system(), values)
    return {"status": "ok", "detail": f"task {task.id} for user {assignee}", "task_id": task.id}


async def _round_robin(rule: Rule, office_id: int) -> int | None:
    """The next active manager of the office after the one this rule assigned last."""
    rows = await (
        User.filter(office_id=office_id, role=Role.MANAGER, is_active=True)
        .order_by("id")
        .values_list("id")
    )
    managers = [int(row[0]) for row in rows]
    if not managers:
        return None
    last = None
    for run in await RuleRun.filter(rule_id=rule.id, dry_run=False).order_by("-id").limit(50):
        assigned = [r.get("user_id") for r in run.results if r.get("user_id")]
        if assigned:
            last = assigned[-1]
            break
    following = [m for m in managers if last is not None and m > last]
    return following[0] if following else managers[0]


async def _update(entity: RuleEntity, record_id: int, values: Mapping[str, Any]) -> None:
    from models.ops.contacts import update_contact
    from models.ops.deals import update_deal
    from models.ops.leads import update_lead
    from models.ops.tasks import update_task

    system = Actor.system()
    if entity is RuleEntity.DEAL:
        await update_deal(system, record_id, values, version=None)
    elif entity is RuleEntity.LEAD:
        await update_lead(system, record_id, values, version=None)
    elif entity is RuleEntity.CONTACT:
        await update_contact(system, record_id, values, version=None)
    elif entity is RuleEntity.TASK:
        await update_task(system, record_id, values, version=None)
    else:
        raise ValueError(f"{entity} records are not changed by rules")


async def _assign_owner(rule: Rule, entity: RuleEntity, record: Any, how: str) -> dict[str, Any]:
    field = OWNER_FIELD[entity]
    if how == "round_robin":
        user_id = await _round_robin(rule, record.office_id)
    else:
        user_id = await least_loaded_user(record.office_id)
    if user_id is None:
        return {"status": "failed", "detail": f"no active manager in office {record.office_id}"}
    if getattr(record, field) == user_id:
        return {"status": "ok", "detail": f"user {user_id} already", "user_id": user_id}
    await _update(entity, record.id, {field: user_id})
    return {"status": "ok", "detail": f"assigned to user {user_id}", "user_id": user_id}


def _field_value(entity: RuleEntity, name: str, value: Any) -> Any:
    kind = FIELDS[entity][name]
    if kind is Kind.MOMENT and isinstance(value, str):
        offset = parse_relative(value)
        return now() + offset if offset is not None else datetime.fromisoformat(value)
    if kind is Kind.DATE and isinstance(value, str):
        offset = parse_relative(value)
        return (now() + offset).date() if offset is not None else date.fromisoformat(value)
    return value


async def _set_field(entity: RuleEntity, record: Any, name: str, value: Any) -> dict[str, Any]:
    await _update(entity, record.id, {name: _field_value(entity, name, value)})
    return {"status": "ok", "detail": f"{name} set"}


async def _move_stage(record: Deal, stage_id: int) -> dict[str, Any]:
    from models.ops.deals import move_deal_to_stage

    if record.stage_id == stage_id:
        return {"status": "ok", "detail": f"already in stage {stage_id}"}
    await move_deal_to_stage(Actor.system(), record.id, stage_id, version=None)
    return {"status": "ok", "detail": f"moved to stage {stage_id}"}


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


async def _webhook(
    rule: Rule, entity: RuleEntity, record: Any, run: RuleRun, index: int, url: str, tries: int
) -> dict[str, Any]:
    values = await snapshot(entity, record)
    body = {
        "rule": {"id": rule.id, "name": rule.name},
        "run_id": run.id,
        "event": run.event,
        "entity": entity.value,
        "record": {"id": record.id, **{k: _jsonable(v) for k, v in values.items()}},
        "at": now().isoformat(),
    }
    delivery = await WebhookDelivery.create(
        run_id=run.id,
        action_index=index,
        url=url,
        body=json.dumps(body, ensure_ascii=False, sort_keys=True),
        dedup_key=_action_key(run, index, tries),
        next_attempt_at=now(),
    )
    return {"status": "ok", "detail": f"webhook {delivery.id} queued", "delivery_id": delivery.id}


# Dry runs


class _RollBack(Exception):
    def __init__(self, results: list[dict[str, Any]]) -> None:
        self.results = results
        super().__init__("dry run")


async def dry_run(actor: Actor, rule_id: int, record_id: int) -> RuleRun:
    """What the rule would do to the record now: conditions checked, every action performed in
    a savepoint that is rolled back, so nothing changes. Kept in the log as a dry run (the ids
    its results name were never kept)."""
    from models.ops.rules import get_rule

    require_admin(actor)
    rule = await get_rule(actor, rule_id)
    entity = RuleEntity(rule.entity)
    record = await load_record(entity, record_id)
    if record is None:
        raise ValidationFailed([FieldError("record_id", "not_found", _NO_RECORD)])
    values = await snapshot(entity, record)
    at = now()
    run = RuleRun(
        rule_id=rule.id,
        entity=entity,
        record_id=record.id,
        event=str(rule.trigger.get("on", "")),
        outcome=RunOutcome.OK,
        dry_run=True,
        started_at=at,
    )
    if not _covers(rule, values):
        results = [
            _result(i, a, "skipped", "outside the rule's office")
            for i, a in enumerate(rule.actions)
        ]
    elif not conditions_hold(entity, rule.conditions, values, at):
        results = [
            _result(i, a, "skipped", "conditions not met") for i, a in enumerate(rule.actions)
        ]
    else:
        pending = [_result(i, a, "pending") for i, a in enumerate(rule.actions)]
        try:
            async with in_transaction():
                scratch = await RuleRun.create(
                    **{k: getattr(run, k) for k in ("rule_id", "entity", "record_id", "event")},
                    outcome=RunOutcome.OK,
                    dry_run=True,
                )
                raise _RollBack(await _execute(rule, scratch, range(len(rule.actions)), pending))
        except _RollBack as done:
            results = done.results
    await run.save()
    await _finish(run, results)
    return run


# The clock: time and schedule triggers


@dataclass(frozen=True, slots=True)
class Occurrence:
    rule_id: int
    record_id: int
    key: str


@dataclass(frozen=True, slots=True)
class ClockBatch:
    """Due occurrences of one rule, and how far the rule has been looked at once they fired."""

    rule_id: int
    until: datetime | None
    occurrences: list[Occurrence]


async def clock_batches() -> list[ClockBatch]:
    """The time and schedule occurrences due now and not fired yet, per rule."""
    at = now()
    batches = []
    for rule in await Rule.filter(is_active=True).order_by("id"):
        on = rule.trigger.get("on")
        if on not in CLOCK_TRIGGERS:
            continue
        start = max(rule.created_at, rule.checked_until or rule.created_at, at - LOOKBACK)
        if on == "time":
            found, until = await _time_occurrences(rule, start, at)
        else:
            found, until = await _schedule_occurrences(rule, start, at)
        found = await _not_fired(found)
        if len(found) > BATCH:
            # The rest waits for the next tick: the rule is not marked as looked at yet.
            found, until = found[:BATCH], None
        batches.append(ClockBatch(rule.id, until, found))
    return batches


async def _not_fired(found: list[Occurrence]) -> list[Occurrence]:
    fired: set[str] = set()
    for chunk in range(0, len(found), 500):
        keys = [o.key for o in found[chunk : chunk + 500]]
        rows = await RuleRun.filter(dedup_key__in=keys).values_list("dedup_key")
        fired.update(str(row[0]) for row in rows)
    return [o for o in found if o.key not in fired]


async def _time_occurrences(
    rule: Rule, start: datetime, at: datetime
) -> tuple[list[Occurrence], datetime | None]:
    entity = RuleEntity(rule.entity)
    name = str(rule.trigger["field"])
    offset = offset_of(rule.trigger)
    timezone = get_settings().timezone
    if FIELDS[entity][name] is Kind.MOMENT:
        rows = (
            await MODELS[entity]
            .filter(**{f"{name}__gt": start - offset, f"{name}__lte": at - offset})
            .order_by(name, "id")
            .limit(BATCH)
            .values_list("id", name)
        )
        dues = [(int(i), value.astimezone(at.tzinfo) + offset) for i, value in rows]
    else:
        dues = []
        for record_id, day, zone in await _dated(entity, name, start - offset, at - offset, rule):
            for due in due_moments(rule.trigger, day, zone or timezone, at):
                if start < due <= at:
                    dues.append((record_id, due))
        dues.sort(key=lambda pair: (pair[1], pair[0]))
        dues = dues[:BATCH]
    until = dues[-1][1] if len(dues) >= BATCH else at
    return [Occurrence(rule.id, i, occurrence_key(rule.id, i, due)) for i, due in dues], until


async def _dated(
    entity: RuleEntity, name: str, start: datetime, until: datetime, rule: Rule
) -> list[tuple[int, date, str]]:
    """Records whose date field falls between the two moments (a day either side for time
    zones), or for a yearly trigger whose month and day do."""
    table = MODELS[entity]._meta.db_table
    first, last = (start - timedelta(days=1)).date(), (until + timedelta(days=1)).date()
    select = (
        f'SELECT r.id, r.{name} AS day, o.timezone FROM "{table}" r '
        "JOIN office o ON o.id = r.office_id"
    )
    if rule.trigger.get("yearly"):
        days = {day.strftime("%m-%d") for day in _days(first, last)}
        if "02-28" in days:
            days.add("02-29")  # born on 29 February: greeted on the 28th in other years
        column = (
            f"strftime('%m-%d', r.{name})"
            if dialect() == "sqlite"
            else f"to_char(r.{name}, 'MM-DD')"
        )
        marks = ", ".join("?" for _ in days)
        rows = await fetch(f"{select} WHERE {column} IN ({marks})", sorted(days))
    else:
        # asyncpg takes dates for a date column; SQLite stores them as ISO text.
        bounds: list[Any] = [first, last]
        if dialect() == "sqlite":
            bounds = [first.isoformat(), last.isoformat()]
        rows = await fetch(f"{select} WHERE r.{name} BETWEEN ? AND ?", bounds)
    return [
        (int(row["id"]), _as_date(row["day"]), str(row["timezone"] or ""))
        for row in rows
        if row["day"] is not None
    ]


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


async def _schedule_occurrences(
    rule: Rule, start: datetime, at: datetime
) -> tuple[list[Occurrence], datetime | None]:
    moment = last_fire(cron_trigger(str(rule.trigger["cron"]), get_settings().timezone), start, at)
    if moment is None:
        return [], None
    query = MODELS[RuleEntity(rule.entity)].all()
    if rule.office_id is not None:
        office = await Office.get(id=rule.office_id)
        query = query.filter(office__path__startswith=office.path)
    ids = [int(row[0]) for row in await query.order_by("id").values_list("id")]
    return [Occurrence(rule.id, i, occurrence_key(rule.id, i, moment)) for i in ids], moment


async def fire_occurrence(occurrence: Occurrence) -> RuleRun | None:
    """Fire one due occurrence, if the rule is still active and the record meets the
    conditions now. Run it in its own transaction; a second call does nothing."""
    rule = await Rule.get_or_none(id=occurrence.rule_id, is_active=True)
    if rule is None:
        return None
    entity = RuleEntity(rule.entity)
    record = await load_record(entity, occurrence.record_id)
    if record is None:
        return None
    values = await snapshot(entity, record)
    if not _covers(rule, values) or not conditions_hold(entity, rule.conditions, values, now()):
        return None
    return await start_run(rule, record.id, str(rule.trigger["on"]), dedup_key=occurrence.key)


async def advance_rule(rule_id: int, until: datetime) -> None:
    await Rule.filter(id=rule_id).update(checked_until=until)


# The clock: retries


async def due_retries(limit: int = 100) -> list[int]:
    ids = (
        await RuleRun.filter(outcome=RunOutcome.FAILED, dry_run=False, next_attempt_at__lte=now())
        .order_by("next_attempt_at", "id")
        .limit(limit)
        .values_list("id")
    )
    return [int(row[0]) for row in ids]


async def retry_run(run_id: int) -> RuleRun | None:
    """Perform a failed run's failed actions again. Run it in its own transaction."""
    run = await RuleRun.get_or_none(
        id=run_id, outcome=RunOutcome.FAILED, dry_run=False, next_attempt_at__lte=now()
    )
    if run is None:
        return None
    return await _retry(run, RunOutcome.FAILED, attempts=run.attempts + 1)


async def replay_run(actor: Actor, rule_id: int, run_id: int) -> RuleRun:
    """Perform a dead run's failed actions again now, as the clock's retry does, with its
    attempts counted from zero: failing again, it is retried by the clock before it is dead."""
    from models.ops.rules import get_rule

    rule = await get_rule(actor, rule_id)
    run = await RuleRun.get_or_none(id=run_id, rule_id=rule.id, dry_run=False)
    if run is None:
        raise NotFound("rule_run", run_id)
    if run.outcome != RunOutcome.DEAD:
        raise ValidationFailed([FieldError("outcome", "not_replayable", _NOT_REPLAYABLE)])
    replayed = await _retry(run, RunOutcome.DEAD, attempts=1)
    if replayed is None:
        raise ValidationFailed([FieldError("outcome", "not_replayable", _NOT_REPLAYABLE)])
    await audit_event(actor, "rule_run", run.id, "replay", f"dead after {run.attempts}")
    return replayed


async def _retry(run: RuleRun, outcome: RunOutcome, *, attempts: int) -> RuleRun | None:
    """Claim the run (still `outcome`, its attempts unchanged) as attempt `attempts` and perform
    its failed actions again, or skip them when the record no longer qualifies (_still_applies).
    None when another retry claimed it first or the rule is gone."""
    claimed = await RuleRun.filter(id=run.id, attempts=run.attempts, outcome=outcome).update(
        attempts=attempts, next_attempt_at=None
    )
    if claimed != 1:
        return None
    run.attempts = attempts
    rule = await Rule.get_or_none(id=run.rule_id)
    if rule is None:
        return None
    failed = [r["index"] for r in run.results if r["status"] == "failed"]
    reason = await _still_applies(rule, run)
    if reason:
        results = [dict(r) for r in run.results]
        for index in failed:
            results[index] = {**results[index], "status": "skipped", "detail": reason}
        await _finish(run, results)
        return run
    token = _chain.set(())
    try:
        results = await _execute(rule, run, failed, run.results)
    finally:
        _chain.reset(token)
    await _finish(run, results)
    return run


# Actions that change the record a rule watches: after one of them succeeded, the record's
# conditions describe the run's own work, not a reason to stop.
_CHANGES_RECORD = frozenset({"set_field", "move_stage", "assign_owner"})


async def _still_applies(rule: Rule, run: RuleRun) -> str:
    """Why a retry skips the run's failed actions (empty: it performs them): the rule was
    paused, the record is gone, left the rule's office, or no longer meets the conditions. The
    conditions are not checked again once an action of this run changed the record itself."""
    if not rule.is_active:
        return "not retried: the rule is paused"
    entity = RuleEntity(rule.entity)
    record = await load_record(entity, run.record_id)
    if record is None:
        return "not retried: the record no longer exists"
    values = await snapshot(entity, record)
    if not _covers(rule, values):
        return "not retried: the record is outside the rule's office"
    changed = any(r["status"] == "ok" and r["do"] in _CHANGES_RECORD for r in run.results)
    if not changed and not conditions_hold(entity, rule.conditions, values, now()):
        return "not retried: the record no longer meets the conditions"
    return ""


# The clock: webhooks


@dataclass(frozen=True, slots=True)
class WebhookCall:
    id: int
    url: str
    body: str
    attempt: int


async def claim_webhooks(limit: int = 50) -> list[WebhookCall]:
    """Claim due deliveries: each becomes `sending` with its attempt counted, due again when
    the claim expires (a crash between the POST and its record posts once more). Run it in its
    own short transaction."""
    at = now()
    due = (
        await WebhookDelivery.filter(
            state__in=(DeliveryState.QUEUED, DeliveryState.FAILED, DeliveryState.SENDING),
            next_attempt_at__lte=at,
        )
        .order_by("next_attempt_at", "id")
        .limit(limit)
    )
    calls = []
    for row in due:
        claimed = await WebhookDelivery.filter(
            id=row.id, state=row.state, attempts=row.attempts
        ).update(
            state=DeliveryState.SENDING,
            attempts=row.attempts + 1,
            next_attempt_at=at + WEBHOOK_CLAIM,
        )
        if claimed == 1:
            calls.append(WebhookCall(row.id, row.url, row.body, row.attempts + 1))
    return calls


def _permanent(status: int | None) -> bool:
    return status is not None and 400 <= status < 500 and status not in (408, 425, 429)


async def record_webhook(
    call: WebhookCall, status: int | None, error: str = ""
) -> DeliveryState | None:
    """Write what a POST came to: 2xx sent; another 4xx dead at once; 5xx, 408, 429 or no
    answer retried later, dead after WEBHOOK_MAX_ATTEMPTS. The run's result of the action says
    how it ended. None when the claim is no longer this one."""
    at = now()
    values: dict[str, Any] = {"last_status": status, "last_error": error[:2000]}
    if status is not None and 200 <= status < 300:
        state, values["sent_at"], values["next_attempt_at"] = DeliveryState.SENT, at, None
    elif _permanent(status) or call.attempt >= WEBHOOK_MAX_ATTEMPTS:
        state, values["next_attempt_at"] = DeliveryState.DEAD, None
    else:
        delay = WEBHOOK_DELAYS[min(call.attempt, len(WEBHOOK_DELAYS)) - 1]
        state, values["next_attempt_at"] = DeliveryState.FAILED, at + timedelta(seconds=delay)
    claim = WebhookDelivery.filter(id=call.id, state=DeliveryState.SENDING, attempts=call.attempt)
    if await claim.update(state=state, **values) != 1:
        return None
    if state in (DeliveryState.SENT, DeliveryState.DEAD):
        await _note_delivery(call, state, status, error)
    return state


async def _note_delivery(
    call: WebhookCall, state: DeliveryState, status: int | None, error: str
) -> None:
    delivery = await WebhookDelivery.get(id=call.id)
    run = await RuleRun.get_or_none(id=delivery.run_id) if delivery.run_id else None
    if run is None or delivery.action_index >= len(run.results):
        return
    results = [dict(r) for r in run.results]
    entry = results[delivery.action_index]
    answer = f"HTTP {status}" if status is not None else (error or "no answer")
    if state is DeliveryState.SENT:
        entry.update(status="ok", detail=f"webhook {call.id} delivered ({answer})")
        await RuleRun.filter(id=run.id).update(results=results)
        return
    entry.update(
        status="failed", detail=f"webhook {call.id} dead after {call.attempt} attempts: {answer}"
    )
    message = f"actions.{delivery.action_index}: {entry['detail']}"
    await RuleRun.filter(id=run.id).update(
        results=results,
        outcome=RunOutcome.DEAD,
        error=((run.error + "; ") if run.error else "") + message,
    )
