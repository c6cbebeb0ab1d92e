"""Contact lists and cards."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from models.actor import Actor
from models.entities import Contact, ContactEmail, ContactPhone
from models.queries.fulltext import search
from models.queries.paging import Page, keyset_page, parse_sort
from models.scope import get_visible, visible

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


async def list_contacts(
    actor: Actor, filters: ContactFilters, sort: str | None, after: list[Any] | None, limit: int
) -> Page[Contact]:
    query = visible(Contact, actor)
    if filters.owner_id is not None:
        query = query.filter(owner_id=filters.owner_id)
    if filters.office_id is not None:
        query = query.filter(office_id=filters.office_id)
    if filters.company_id is not None:
        query = query.filter(company_id=filters.company_id)
    if filters.updated_since is not None:
        query = query.filter(updated_at__gte=filters.updated_since)
    if filters.q:
        query = search(query, "contact", filters.q)
    return await keyset_page(query, parse_sort(sort, SORTS, "-updated_at"), SORTS, after, limit)


async def phones_and_emails(
    contact_ids: list[int],
) -> tuple[dict[int, list[str]], dict[int, list[str]]]:
    """Phones and emails of many contacts in two queries, in their stored order."""
    phones: dict[int, list[str]] = defaultdict(list)
    emails: dict[int, list[str]] = defaultdict(list)
    if contact_ids:
        # Plain tuples: building model instances for every phone cost more than the query.
        phone_rows = ContactPhone.filter(contact_id__in=contact_ids).order_by("position")
        for contact_id, number in await phone_rows.values_list("contact_id", "number"):
            phones[contact_id].append(number)
        email_rows = ContactEmail.filter(contact_id__in=contact_ids).order_by("position")
        for contact_id, email in await email_rows.values_list("contact_id", "email"):
            emails[contact_id].append(email)
    return phones, emails


async def get_contact(actor: Actor, contact_id: int) -> Contact:
    return await get_visible(Contact, actor, contact_id)
