"""Finding clients and deals from one search box: contacts, companies and deals at once.

Each list goes through its own list query with `q` (full text, ADR 0010), so visibility is the
lists' own: a manager finds their own clients and deals, a head those of their office tree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from models.actor import Actor
from models.entities import Company, Deal
from models.queries.companies import CompanyFilters, list_companies
from models.queries.contacts import ContactFilters, list_contacts
from models.queries.deals import DealFilters, list_deals

FIND_LIMIT = 10


@dataclass(frozen=True, slots=True)
class Findings:
    """At most `limit` records in all, contacts first, then companies, then deals. `more` says
    that more were found than shown (narrow the search)."""

    contacts: list[dict[str, Any]]
    companies: list[Company]
    deals: list[Deal]
    more: bool

    @property
    def count(self) -> int:
        return len(self.contacts) + len(self.companies) + len(self.deals)


async def find_clients_and_deals(actor: Actor, text: str, limit: int = FIND_LIMIT) -> Findings:
    """Contacts (as list rows, with `phones` and `emails`), companies and deals whose search
    documents hold every word of `text` as a prefix: names, a phone or its last 4 digits, an
    INN, an email. Text without words finds nothing."""
    contacts = (await list_contacts(actor, ContactFilters(q=text), None, None, limit + 1)).items
    if len(contacts) > limit:
        return Findings(contacts[:limit], [], [], more=True)
    left = limit - len(contacts)
    companies = (await list_companies(actor, CompanyFilters(q=text), None, None, left + 1)).items
    if len(companies) > left:
        return Findings(contacts, companies[:left], [], more=True)
    left -= len(companies)
    deals = (await list_deals(actor, DealFilters(q=text), None, None, left + 1)).items
    return Findings(contacts, companies, deals[:left], more=len(deals) > left)
