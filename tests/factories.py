"""Builders of test data: each makes one valid thing with defaults; override what matters."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from models.actor import Actor, actor_from
from models.entities import (
    Company,
    Contact,
    Deal,
    Lead,
    LossReason,
    Office,
    OfficeKind,
    Order,
    Pipeline,
    Role,
    Rule,
    Source,
    Stage,
    StageKind,
    Task,
    User,
)
from models.ops.companies import create_company
from models.ops.contacts import create_contact
from models.ops.deals import create_deal
from models.ops.leads import create_lead
from models.ops.orders import create_order
from models.ops.org import create_office, create_user
from models.ops.rules import create_rule
from models.ops.tasks import create_task

_seq = itertools.count(1)
SYSTEM = Actor.system()
# Valid INNs of well-known organisations, for tests that need real checksums.
VALID_INNS = ("7707083893", "7736207543", "7702070139", "7728168971", "500100732259")


def unique(prefix: str = "x") -> str:
    return f"{prefix}{next(_seq)}"


async def make_office(
    name: str | None = None, parent: Office | None = None, timezone: str = "Europe/Moscow"
) -> Office:
    return await create_office(
        SYSTEM,
        name=name or unique("Office "),
        kind=OfficeKind.BRANCH if parent else OfficeKind.COMPANY,
        parent_id=parent.id if parent else None,
        timezone=timezone,
    )


async def make_user(office: Office | None = None, role: Role = Role.MANAGER, **values: Any) -> User:
    office = office or await make_office()
    values.setdefault("email", f"{unique('user')}@example.test")
    values.setdefault("full_name", unique("User "))
    return await create_user(SYSTEM, office_id=office.id, role=role, **values)


async def actor_for(user: User) -> Actor:
    return actor_from(user, await Office.get(id=user.office_id))


async def make_actor(role: Role = Role.MANAGER, office: Office | None = None) -> Actor:
    return await actor_for(await make_user(office, role))


async def make_pipeline(
    name: str = "Продажи",
    stages: tuple[tuple[str, StageKind, list[str]], ...] = (
        ("Новая", StageKind.OPEN, []),
        ("В работе", StageKind.OPEN, []),
        ("КП отправлено", StageKind.OPEN, ["amount", "contact_id"]),
        ("Успешно", StageKind.WON, []),
        ("Проиграна", StageKind.LOST, []),
    ),
    is_default: bool = True,
) -> Pipeline:
    pipeline = await Pipeline.create(name=name, is_default=is_default)
    for position, (stage_name, kind, required) in enumerate(stages):
        await Stage.create(
            pipeline_id=pipeline.id,
            name=stage_name,
            position=position,
            kind=kind,
            required_fields=required,
            planned_days=5,
        )
    return pipeline


async def stage_named(pipeline: Pipeline, name: str) -> Stage:
    return await Stage.get(pipeline_id=pipeline.id, name=name)


async def make_contact(actor: Actor, **values: Any) -> Contact:
    values.setdefault("first_name", unique("Иван"))
    values.setdefault("last_name", "Петров")
    return await create_contact(actor, values, force=values.pop("force", False))


async def make_company(actor: Actor, **values: Any) -> Company:
    values.setdefault("name", unique("ООО Ромашка "))
    return await create_company(actor, values, force=values.pop("force", False))


async def make_deal(actor: Actor, **values: Any) -> Deal:
    values.setdefault("title", unique("Поставка "))
    return await create_deal(actor, values)


async def make_task(actor: Actor, **values: Any) -> Task:
    values.setdefault("title", unique("Позвонить "))
    return await create_task(actor, values)


async def make_loss_reason(name: str = "Дорого") -> LossReason:
    return await LossReason.create(name=name)


async def make_source(name: str | None = None) -> Source:
    return await Source.create(name=name or unique("Сайт "))


async def make_order(actor: Actor, **values: Any) -> Order:
    values.setdefault("number", unique("A-"))
    return await create_order(actor, values)


async def make_lead(actor: Actor, **values: Any) -> Lead:
    values.setdefault("title", unique("Заявка "))
    return await create_lead(actor, values)


@dataclass(frozen=True)
class Org:
    """A small company: root office with two sibling branches; north has a department below it.

    admin — root; head — head of north; manager, colleague — managers in north; deep — a manager
    in north's department; stranger — a manager in south; south_head — head of south.
    """

    root: Office
    north: Office
    south: Office
    department: Office
    admin: Actor
    head: Actor
    manager: Actor
    colleague: Actor
    deep: Actor
    stranger: Actor
    south_head: Actor


async def make_org() -> Org:
    root = await make_office("Головной офис")
    north = await make_office("Север", parent=root)
    south = await make_office("Юг", parent=root)
    department = await make_office("Отдел продаж", parent=north)
    return Org(
        root=root,
        north=north,
        south=south,
        department=department,
        admin=await make_actor(Role.ADMIN, root),
        head=await make_actor(Role.HEAD, north),
        manager=await make_actor(Role.MANAGER, north),
        colleague=await make_actor(Role.MANAGER, north),
        deep=await make_actor(Role.MANAGER, department),
        stranger=await make_actor(Role.MANAGER, south),
        south_head=await make_actor(Role.HEAD, south),
    )


# A Monday morning in Moscow: the fixed "now" of tests that travel in time.
T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


SALES_STAGES: tuple[tuple[str, StageKind, list[str]], ...] = (
    ("Новая", StageKind.OPEN, []),
    ("В работе", StageKind.OPEN, []),
    ("Переговоры", StageKind.OPEN, []),
    ("КП отправлено", StageKind.OPEN, ["amount", "contact_id"]),
    ("Успешно", StageKind.WON, []),
    ("Проиграна", StageKind.LOST, []),
)


async def make_rule(**values: Any) -> Rule:
    """An automation rule saved as an admin saves it (checked); override what matters."""
    values.setdefault("name", unique("Правило "))
    values.setdefault("entity", "deal")
    values.setdefault("trigger", {"on": "created"})
    values.setdefault("actions", [{"do": "create_task", "title": "Позвонить", "for": "owner"}])
    return await create_rule(SYSTEM, values)
