"""Automation rules: admins write them (API, `voronka rules apply`), the engine runs them.

Saving checks everything that can be known before a rule runs (models/rules/automation.py):
fields the record has, operators that fit them, names of stages, sources, offices and users
that exist, a cron expression APScheduler accepts, template purposes with an active template,
actions the record kind allows, named users inside the rule's office, and loops: a rule whose
actions would fire itself again, directly or through other active rules, is refused with the
chain. Every problem is a field error naming the path of the part at fault.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from models.actor import Actor
from models.audit import audit_changes, audit_created, audit_event
from models.entities import (
    Office,
    Pipeline,
    Rule,
    RuleEntity,
    Segment,
    Source,
    Stage,
    Template,
    User,
)
from models.errors import FieldError, FieldErrors, NotFound, ValidationFailed
from models.ops import fields as f
from models.ops.org import require_admin
from models.ops.versioning import update_versioned
from models.rules.automation import LOOP, Catalogue, RuleSpec, check_rule, find_loop
from models.settings import get_settings
from models.text import Text

ENTITY = "rule"
FIELDS = {
    "name",
    "description",
    "entity",
    "trigger",
    "conditions",
    "actions",
    "is_active",
    "office_id",
}
_TAKEN = Text("Правило с таким именем уже есть.", "A rule with this name exists.")
_BAD_ENTITY = Text(
    "Вид записи: deal, lead, contact, task или order.",
    "Record kind: deal, lead, contact, task or order.",
)
_BAD_FLAG = Text("Ожидается true или false.", "Expected true or false.")


async def load_catalogue() -> Catalogue:
    """The names and ids a rule may refer to."""
    stages = await Stage.all().values_list("id", "name", "pipeline_id")
    offices = await Office.all().values_list("id", "name", "path")
    users = await User.filter(is_active=True).values_list("id", "email", "office__path")
    return Catalogue(
        pipelines=dict(await Pipeline.all().values_list("id", "name")),
        stages={i: (name, pipeline) for i, name, pipeline in stages},
        sources=dict(await Source.all().values_list("id", "name")),
        segments=dict(await Segment.all().values_list("id", "name")),
        offices={i: (name, path) for i, name, path in offices},
        users={i: (email, path) for i, email, path in users},
        purposes=frozenset(
            str(row[0]) for row in await Template.filter(is_active=True).values_list("purpose")
        ),
        webhooks=get_settings().webhook_secret is not None,
    )


def _entity(value: Any, errors: FieldErrors) -> RuleEntity | None:
    try:
        return RuleEntity(value)
    except ValueError:
        errors.add("entity", "invalid_choice", _BAD_ENTITY)
        return None


async def _columns(
    actor: Actor, values: Mapping[str, Any], existing: Rule | None
) -> dict[str, Any]:
    errors = FieldErrors()
    f.reject_unknown(values, FIELDS, errors)
    columns = f.text_columns(values, {"name": 200}, errors, required=("name",))
    if "description" in values:
        columns["description"] = f.text_field(values, "description", 2000, errors) or ""
    if existing is None:
        for name in ("name", "entity", "trigger", "actions"):
            if values.get(name) is None and not errors.has(name):
                errors.add(name, "required", f.REQUIRED)
    if "is_active" in values:
        if isinstance(values["is_active"], bool):
            columns["is_active"] = values["is_active"]
        else:
            errors.add("is_active", "invalid", _BAD_FLAG)
    office_path: str | None = None
    office_id = values.get("office_id", existing.office_id if existing else None)
    if office_id is not None:
        office = await Office.get_or_none(id=office_id) if isinstance(office_id, int) else None
        if office is None:
            errors.add("office_id", "not_found", f.NOT_FOUND_REF)
        else:
            office_path = office.path
    if "office_id" in values:
        columns["office_id"] = office_id
    raw_entity = values.get("entity", existing.entity if existing else None)
    entity = _entity(raw_entity, errors) if raw_entity is not None else None
    if entity is not None:
        checked = check_rule(
            entity,
            values.get("trigger", existing.trigger if existing else None),
            values.get("conditions", existing.conditions if existing else {}),
            values.get("actions", existing.actions if existing else None),
            await load_catalogue(),
            errors,
            office_path=office_path,
            timezone=get_settings().timezone,
        )
        columns.update(
            entity=entity,
            trigger=checked.trigger,
            conditions=checked.conditions,
            actions=checked.actions,
        )
    errors.raise_if_any()
    name = columns.get("name") or (existing.name if existing else "")
    if columns.get("is_active", existing.is_active if existing else True):
        await _refuse_loops(name, columns, existing)
    if "name" in columns:
        taken = Rule.filter(name=name)
        if existing is not None:
            taken = taken.exclude(id=existing.id)
        if await taken.exists():
            raise ValidationFailed([FieldError("name", "taken", _TAKEN)])
    return columns


async def _refuse_loops(name: str, columns: Mapping[str, Any], existing: Rule | None) -> None:
    others = Rule.filter(is_active=True)
    if existing is not None:
        others = others.exclude(id=existing.id)
    specs = [
        RuleSpec(rule.name, RuleEntity(rule.entity), rule.trigger, rule.actions)
        for rule in await others
    ]
    specs.append(
        RuleSpec(name, RuleEntity(columns["entity"]), columns["trigger"], columns["actions"])
    )
    chain = find_loop(specs, name)
    if chain:
        message = LOOP.format(chain=" → ".join(f"«{n}»" for n in chain))
        raise ValidationFailed([FieldError("actions", "loop", message)])


async def _save(rule: Rule | None, columns: dict[str, Any], version: int | None) -> Rule:
    """Insert or update in a savepoint: a concurrent twin of the name fails as a field error."""
    try:
        async with in_transaction():
            if rule is None:
                return await Rule.create(**columns)
            await update_versioned(rule, version, **columns)
            return rule
    except IntegrityError:
        raise ValidationFailed([FieldError("name", "taken", _TAKEN)]) from None


async def create_rule(actor: Actor, values: Mapping[str, Any]) -> Rule:
    require_admin(actor)
    columns = await _columns(actor, values, None)
    rule = await _save(None, columns, None)
    await audit_created(actor, ENTITY, rule.id, columns)
    return rule


async def get_rule(actor: Actor, rule_id: int) -> Rule:
    require_admin(actor)
    rule = await Rule.get_or_none(id=rule_id)
    if rule is None:
        raise NotFound(ENTITY, rule_id)
    return rule


async def update_rule(
    actor: Actor, rule_id: int, values: Mapping[str, Any], *, version: int | None
) -> Rule:
    rule = await get_rule(actor, rule_id)
    columns = await _columns(actor, values, rule)
    changes = {name: (getattr(rule, name), value) for name, value in columns.items()}
    await _save(rule, columns, version)
    await audit_changes(actor, ENTITY, rule.id, changes)
    return rule


async def delete_rule(actor: Actor, rule_id: int) -> None:
    """The rule and its run log go; what its runs did stays."""
    rule = await get_rule(actor, rule_id)
    await rule.delete()
    await audit_event(actor, ENTITY, rule_id, "delete", rule.name)


async def rule_named(actor: Actor, name: str) -> Rule | None:
    require_admin(actor)
    return await Rule.get_or_none(name=name)


async def check_rule_values(
    actor: Actor, values: Mapping[str, Any], existing: Rule | None = None
) -> dict[str, Any]:
    """The canonical columns `values` would save as, checked exactly as saving checks them;
    writes nothing. `voronka rules apply --dry-run` plans with it."""
    require_admin(actor)
    return await _columns(actor, values, existing)
