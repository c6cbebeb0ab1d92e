"""Contact lists and cards."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from models.actor import Actor
from models.entities import Contact
from models.queries.fulltext import fulltext_condition
from models.queries.paging import Page, keyset_rows, parse_sort
from models.queries.rows import Where, fetch, placeholders
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
    "notes",
    "version",
    "created_at",
    "updated_at",
)


async def list_contacts(
    actor: Actor, filters: ContactFilters, sort: str | None, after: list[Any] | None, limit: int
) -> Page[dict[str, Any]]:
    """A page of visible contacts as rows of LIST_COLUMNS: the list the app opens most is one
    hand-written statement (ADR 0013)."""
    where = Where()
    if (scope := visible_condition(Contact, actor)) is not None:
        condition, params = scope
        where.add(condition, *params)
    for column in ("owner_id", "office_id", "company_id"):
        if (value := getattr(filters, column)) is not None:
            where.add(f'"contact"."{column}" = ?', value)
    if filters.updated_since is not None:
        where.add('"contact"."updated_at" >= ?', filters.updated_since)
    if filters.q:
        found = fulltext_condition("contact", "contact", filters.q)
        where.add(found.sql if found is not None else "1 = 0")
    order = parse_sort(sort, SORTS, "-updated_at")
    return await keyset_rows(Contact, LIST_COLUMNS, where, order, SORTS, after, limit)


async def phones_and_emails(
    contact_ids: list[int],
) -> tuple[dict[int, list[str]], dict[int, list[str]]]:
    """Phones and emails of many contacts in one statement, in their stored order."""
    phones: dict[int, list[str]] = defaultdict(list)
    emails: dict[int, list[str]] = defaultdict(list)
    if contact_ids:
        marks = placeholders(len(contact_ids))
        rows = await fetch(
            f"SELECT contact_id, 0 AS kind, number AS value, position FROM contact_phone "
            f"WHERE contact_id IN ({marks}) "
            f"UNION ALL SELECT contact_id, 1 AS kind, email AS value, position FROM contact_email "
            f"WHERE contact_id IN ({marks}) ORDER BY position",
            [*contact_ids, *contact_ids],
        )
        for row in rows:
            (emails if row["kind"] else phones)[row["contact_id"]].append(row["value"])
    return phones, emails


async def get_contact(actor: Actor, contact_id: int) -> Contact:
    return await get_visible(Contact, actor, contact_id)
