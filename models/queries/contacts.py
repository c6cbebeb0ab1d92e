"""Contact lists and cards."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from tortoise import connections

from models.actor import Actor
from models.entities import Contact
from models.queries.fulltext import fulltext_condition
from models.queries.paging import Page, keyset_json, keyset_rows, parse_sort
from models.queries.rows import Where, json_list
from models.scope import get_visible, visible_condition

SORTS: dict[str, type] = {
    "updated_at": datetime,
    "created_at": datetime,
    "id": int,
    "last_name": str,
}


@dataclass(frozen=True, slots=True)
class ContactFilters:
    owner_id: int | None = None
    office_id: int | None = None
    company_id: int | None = None
    updated_since: datetime | None = None
    q: str | None = None
    segment_id: int | None = None
    source_id: int | None = None


LIST_COLUMNS = (
    "id",
    "first_name",
    "last_name",
    "middle_name",
    "position",
    "birthday",
    "company_id",
    "source_id",
    "segment_id",
    "owner_id",
    "office_id",
    "preferred_channels",
    "language",
    "notes",
    "version",
    "created_at",
    "updated_at",
)


def contact_conditions(actor: Actor, filters: ContactFilters) -> Where:
    """The contacts `actor` sees that match `filters`, as conditions over the `contact` table:
    the list screen and a campaign's audience select the same way."""
    where = Where()
    if (scope := visible_condition(Contact, actor)) is not None:
        condition, params = scope
        where.add(condition, *params)
    for column in ("owner_id", "office_id", "company_id", "segment_id", "source_id"):
        if (value := getattr(filters, column)) is not None:
            where.add(f'"contact"."{column}" = ?', value)
    if filters.updated_since is not None:
        where.add('"contact"."updated_at" >= ?', filters.updated_since)
    if filters.q:
        found = fulltext_condition("contact", "contact", filters.q)
        where.add(found.sql if found is not None else "1 = 0")
    return where


def _lists() -> dict[str, str]:
    """A contact's `phones` and `emails`, in stored order, as JSON arrays."""
    return {
        "phones": json_list("number", "contact_phone", "contact_id", '"contact"."id"', "position"),
        "emails": json_list("email", "contact_email", "contact_id", '"contact"."id"', "position"),
    }


async def list_contacts(
    actor: Actor, filters: ContactFilters, sort: str | None, after: list[Any] | None, limit: int
) -> Page[dict[str, Any]]:
    """A page of visible contacts as rows of LIST_COLUMNS with their `phones` and `emails` (lists,
    in stored order): the list the app opens most is one hand-written statement (ADR 0014)."""
    where = contact_conditions(actor, filters)
    order = parse_sort(sort, SORTS, "-updated_at")
    page = await keyset_rows(Contact, LIST_COLUMNS, where, order, SORTS, after, limit, _lists())
    for row in page.items:
        # orjson: a hundred small arrays per page cost the stdlib decoder a third of the list.
        row["phones"], row["emails"] = orjson.loads(row["phones"]), orjson.loads(row["emails"])
    return page


async def list_contacts_as_json(
    actor: Actor, filters: ContactFilters, sort: str | None, after: list[Any] | None, limit: int
) -> Page[dict[str, Any]] | Page[orjson.Fragment]:
    """`list_contacts` for the API, whose rows orjson writes as they come: on SQLite each row is
    written as JSON by SQLite itself (`keyset_json`), the same JSON as the dict of the row."""
    if connections.get("default").capabilities.dialect != "sqlite":
        return await list_contacts(actor, filters, sort, after, limit)
    where = contact_conditions(actor, filters)
    order = parse_sort(sort, SORTS, "-updated_at")
    return await keyset_json(Contact, LIST_COLUMNS, where, order, SORTS, after, limit, _lists())


async def get_contact(actor: Actor, contact_id: int) -> Contact:
    return await get_visible(Contact, actor, contact_id)
