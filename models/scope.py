"""Visibility: the one place that decides which rows an actor may see and touch.

Manager: rows they own (are assigned, or wrote). Head: rows of their office and every office
under it.
Admin and the system: everything. A row outside the scope is *not found*, never *forbidden*, so ids
do not leak whether a record exists.
"""

from __future__ import annotations

from typing import Any, TypeVar

from tortoise.expressions import Q
from tortoise.models import Model
from tortoise.queryset import QuerySet

from models.actor import Actor
from models.entities import (
    Company,
    Contact,
    Deal,
    Interaction,
    Lead,
    Office,
    Order,
    Role,
    Task,
    User,
)
from models.errors import NotFound

M = TypeVar("M", bound=Model)

_OWNER_FIELDS: dict[type[Model], tuple[str, ...]] = {
    Company: ("owner_id",),
    Contact: ("owner_id",),
    Lead: ("owner_id",),
    Deal: ("owner_id",),
    Order: ("owner_id",),
    Task: ("assignee_id", "author_id"),
    Interaction: ("author_id", "deal__owner_id", "contact__owner_id"),
}

ENTITY_NAMES: dict[type[Model], str] = {
    Company: "company",
    Contact: "contact",
    Lead: "lead",
    Deal: "deal",
    Order: "order",
    Task: "task",
    Interaction: "interaction",
}


def subtree_filter(actor: Actor, prefix: str = "") -> Q:
    """Rows whose office (reached through `prefix`) is the actor's office or below it."""
    return _lookup(f"{prefix}office__path__startswith", actor.office_path)


def _lookup(name: str, value: Any) -> Q:
    condition: dict[str, Any] = {name: value}
    return Q(**condition)


def visible(model: type[M], actor: Actor) -> QuerySet[M]:
    query = model.all()
    if actor.sees_everything:
        return query
    if actor.role is Role.HEAD:
        return query.filter(subtree_filter(actor))
    conditions = [_lookup(name, actor.user_id) for name in _OWNER_FIELDS[model]]
    return query.filter(Q(*conditions, join_type="OR"))


def visible_condition(model: type[Model], actor: Actor) -> tuple[str, list[Any]] | None:
    """`visible` as an SQL condition over the model's table, for the hand-written reads of
    models/queries/rows.py; None when the actor sees every row. Office paths are digits and
    slashes (`1/3/`), so they need no LIKE escaping."""
    if actor.sees_everything:
        return None
    table = model._meta.db_table
    if actor.role is Role.HEAD:
        subtree = "SELECT o.id FROM office o WHERE o.path LIKE ?"
        return f'"{table}"."office_id" IN ({subtree})', [f"{actor.office_path}%"]
    owners = _OWNER_FIELDS[model]
    if any("__" in name for name in owners):
        raise NotImplementedError(f"{model.__name__}: visibility through a relation")
    condition = " OR ".join(f'"{table}"."{name}" = ?' for name in owners)
    return condition, [actor.user_id] * len(owners)


async def get_visible(model: type[M], actor: Actor, object_id: int) -> M:
    found = await visible(model, actor).get_or_none(id=object_id)
    if found is None:
        raise NotFound(ENTITY_NAMES[model], object_id)
    return found


def visible_offices(actor: Actor) -> QuerySet[Office]:
    if actor.sees_everything:
        return Office.all()
    return Office.filter(path__startswith=actor.office_path)


def visible_users(actor: Actor) -> QuerySet[User]:
    """Colleagues an actor may see. Managers see their office tree too: they pass clients on."""
    if actor.sees_everything:
        return User.all()
    return User.filter(subtree_filter(actor))


async def assignable_user(actor: Actor, user_id: int) -> User:
    """A user the actor may make owner or assignee of something.

    A manager may assign only to themself; a head within their office tree; an admin anyone active.
    """
    query = User.filter(id=user_id, is_active=True).select_related("office")
    if actor.role is Role.MANAGER:
        query = query.filter(id=actor.user_id)
    elif actor.role is Role.HEAD:
        query = query.filter(subtree_filter(actor))
    user = await query.first()
    if user is None:
        raise NotFound("user", user_id)
    return user
