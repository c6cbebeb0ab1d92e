"""Short lists to pick a client or deal from, by a few typed words (a name, a phone or its last
four digits, an INN, a deal's title): the bot's "which one?" questions. Only what the actor may
see, most recently changed first, through the full-text index (ADR 0010)."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.models import Model

from models.actor import Actor
from models.entities import Company, Contact, Deal
from models.errors import NotFound
from models.ops.duplicates import contact_label
from models.queries.fulltext import search
from models.rules.digits import MAX_ID
from models.scope import get_visible, visible

KINDS = ("contact", "company", "deal")
_MODELS: dict[str, type[Model]] = {"contact": Contact, "company": Company, "deal": Deal}


@dataclass(frozen=True, slots=True)
class Choice:
    """A client or deal as a button shows it."""

    kind: str  # one of KINDS
    id: int
    label: str


def _company_label(company: Company) -> str:
    return f"{company.name} · {company.inn}" if company.inn else company.name


async def _contact_choices(contacts: list[Contact]) -> list[Choice]:
    ids = {c.company_id for c in contacts if c.company_id is not None}
    names: dict[int, str] = {}
    if ids:
        names = dict(await Company.filter(id__in=list(ids)).values_list("id", "name"))
    choices = []
    for contact in contacts:
        label = contact_label(contact) or "—"
        if contact.company_id is not None and contact.company_id in names:
            label = f"{label} ({names[contact.company_id]})"
        choices.append(Choice("contact", contact.id, label))
    return choices


async def pick_companies(actor: Actor, text: str, limit: int = 5) -> list[Choice]:
    query = search(visible(Company, actor), "company", text).order_by("-updated_at", "-id")
    return [Choice("company", c.id, _company_label(c)) for c in await query.limit(limit)]


async def pick_contacts(actor: Actor, text: str, limit: int = 5) -> list[Choice]:
    query = search(visible(Contact, actor), "contact", text).order_by("-updated_at", "-id")
    return await _contact_choices(list(await query.limit(limit)))


async def pick_deals(actor: Actor, text: str, limit: int = 5) -> list[Choice]:
    query = search(visible(Deal, actor), "deal", text).order_by("-updated_at", "-id")
    return [Choice("deal", d.id, d.title) for d in await query.limit(limit)]


async def pick_clients(actor: Actor, text: str, limit: int = 6) -> list[Choice]:
    """Contacts, then companies."""
    contacts = await pick_contacts(actor, text, limit)
    return (contacts + await pick_companies(actor, text, limit))[:limit]


async def pick_clients_and_deals(actor: Actor, text: str, limit: int = 6) -> list[Choice]:
    """Contacts, companies, then deals."""
    clients = await pick_clients(actor, text, limit)
    return (clients + await pick_deals(actor, text, limit))[:limit]


async def choice_of(actor: Actor, kind: str, object_id: int) -> Choice:
    """One client or deal the actor may see; NotFound for anything else, a kind that is not one
    of KINDS included (a forged button)."""
    model = _MODELS.get(kind)
    if model is None or not 1 <= object_id <= MAX_ID:
        raise NotFound(kind, object_id)
    found = await get_visible(model, actor, object_id)
    if isinstance(found, Contact):
        return (await _contact_choices([found]))[0]
    if isinstance(found, Company):
        return Choice("company", found.id, _company_label(found))
    assert isinstance(found, Deal)
    return Choice("deal", found.id, found.title)
