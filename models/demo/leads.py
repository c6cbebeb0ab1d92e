"""A few leads: fresh ones (some past their deadline), in progress, rejected, and converted."""

from __future__ import annotations

from datetime import timedelta

from models.demo import texts
from models.demo.clients import Clients, person
from models.demo.context import Context
from models.demo.deals import Deals
from models.demo.names import translit
from models.demo.org import DemoOrg
from models.demo.reference import Reference
from models.demo.requisites import organisation_inn
from models.entities import Lead, LeadStatus

PLAN = ((LeadStatus.NEW, 12), (LeadStatus.IN_PROGRESS, 8), (LeadStatus.REJECTED, 5))
CONVERTED = 15


def build_leads(
    ctx: Context, org: DemoOrg, ref: Reference, clients: Clients, deals: Deals
) -> list[Lead]:
    rng = ctx.rng
    rows: list[Lead] = []
    owners = org.managers("b2b", "retail", "spb")
    for status, count in PLAN:
        for _ in range(count):
            owner = rng.choice(owners)
            who = person(ctx)
            created = ctx.days_ago(0.05, 4 if status is LeadStatus.NEW else 30)
            with_company = rng.random() < 0.5
            rows.append(
                Lead(
                    title=ctx.pick(texts.LEAD_TITLES),
                    person_name=who.full,
                    company_name=_brand_name(ctx) if with_company else "",
                    inn=organisation_inn(rng, "7705")
                    if with_company and rng.random() < 0.5
                    else None,
                    phone=ctx.mobile(),
                    email=ctx.email(translit(f"{who.first[0]}.{who.last}"), "mail.test"),
                    status=status,
                    deadline=created + timedelta(days=1),
                    source_id=rng.choice(ref.sources).id,
                    owner_id=owner.id,
                    office_id=owner.office_id,
                    created_at=created,
                    updated_at=created,
                )
            )
    contacts = {c.id: c for c in clients.contacts}
    phones = {p.contact_id: p.number for p in reversed(clients.phones)}
    emails = {e.contact_id: e.email for e in clients.emails}
    companies = {c.id: c for c in clients.companies}
    recent = sorted(deals.deals, key=lambda d: d.created_at)[-CONVERTED * 4 :]
    for deal in rng.sample(recent, CONVERTED):
        assert deal.contact_id is not None
        contact = contacts[deal.contact_id]
        company = companies.get(deal.company_id or 0)
        converted_at = deal.created_at
        created = converted_at - timedelta(hours=rng.uniform(1, 48))
        rows.append(
            Lead(
                title=ctx.pick(texts.LEAD_TITLES),
                person_name=f"{contact.last_name} {contact.first_name} {contact.middle_name}",
                company_name=company.name if company else "",
                inn=company.inn if company else None,
                phone=phones[contact.id],
                email=emails[contact.id],
                status=LeadStatus.CONVERTED,
                deadline=created + timedelta(days=1),
                source_id=deal.source_id,
                owner_id=deal.owner_id,
                office_id=deal.office_id,
                converted_at=converted_at,
                converted_contact_id=contact.id,
                converted_company_id=deal.company_id,
                converted_deal_id=deal.id,
                created_at=created,
                updated_at=converted_at,
                version=2,
            )
        )
    return rows


def _brand_name(ctx: Context) -> str:
    brand = ctx.rng.choice(texts.BRAND_HEADS) + ctx.rng.choice(texts.BRAND_TAILS).lower()
    return f"«{brand}»" if ctx.language == "ru" else translit(brand)
