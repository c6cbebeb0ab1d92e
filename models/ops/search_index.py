"""Keeping the search index in step with the records it finds. Runs in the caller's transaction."""

from __future__ import annotations

from collections import defaultdict

from models.entities import Company, Contact, ContactEmail, ContactPhone, Deal, Lead, SearchEntry
from models.rules.search_text import document

BATCH = 1000


def contact_document(
    contact: Contact, phones: list[str], emails: list[str], company: Company | None
) -> str:
    """Names, position, emails, phones, and the company's name and INN: a contact is found by
    the company they work for too."""
    names = (contact.last_name, contact.first_name, contact.middle_name, contact.position)
    employer = (company.name, company.inn) if company else ()
    return document([*names, *emails, *employer], phones)


def company_document(company: Company) -> str:
    parts = (company.name, company.legal_name, company.inn, company.ogrn, company.email)
    return document(parts, [company.phone] if company.phone else [])


def deal_document(deal: Deal) -> str:
    return document([deal.title])


def lead_document(lead: Lead) -> str:
    parts = (lead.title, lead.person_name, lead.company_name, lead.email, lead.inn)
    return document(parts, [lead.phone] if lead.phone else [])


async def _write(entity: str, entity_id: int, text: str) -> None:
    if not await SearchEntry.filter(entity=entity, entity_id=entity_id).update(document=text):
        await SearchEntry.create(entity=entity, entity_id=entity_id, document=text)


async def index_contact(contact: Contact) -> None:
    phones = await ContactPhone.filter(contact_id=contact.id).values_list("number", flat=True)
    emails = await ContactEmail.filter(contact_id=contact.id).values_list("email", flat=True)
    company = await Company.get_or_none(id=contact.company_id) if contact.company_id else None
    text = contact_document(contact, [str(p) for p in phones], [str(e) for e in emails], company)
    await _write("contact", contact.id, text)


async def index_company(company: Company, *, with_contacts: bool = False) -> None:
    """The company, and with `with_contacts` its contacts, whose documents carry its name and
    INN (needed when either changed)."""
    await _write("company", company.id, company_document(company))
    if with_contacts:
        for contact in await Contact.filter(company_id=company.id):
            await index_contact(contact)


async def index_deal(deal: Deal) -> None:
    await _write("deal", deal.id, deal_document(deal))


async def index_lead(lead: Lead) -> None:
    await _write("lead", lead.id, lead_document(lead))


async def rebuild_search_index() -> int:
    """Index every record from scratch (after a bulk import such as the demo data)."""
    await SearchEntry.all().delete()
    phones: dict[int, list[str]] = defaultdict(list)
    emails: dict[int, list[str]] = defaultdict(list)
    for contact_id, number in (
        await ContactPhone.all().order_by("position").values_list("contact_id", "number")
    ):
        phones[contact_id].append(number)
    for contact_id, email in (
        await ContactEmail.all().order_by("position").values_list("contact_id", "email")
    ):
        emails[contact_id].append(email)
    companies = {c.id: c for c in await Company.all()}
    entries = [
        SearchEntry(
            entity="contact",
            entity_id=c.id,
            document=contact_document(
                c, phones[c.id], emails[c.id], companies.get(c.company_id or 0)
            ),
        )
        for c in await Contact.all()
    ]
    entries += [
        SearchEntry(entity="company", entity_id=c.id, document=company_document(c))
        for c in companies.values()
    ]
    entries += [
        SearchEntry(entity="deal", entity_id=d.id, document=deal_document(d))
        for d in await Deal.all()
    ]
    entries += [
        SearchEntry(entity="lead", entity_id=lead.id, document=lead_document(lead))
        for lead in await Lead.all()
    ]
    await SearchEntry.bulk_create(entries, batch_size=BATCH)
    return len(entries)
