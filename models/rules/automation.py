"""Automation rules, the pure part: what a rule may say, and what it means for a record.

A rule is a trigger, conditions and actions, as JSON (docs/automation.md has the grammar). This
module checks them against a `Catalogue` of the names and ids that exist (loaded by
models/ops/rules.py) and writes their canonical form: names of pipelines, stages, sources,
segments, offices and users become ids, so that renaming a stage does not break a rule.
It also evaluates conditions on a record's snapshot, matches triggers to events, finds loops
between rules, computes when a time trigger is due, and signs webhook bodies. No I/O.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from models.entities.enums import LeadStatus, OrderStatus, RuleEntity, TaskStatus
from models.errors import FieldErrors
from models.text import Text

# How many rule runs may lead to one another before the chain is cut (the loop guard).
MAX_DEPTH = 5
# How late a time or schedule occurrence may still fire, e.g. after the scheduler was down.
LOOKBACK = timedelta(days=2)


class Kind(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    MOMENT = "moment"
    DATE = "date"
    ID = "id"
    CHOICE = "choice"
    LIST = "list"


_COMMON = {
    "owner_id": Kind.ID,
    "office_id": Kind.ID,
    "office_ids": Kind.LIST,
    "created_at": Kind.MOMENT,
    "updated_at": Kind.MOMENT,
}
FIELDS: dict[RuleEntity, dict[str, Kind]] = {
    RuleEntity.DEAL: {
        **_COMMON,
        "title": Kind.TEXT,
        "amount": Kind.NUMBER,
        "currency": Kind.TEXT,
        "pipeline_id": Kind.ID,
        "stage_id": Kind.ID,
        "company_id": Kind.ID,
        "contact_id": Kind.ID,
        "source_id": Kind.ID,
        "segment_id": Kind.ID,
        "deadline": Kind.MOMENT,
        "stage_entered_at": Kind.MOMENT,
        "closed_at": Kind.MOMENT,
        "last_interaction_at": Kind.MOMENT,
    },
    RuleEntity.LEAD: {
        **_COMMON,
        "title": Kind.TEXT,
        "person_name": Kind.TEXT,
        "company_name": Kind.TEXT,
        "phone": Kind.TEXT,
        "email": Kind.TEXT,
        "inn": Kind.TEXT,
        "notes": Kind.TEXT,
        "status": Kind.CHOICE,
        "deadline": Kind.MOMENT,
        "source_id": Kind.ID,
        "converted_at": Kind.MOMENT,
    },
    RuleEntity.CONTACT: {
        **_COMMON,
        "first_name": Kind.TEXT,
        "last_name": Kind.TEXT,
        "middle_name": Kind.TEXT,
        "position": Kind.TEXT,
        "notes": Kind.TEXT,
        "birthday": Kind.DATE,
        "company_id": Kind.ID,
        "source_id": Kind.ID,
        "segment_id": Kind.ID,
        "preferred_channels": Kind.LIST,
    },
    RuleEntity.TASK: {
        **_COMMON,
        "title": Kind.TEXT,
        "description": Kind.TEXT,
        "status": Kind.CHOICE,
        "due_at": Kind.MOMENT,
        "remind_at": Kind.MOMENT,
        "completed_at": Kind.MOMENT,
        "deal_id": Kind.ID,
        "contact_id": Kind.ID,
        "company_id": Kind.ID,
        "lead_id": Kind.ID,
    },
    RuleEntity.ORDER: {
        **_COMMON,
        "number": Kind.TEXT,
        "status": Kind.CHOICE,
        "amount": Kind.NUMBER,
        "currency": Kind.TEXT,
        "contact_id": Kind.ID,
        "company_id": Kind.ID,
        "deal_id": Kind.ID,
    },
}
CHOICES: dict[RuleEntity, frozenset[str]] = {
    RuleEntity.LEAD: frozenset(s.value for s in LeadStatus),
    RuleEntity.TASK: frozenset(s.value for s in TaskStatus),
    RuleEntity.ORDER: frozenset(s.value for s in OrderStatus),
}
# What `set_field` may change: the fields the entity's own update operation takes. The owner
# changes through `assign_owner`, the stage through `move_stage` (required fields enforced).
SETTABLE: dict[RuleEntity, frozenset[str]] = {
    RuleEntity.DEAL: frozenset(
        {"title", "amount", "currency", "deadline", "source_id", "contact_id", "company_id"}
    ),
    RuleEntity.LEAD: frozenset(
        {"title", "person_name", "company_name", "phone", "email", "notes", "deadline", "source_id"}
    ),
    RuleEntity.CONTACT: frozenset(
        {
            "first_name",
            "last_name",
            "middle_name",
            "position",
            "notes",
            "source_id",
            "segment_id",
            "company_id",
        }
    ),
    RuleEntity.TASK: frozenset({"title", "description", "due_at", "remind_at"}),
    RuleEntity.ORDER: frozenset(),
}
# The field that names who a record belongs to (its owner, or a task's assignee).
OWNER_FIELD: dict[RuleEntity, str] = {
    RuleEntity.DEAL: "owner_id",
    RuleEntity.LEAD: "owner_id",
    RuleEntity.CONTACT: "owner_id",
    RuleEntity.TASK: "assignee_id",
}
# Records with a client to write to: the contact of a deal, order or task, or the contact itself.
HAS_CONTACT = frozenset({RuleEntity.DEAL, RuleEntity.CONTACT, RuleEntity.ORDER, RuleEntity.TASK})

EVENT_TRIGGERS = ("created", "updated", "field_changed", "stage_entered", "stage_left")
CLOCK_TRIGGERS = ("time", "schedule")
TRIGGERS = EVENT_TRIGGERS + CLOCK_TRIGGERS
OPERATORS = ("eq", "ne", "lt", "gt", "in", "contains", "is_empty")
ACTIONS = ("send_template", "create_task", "assign_owner", "set_field", "move_stage", "webhook")
TASK_FOR = ("owner", "head", "user")
ASSIGN_HOW = ("least_loaded", "round_robin")
SHORTHANDS = {
    "pipeline": "pipeline_id",
    "stage": "stage_id",
    "segment": "segment_id",
    "source": "source_id",
    "office": "office_ids",
}

_DURATION = re.compile(r"^\s*(\d{1,4})\s*([mhdw])\s*$")
_RELATIVE = re.compile(r"^\s*([+-])\s*(\d{1,4})\s*([mhdw])\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_AT = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_DAY_NUMBERS = {"0": "sun", "1": "mon", "2": "tue", "3": "wed", "4": "thu", "5": "fri"}
_DAY_NUMBERS |= {"6": "sat", "7": "sun"}

# Messages


def _t(ru: str, en: str) -> Text:
    return Text(ru, en)


REQUIRED = _t("Обязательное поле.", "This field is required.")
NOT_AN_OBJECT = _t("Ожидается объект.", "Expected an object.")
NOT_A_LIST = _t("Ожидается список.", "Expected a list.")
NOT_TEXT = _t("Ожидается текст.", "Expected a text.")
UNKNOWN_KEY = _t("Неизвестный ключ.", "Unknown key.")
UNKNOWN_TRIGGER = _t(
    "Триггер: created, updated, field_changed, stage_entered, stage_left, time или schedule.",
    "Trigger: created, updated, field_changed, stage_entered, stage_left, time or schedule.",
)
UNKNOWN_FIELD = _t("Нет такого поля у этой записи.", "This record has no such field.")
UNKNOWN_OPERATOR = _t(
    "Оператор: eq, ne, lt, gt, in, contains или is_empty.",
    "Operator: eq, ne, lt, gt, in, contains or is_empty.",
)
OPERATOR_NOT_FOR_FIELD = _t(
    "Этот оператор не подходит для этого поля.", "This operator does not fit this field."
)
BAD_VALUE = _t("Значение не подходит для этого поля.", "The value does not fit this field.")
BAD_CONDITION = _t(
    "Условие: {all: [...]}, {any: [...]}, {field, op, value} или pipeline, stage, segment, "
    "source, office.",
    "A condition: {all: [...]}, {any: [...]}, {field, op, value} or pipeline, stage, segment, "
    "source, office.",
)
TOO_DEEP = _t("Слишком глубокая вложенность условий.", "Conditions nested too deep.")
NOT_FOUND = _t("Не найдено.", "Not found.")
AMBIGUOUS = _t(
    "Под этим именем несколько записей: укажите id.", "Several records have this name: give the id."
)
STAGES_ONLY_DEALS = _t("Этапы бывают только у сделок.", "Only deals have stages.")
NOT_A_MOMENT = _t(
    "Нужно поле даты или времени (например deadline).",
    "Needs a date or time field (e.g. deadline).",
)
BAD_DURATION = _t(
    "Срок: число и m, h, d или w, например 3d.", "A duration: a number and m, h, d or w, e.g. 3d."
)
BEFORE_OR_AFTER = _t("Укажите before или after, не оба.", "Give before or after, not both.")
YEARLY_NEEDS_DATE = _t(
    "yearly и at — только для полей-дат (birthday).", "yearly and at are for date fields only."
)
BAD_AT = _t("Время: ЧЧ:ММ, например 09:00.", "A time of day: HH:MM, e.g. 09:00.")
BAD_CRON = _t("Неверное cron-выражение: {reason}", "Invalid cron expression: {reason}")
NO_ACTIONS = _t("Нужно хотя бы одно действие.", "Give at least one action.")
UNKNOWN_ACTION = _t(
    "Действие: send_template, create_task, assign_owner, set_field, move_stage или webhook.",
    "Action: send_template, create_task, assign_owner, set_field, move_stage or webhook.",
)
NO_CONTACT = _t(
    "У записи этого вида нет клиента, которому можно написать.",
    "Records of this kind have no client to write to.",
)
UNKNOWN_PURPOSE = _t(
    "Нет активного шаблона с таким назначением.", "No active template has this purpose."
)
BAD_TASK_FOR = _t("Кому: owner, head или user.", "For: owner, head or user.")
USER_NEEDED = _t("Укажите пользователя (user: email или id).", "Name the user (user: email or id).")
USER_OUT_OF_SCOPE = _t(
    "Этот пользователь вне офиса правила: правило не может ставить ему задачи.",
    "This user is outside the rule's office: the rule may not give them tasks.",
)
BAD_HOW = _t("Способ: least_loaded или round_robin.", "How: least_loaded or round_robin.")
NO_OWNER = _t("У записей этого вида нет владельца.", "Records of this kind have no owner.")
NOT_SETTABLE = _t(
    "Это поле правило менять не может (владелец — assign_owner, этап — move_stage).",
    "A rule may not set this field (the owner: assign_owner, the stage: move_stage).",
)
BAD_URL = _t("Нужен адрес http:// или https://.", "Needs an http:// or https:// address.")
NO_WEBHOOK_SECRET = _t(
    "Вебхуки подписываются ключом VORONKA_WEBHOOK_SECRET, а он не задан.",
    "Webhooks are signed with VORONKA_WEBHOOK_SECRET, which is not set.",
)
LOOP = _t(
    "Правило зациклится: {chain}. Уберите действие, которое снова вызывает триггер.",
    "The rule would loop: {chain}. Remove the action that fires the trigger again.",
)
TOO_LONG = _t("Не длиннее {n} символов.", "At most {n} characters.")


@dataclass(frozen=True, slots=True)
class Catalogue:
    """What exists, for checking a rule: id → name (stages also their pipeline, offices and
    users their office path), the purposes of active templates, and whether webhooks can be
    signed."""

    pipelines: Mapping[int, str] = field(default_factory=dict)
    stages: Mapping[int, tuple[str, int]] = field(default_factory=dict)
    sources: Mapping[int, str] = field(default_factory=dict)
    segments: Mapping[int, str] = field(default_factory=dict)
    offices: Mapping[int, tuple[str, str]] = field(default_factory=dict)
    users: Mapping[int, tuple[str, str]] = field(default_factory=dict)
    purposes: frozenset[str] = frozenset()
    webhooks: bool = False

    def names(self, table: str) -> Mapping[int, str]:
        if table == "stage_id":
            return {i: name for i, (name, _) in self.stages.items()}
        if table in ("office_ids", "office_id"):
            return {i: name for i, (name, _) in self.offices.items()}
        if table == "user":
            return {i: email for i, (email, _) in self.users.items()}
        tables = {
            "pipeline_id": self.pipelines,
            "source_id": self.sources,
            "segment_id": self.segments,
        }
        return tables.get(table, {})


@dataclass(slots=True)
class Checked:
    trigger: dict[str, Any]
    conditions: dict[str, Any]
    actions: list[dict[str, Any]]


def parse_duration(value: Any) -> timedelta | None:
    """'3d' → 3 days (m, h, d, w); None when it is not a duration."""
    if not isinstance(value, str):
        return None
    match = _DURATION.match(value)
    if not match:
        return None
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def parse_relative(value: Any) -> timedelta | None:
    """'+3d' / '-2h' → a signed offset from now; None when it is not one."""
    if not isinstance(value, str):
        return None
    if value.strip() == "now":
        return timedelta(0)
    match = _RELATIVE.match(value)
    if not match:
        return None
    delta = timedelta(**{_UNITS[match.group(3)]: int(match.group(2))})
    return -delta if match.group(1) == "-" else delta


def cron_trigger(expression: str, timezone: str) -> CronTrigger:
    """A five-field crontab with cron's own day numbers (0 and 7 Sunday, 1 Monday): APScheduler
    3 counts 0 as Monday, so numbered days are turned into names first. Raises ValueError."""
    parts = expression.split()
    if len(parts) != 5:
        raise ValueError(f"expected 5 fields, got {len(parts)}")
    parts[4] = re.sub(r"(?<![\w/])([0-7])(?![\w])", lambda m: _DAY_NUMBERS[m.group(1)], parts[4])
    minute, hour, day, month, day_of_week = parts
    return CronTrigger(
        minute=minute,
        hour=hour,
        day=day,
        month=month,
        day_of_week=day_of_week,
        timezone=ZoneInfo(timezone),
    )


def last_fire(trigger: CronTrigger, after: datetime, until: datetime) -> datetime | None:
    """The last moment the schedule fires in (after, until], or None (a backlog coalesces)."""
    last = None
    moment = trigger.get_next_fire_time(None, after + timedelta(microseconds=1))
    steps = 0
    while moment is not None and moment <= until and steps < 10_000:
        last = moment
        moment = trigger.get_next_fire_time(moment, moment + timedelta(seconds=1))
        steps += 1
    return last.astimezone(UTC) if last else None


# Checking a rule


class _Checker:
    def __init__(
        self,
        entity: RuleEntity,
        catalogue: Catalogue,
        errors: FieldErrors,
        office_path: str | None,
        timezone: str,
    ) -> None:
        self.entity, self.catalogue, self.errors = entity, catalogue, errors
        self.fields = FIELDS[entity]
        self.office_path = office_path
        self.timezone = timezone

    def add(self, path: str, code: str, message: Text) -> None:
        self.errors.add(path, code, message)

    def keys(self, value: Mapping[str, Any], allowed: Iterable[str], path: str) -> None:
        allowed = set(allowed)
        for key in value:
            if key not in allowed:
                self.add(f"{path}.{key}", "unknown_key", UNKNOWN_KEY)

    def resolve(self, table: str, value: Any, path: str) -> int | None:
        """An id from an id or an exact name (case-insensitive) of `table`."""
        names = self.catalogue.names(table)
        if isinstance(value, int) and not isinstance(value, bool):
            if value in names:
                return value
            self.add(path, "not_found", NOT_FOUND)
            return None
        if not isinstance(value, str) or not value.strip():
            self.add(path, "invalid", BAD_VALUE)
            return None
        wanted = value.strip().casefold()
        found = [i for i, name in names.items() if name.casefold() == wanted]
        if len(found) == 1:
            return found[0]
        self.add(path, "ambiguous" if found else "not_found", AMBIGUOUS if found else NOT_FOUND)
        return None

    # trigger

    def trigger(self, raw: Any) -> dict[str, Any]:
        path = "trigger"
        if not isinstance(raw, Mapping):
            self.add(path, "invalid", NOT_AN_OBJECT)
            return {}
        on = raw.get("on")
        if on not in TRIGGERS:
            self.add(f"{path}.on", "unknown_trigger" if on else "required", UNKNOWN_TRIGGER)
            return {}
        out: dict[str, Any] = {"on": on}
        if on in ("created", "updated"):
            self.keys(raw, {"on"}, path)
        elif on == "field_changed":
            self.keys(raw, {"on", "field", "from", "to"}, path)
            name = self.field_name(raw.get("field"), f"{path}.field")
            if name:
                out["field"] = name
                for key in ("from", "to"):
                    if key in raw:
                        out[key] = self.value(name, raw[key], f"{path}.{key}", "eq")
        elif on in ("stage_entered", "stage_left"):
            self.keys(raw, {"on", "stage", "stage_id"}, path)
            if self.entity is not RuleEntity.DEAL:
                self.add(f"{path}.on", "deals_only", STAGES_ONLY_DEALS)
            given = raw.get("stage_id", raw.get("stage"))
            if given is not None:
                key = "stage_id" if "stage_id" in raw else "stage"
                out["stage_id"] = self.resolve("stage_id", given, f"{path}.{key}")
        elif on == "time":
            out.update(self.time_trigger(raw, path))
        else:
            self.keys(raw, {"on", "cron"}, path)
            cron = raw.get("cron")
            if not isinstance(cron, str) or not cron.strip():
                self.add(f"{path}.cron", "required", REQUIRED)
            else:
                try:
                    cron_trigger(cron, self.timezone)
                except ValueError as error:
                    self.add(f"{path}.cron", "invalid_cron", BAD_CRON.format(reason=error))
                out["cron"] = " ".join(cron.split())
        return out

    def time_trigger(self, raw: Mapping[str, Any], path: str) -> dict[str, Any]:
        self.keys(raw, {"on", "field", "before", "after", "yearly", "at"}, path)
        out: dict[str, Any] = {}
        name = self.field_name(raw.get("field"), f"{path}.field")
        kind = self.fields.get(name or "")
        if name and kind not in (Kind.MOMENT, Kind.DATE):
            self.add(f"{path}.field", "not_a_moment", NOT_A_MOMENT)
        if name:
            out["field"] = name
        if "before" in raw and "after" in raw:
            self.add(f"{path}.before", "before_or_after", BEFORE_OR_AFTER)
        for key in ("before", "after"):
            if key in raw:
                if parse_duration(raw[key]) is None:
                    self.add(f"{path}.{key}", "invalid_duration", BAD_DURATION)
                else:
                    out[key] = str(raw[key]).strip()
        for key in ("yearly", "at"):
            if key in raw and kind is not Kind.DATE:
                self.add(f"{path}.{key}", "date_fields_only", YEARLY_NEEDS_DATE)
        if "yearly" in raw:
            if not isinstance(raw["yearly"], bool):
                self.add(f"{path}.yearly", "invalid", BAD_VALUE)
            else:
                out["yearly"] = raw["yearly"]
        if "at" in raw:
            if not isinstance(raw["at"], str) or not _AT.match(raw["at"]):
                self.add(f"{path}.at", "invalid_time", BAD_AT)
            else:
                out["at"] = raw["at"]
        return out

    def field_name(self, value: Any, path: str) -> str | None:
        if value is None:
            self.add(path, "required", REQUIRED)
            return None
        if not isinstance(value, str) or value not in self.fields:
            self.add(path, "unknown_field", UNKNOWN_FIELD)
            return None
        return value

    def value(self, name: str, value: Any, path: str, op: str) -> Any:
        """A comparison value for field `name`, canonical; a misfit goes to the errors."""
        kind = self.fields[name]
        if op == "in":
            if not isinstance(value, list) or not value:
                self.add(path, "invalid", NOT_A_LIST)
                return []
            return [self.value(name, item, f"{path}.{i}", "eq") for i, item in enumerate(value)]
        if value is None:
            return None
        if op == "contains" and kind is Kind.LIST:
            if name == "office_ids":
                return self.resolve("office_ids", value, path)
            if isinstance(value, str):
                return value
            self.add(path, "invalid", BAD_VALUE)
            return None
        if kind in (Kind.TEXT, Kind.CHOICE):
            if not isinstance(value, str):
                self.add(path, "invalid", NOT_TEXT)
                return None
            choices = CHOICES.get(self.entity, frozenset())
            if kind is Kind.CHOICE and value not in choices:
                self.add(path, "invalid_choice", BAD_VALUE)
            return value
        if kind is Kind.NUMBER:
            number = _decimal(value)
            if number is None:
                self.add(path, "invalid", BAD_VALUE)
                return None
            return str(number)
        if kind is Kind.ID:
            if name in ("pipeline_id", "stage_id", "source_id", "segment_id", "office_id"):
                return self.resolve(name, value, path)
            if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                return value
            self.add(path, "invalid", BAD_VALUE)
            return None
        if kind is Kind.MOMENT:
            if parse_relative(value) is not None or _moment(value) is not None:
                return value.strip()
            self.add(path, "invalid", BAD_VALUE)
            return None
        if kind is Kind.DATE:
            if isinstance(value, str) and (_date(value) or parse_relative(value) is not None):
                return value.strip()
            self.add(path, "invalid", BAD_VALUE)
            return None
        self.add(path, "invalid", BAD_VALUE)
        return None

    # conditions

    def conditions(self, raw: Any, path: str = "conditions", depth: int = 0) -> dict[str, Any]:
        if raw is None:
            return {}
        if not isinstance(raw, Mapping):
            self.add(path, "invalid", NOT_AN_OBJECT)
            return {}
        if not raw:
            return {}
        if depth > 8:
            self.add(path, "too_deep", TOO_DEEP)
            return {}
        for group in ("all", "any"):
            if group in raw:
                self.keys(raw, {group}, path)
                items = raw[group]
                if not isinstance(items, list):
                    self.add(f"{path}.{group}", "invalid", NOT_A_LIST)
                    return {}
                return {
                    group: [
                        self.conditions(item, f"{path}.{group}.{i}", depth + 1)
                        for i, item in enumerate(items)
                    ]
                }
        short = [key for key in SHORTHANDS if key in raw]
        if short:
            key = short[0]
            self.keys(raw, {key}, path)
            column = SHORTHANDS[key]
            if key == "stage" and self.entity is not RuleEntity.DEAL:
                self.add(f"{path}.stage", "deals_only", STAGES_ONLY_DEALS)
                return {}
            if column not in self.fields:
                self.add(f"{path}.{key}", "unknown_field", UNKNOWN_FIELD)
                return {}
            given = raw[key]
            where = f"{path}.{key}"
            if column == "office_ids":
                return {
                    "field": column,
                    "op": "contains",
                    "value": self.resolve(column, given, where),
                }
            if isinstance(given, list):
                ids = [self.resolve(column, v, f"{where}.{i}") for i, v in enumerate(given)]
                return {"field": column, "op": "in", "value": ids}
            return {"field": column, "op": "eq", "value": self.resolve(column, given, where)}
        if "field" not in raw:
            self.add(path, "invalid_condition", BAD_CONDITION)
            return {}
        self.keys(raw, {"field", "op", "value"}, path)
        name = self.field_name(raw.get("field"), f"{path}.field")
        op = raw.get("op", "eq")
        if op not in OPERATORS:
            self.add(f"{path}.op", "unknown_operator", UNKNOWN_OPERATOR)
            return {}
        if name is None:
            return {}
        kind = self.fields[name]
        if (op in ("lt", "gt") and kind not in (Kind.NUMBER, Kind.MOMENT, Kind.DATE)) or (
            op == "contains" and kind not in (Kind.TEXT, Kind.LIST)
        ):
            self.add(f"{path}.op", "operator_not_for_field", OPERATOR_NOT_FOR_FIELD)
            return {}
        if op == "is_empty":
            flag = raw.get("value", True)
            if not isinstance(flag, bool):
                self.add(f"{path}.value", "invalid", BAD_VALUE)
            return {"field": name, "op": op, "value": bool(flag)}
        if "value" not in raw:
            self.add(f"{path}.value", "required", REQUIRED)
            return {}
        return {
            "field": name,
            "op": op,
            "value": self.value(name, raw["value"], f"{path}.value", op),
        }

    # actions

    def actions(self, raw: Any) -> list[dict[str, Any]]:
        if not isinstance(raw, list):
            self.add("actions", "invalid", NOT_A_LIST)
            return []
        if not raw:
            self.add("actions", "required", NO_ACTIONS)
        return [self.action(item, f"actions.{i}") for i, item in enumerate(raw)]

    def action(self, raw: Any, path: str) -> dict[str, Any]:
        if not isinstance(raw, Mapping):
            self.add(path, "invalid", NOT_AN_OBJECT)
            return {}
        do = raw.get("do")
        if do not in ACTIONS:
            self.add(f"{path}.do", "unknown_action" if do else "required", UNKNOWN_ACTION)
            return {}
        handler: Callable[[Mapping[str, Any], str], dict[str, Any]] = getattr(self, f"_{do}")
        return {"do": do, **handler(raw, path)}

    def _send_template(self, raw: Mapping[str, Any], path: str) -> dict[str, Any]:
        self.keys(raw, {"do", "purpose"}, path)
        if self.entity not in HAS_CONTACT:
            self.add(f"{path}.do", "no_contact", NO_CONTACT)
        purpose = raw.get("purpose")
        if not isinstance(purpose, str) or not purpose.strip():
            self.add(f"{path}.purpose", "required", REQUIRED)
            return {}
        if purpose not in self.catalogue.purposes:
            self.add(f"{path}.purpose", "unknown_purpose", UNKNOWN_PURPOSE)
        return {"purpose": purpose}

    def _create_task(self, raw: Mapping[str, Any], path: str) -> dict[str, Any]:
        self.keys(raw, {"do", "title", "description", "for", "user", "due_in"}, path)
        out: dict[str, Any] = {}
        title = raw.get("title")
        if not isinstance(title, str) or not title.strip():
            self.add(f"{path}.title", "required", REQUIRED)
        elif len(title.strip()) > 300:
            self.add(f"{path}.title", "too_long", TOO_LONG.format(n=300))
        else:
            out["title"] = title.strip()
        description = raw.get("description", "")
        if not isinstance(description, str):
            self.add(f"{path}.description", "invalid", NOT_TEXT)
        elif description.strip():
            out["description"] = description.strip()[:10_000]
        whom = raw.get("for", "owner")
        if whom not in TASK_FOR:
            self.add(f"{path}.for", "invalid_choice", BAD_TASK_FOR)
            return out
        out["for"] = whom
        if whom == "user":
            if raw.get("user") is None:
                self.add(f"{path}.user", "required", USER_NEEDED)
            else:
                user_id = self.resolve("user", raw["user"], f"{path}.user")
                if user_id is not None:
                    user_path = self.catalogue.users[user_id][1]
                    if self.office_path and not user_path.startswith(self.office_path):
                        self.add(f"{path}.user", "forbidden", USER_OUT_OF_SCOPE)
                    out["user_id"] = user_id
        elif "user" in raw:
            self.add(f"{path}.user", "unknown_key", UNKNOWN_KEY)
        if "due_in" in raw:
            if parse_duration(raw["due_in"]) is None:
                self.add(f"{path}.due_in", "invalid_duration", BAD_DURATION)
            else:
                out["due_in"] = str(raw["due_in"]).strip()
        return out

    def _assign_owner(self, raw: Mapping[str, Any], path: str) -> dict[str, Any]:
        self.keys(raw, {"do", "how"}, path)
        if self.entity not in OWNER_FIELD:
            self.add(f"{path}.do", "no_owner", NO_OWNER)
        how = raw.get("how", "least_loaded")
        if how not in ASSIGN_HOW:
            self.add(f"{path}.how", "invalid_choice", BAD_HOW)
            return {}
        return {"how": how}

    def _set_field(self, raw: Mapping[str, Any], path: str) -> dict[str, Any]:
        self.keys(raw, {"do", "field", "value"}, path)
        name = self.field_name(raw.get("field"), f"{path}.field")
        if name is None:
            return {}
        if name not in SETTABLE[self.entity]:
            self.add(f"{path}.field", "not_settable", NOT_SETTABLE)
            return {}
        if "value" not in raw:
            self.add(f"{path}.value", "required", REQUIRED)
            return {"field": name}
        return {"field": name, "value": self.value(name, raw["value"], f"{path}.value", "eq")}

    def _move_stage(self, raw: Mapping[str, Any], path: str) -> dict[str, Any]:
        self.keys(raw, {"do", "stage", "stage_id"}, path)
        if self.entity is not RuleEntity.DEAL:
            self.add(f"{path}.do", "deals_only", STAGES_ONLY_DEALS)
        key = "stage_id" if "stage_id" in raw else "stage"
        if raw.get(key) is None:
            self.add(f"{path}.stage", "required", REQUIRED)
            return {}
        return {"stage_id": self.resolve("stage_id", raw[key], f"{path}.{key}")}

    def _webhook(self, raw: Mapping[str, Any], path: str) -> dict[str, Any]:
        self.keys(raw, {"do", "url"}, path)
        url = raw.get("url")
        if not isinstance(url, str) or not _http_url(url):
            self.add(f"{path}.url", "invalid_url", BAD_URL)
            return {}
        if not self.catalogue.webhooks:
            self.add(f"{path}.url", "webhook_secret_missing", NO_WEBHOOK_SECRET)
        return {"url": url.strip()}


def _http_url(url: str) -> bool:
    if len(url) > 2000:
        return False
    parts = urlsplit(url.strip())
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def check_rule(
    entity: RuleEntity,
    trigger: Any,
    conditions: Any,
    actions: Any,
    catalogue: Catalogue,
    errors: FieldErrors,
    *,
    office_path: str | None = None,
    timezone: str = "Europe/Moscow",
) -> Checked:
    """The canonical trigger, conditions and actions; every problem goes to `errors` under the
    path of the part at fault (`trigger.cron`, `conditions.all.1.field`, `actions.0.purpose`)."""
    checker = _Checker(entity, catalogue, errors, office_path, timezone)
    return Checked(
        checker.trigger(trigger), checker.conditions(conditions), checker.actions(actions)
    )


# Evaluating conditions


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int | float | str):
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    return None


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def _operand(kind: Kind, value: Any, at: datetime) -> Any:
    """A stored comparison value as the snapshot's values are: Decimal, aware datetime, date."""
    if value is None:
        return None
    if kind is Kind.NUMBER:
        return _decimal(value)
    if kind is Kind.MOMENT:
        offset = parse_relative(value)
        return at + offset if offset is not None else _moment(value)
    if kind is Kind.DATE:
        offset = parse_relative(value)
        return (at + offset).date() if offset is not None else _date(value)
    return value


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def _compare(kind: Kind, actual: Any, op: str, wanted: Any, at: datetime) -> bool:
    if op == "is_empty":
        return _empty(actual) is bool(wanted)
    if op == "in":
        return any(_compare(kind, actual, "eq", item, at) for item in wanted or [])
    if op == "contains":
        if kind is Kind.LIST:
            return wanted in (actual or [])
        return isinstance(actual, str) and str(wanted).casefold() in actual.casefold()
    operand = _operand(kind, wanted, at)
    if kind is Kind.NUMBER:
        actual = _decimal(actual) if actual is not None else None
    if op == "eq":
        return bool(actual == operand)
    if op == "ne":
        return bool(actual != operand)
    if actual is None or operand is None:
        return False
    try:
        return bool(actual < operand) if op == "lt" else bool(actual > operand)
    except TypeError:
        return False


def conditions_hold(
    entity: RuleEntity, conditions: Mapping[str, Any], record: Mapping[str, Any], at: datetime
) -> bool:
    """Whether a record (its snapshot: field → value) meets canonical conditions at `at`."""
    if not conditions:
        return True
    if "all" in conditions:
        return all(conditions_hold(entity, c, record, at) for c in conditions["all"])
    if "any" in conditions:
        return any(conditions_hold(entity, c, record, at) for c in conditions["any"])
    name = conditions["field"]
    kind = FIELDS[entity][name]
    return _compare(kind, record.get(name), conditions["op"], conditions.get("value"), at)


# Matching events


def _same(entity: RuleEntity, name: str, actual: Any, wanted: Any) -> bool:
    kind = FIELDS[entity].get(name, Kind.TEXT)
    if kind is Kind.NUMBER:
        return _decimal(actual) == _decimal(wanted) if actual is not None else wanted is None
    if kind is Kind.MOMENT and isinstance(actual, datetime):
        return actual == _moment(wanted)
    if kind is Kind.DATE and isinstance(actual, date):
        return actual.isoformat() == wanted
    return bool(actual == wanted)


def trigger_fires(
    entity: RuleEntity,
    trigger: Mapping[str, Any],
    kind: str,
    changes: Mapping[str, tuple[Any, Any]],
) -> bool:
    """Whether an event (`created` or `updated`, with the fields that changed: old, new) fires
    a canonical trigger. A deal created in a stage enters that stage."""
    on = trigger.get("on")
    if on == "created":
        return kind == "created"
    if on == "updated":
        return kind == "updated" and bool(changes)
    if on == "field_changed":
        name = trigger["field"]
        if kind != "updated" or name not in changes:
            return False
        old, new = changes[name]
        if "from" in trigger and not _same(entity, name, old, trigger["from"]):
            return False
        return "to" not in trigger or _same(entity, name, new, trigger["to"])
    if on in ("stage_entered", "stage_left"):
        if "stage_id" not in changes:
            return False
        old, new = changes["stage_id"]
        if on == "stage_left" and (kind != "updated" or old is None):
            return False
        stage = new if on == "stage_entered" else old
        return trigger.get("stage_id") is None or trigger["stage_id"] == stage
    return False


# Loops between rules


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """A rule as the loop check sees it."""

    name: str
    entity: RuleEntity
    trigger: Mapping[str, Any]
    actions: Sequence[Mapping[str, Any]]


@dataclass(frozen=True, slots=True)
class _Produced:
    entity: RuleEntity
    kind: str
    changes: dict[str, tuple[Any, Any]]


_ANY = object()


def _produced(rule: RuleSpec) -> list[_Produced]:
    """The events a rule's actions can cause, as far as can be told before it runs."""
    produced: list[_Produced] = []
    for action in rule.actions:
        do = action.get("do")
        if do == "set_field" and "field" in action:
            value = action.get("value")
            produced.append(_Produced(rule.entity, "updated", {action["field"]: (_ANY, value)}))
        elif do == "assign_owner" and rule.entity in OWNER_FIELD:
            changes = {OWNER_FIELD[rule.entity]: (_ANY, _ANY), "owner_id": (_ANY, _ANY)}
            produced.append(_Produced(rule.entity, "updated", changes))
        elif do == "move_stage":
            stage = action.get("stage_id")
            produced.append(_Produced(RuleEntity.DEAL, "updated", {"stage_id": (_ANY, stage)}))
        elif do == "create_task":
            produced.append(_Produced(RuleEntity.TASK, "created", {}))
    return produced


def _may_fire(rule: RuleSpec, event: _Produced) -> bool:
    if rule.entity is not event.entity or rule.trigger.get("on") in CLOCK_TRIGGERS:
        return False
    on = rule.trigger.get("on")
    if on == "created":
        return event.kind == "created"
    if event.kind != "updated":
        return False
    if on == "updated":
        return True
    if on == "field_changed":
        name = rule.trigger.get("field")
        if name not in event.changes:
            return False
        new = event.changes[name][1]
        wanted = rule.trigger.get("to", _ANY)
        return new is _ANY or wanted is _ANY or _same(rule.entity, name, new, wanted)
    if on in ("stage_entered", "stage_left") and "stage_id" in event.changes:
        new = event.changes["stage_id"][1]
        wanted = rule.trigger.get("stage_id")
        return on == "stage_left" or wanted is None or new is None or new == wanted
    return False


def find_loop(rules: Sequence[RuleSpec], start: str) -> list[str] | None:
    """A chain of rule names from `start` back to `start` through events their actions cause,
    or None. Rules on the clock start chains but are never re-entered by one."""
    by_name = {rule.name: rule for rule in rules}
    edges = {
        rule.name: [
            other.name
            for other in rules
            if any(_may_fire(other, event) for event in _produced(rule))
        ]
        for rule in rules
    }

    def walk(name: str, path: list[str]) -> list[str] | None:
        for following in edges.get(name, []):
            if following == start:
                return [*path, start]
            if following not in path and following in by_name:
                found = walk(following, [*path, following])
                if found:
                    return found
        return None

    return walk(start, [start])


# Time triggers


def offset_of(trigger: Mapping[str, Any]) -> timedelta:
    """How far the due moment is from the field's value: minus for before, plus for after."""
    if "before" in trigger:
        return -(parse_duration(trigger["before"]) or timedelta(0))
    return parse_duration(trigger.get("after")) or timedelta(0)


def _on_day(day: date, at: str, timezone: str) -> datetime:
    hours, minutes = (int(part) for part in at.split(":"))
    return datetime.combine(day, time(hours, minutes), ZoneInfo(timezone)).astimezone(UTC)


def _in_year(day: date, year: int) -> date:
    """The day in `year`; 29 February falls on the 28th in other years."""
    try:
        return day.replace(year=year)
    except ValueError:
        return day.replace(year=year, day=28)


def due_moments(
    trigger: Mapping[str, Any], value: datetime | date | None, timezone: str, around: datetime
) -> list[datetime]:
    """The moments a record's field value makes the trigger due, near `around` (for a yearly
    date: last year's, this year's and next year's)."""
    if value is None:
        return []
    offset = offset_of(trigger)
    if isinstance(value, datetime):
        return [value.astimezone(UTC) + offset]
    at = str(trigger.get("at") or "09:00")
    if not trigger.get("yearly"):
        return [_on_day(value, at, timezone) + offset]
    year = around.astimezone(ZoneInfo(timezone)).year
    return [_on_day(_in_year(value, y), at, timezone) + offset for y in (year - 1, year, year + 1)]


def occurrence_key(rule_id: int, record_id: int, due: datetime) -> str:
    return f"rule:{rule_id}:{record_id}:{due.astimezone(UTC).isoformat()}"


# Webhooks


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    """The X-Voronka-Signature header: HMAC-SHA256 over "<timestamp>.<body>", hex."""
    digest = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def signature_valid(secret: bytes, timestamp: int, body: bytes, header: str) -> bool:
    """What a receiver checks (in constant time); our tests use it."""
    return hmac.compare_digest(sign(secret, timestamp, body), header)
