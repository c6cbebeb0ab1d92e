"""Companies with valid requisites, and contacts with their phones and emails (in memory)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from models.demo import requisites, texts
from models.demo.context import HISTORY_DAYS, Context
from models.demo.ids import reserve_ids
from models.demo.names import (
    FEMALE_FIRST,
    MALE_FIRST,
    PATRONYMICS,
    SURNAMES,
    feminine_surname,
    translit,
)
from models.demo.org import DemoOrg
from models.demo.reference import Reference
from models.entities import Channel, Company, Contact, ContactEmail, ContactPhone, User
from models.rules.phones import last_digits

COMPANIES = 500
COMPANY_CONTACTS = 1600
PRIVATE_CONTACTS = 400
TAX_OFFICES = {"moscow": ("7701", "7705", "7714", "7728", "7743", "5024"), "spb": ("7801", "7813")}
PRIVATE_DOMAINS = ("mail.test", "inbox.test", "post.test")
CHANNEL_CHOICES = ((), (Channel.TELEGRAM,), (Channel.WHATSAPP,), (Channel.EMAIL,))


@dataclass
class Person:
    first: str
    last: str
    middle: str

    @property
    def full(self) -> str:
        return f"{self.last} {self.first} {self.middle}"


@dataclass
class Clients:
    companies: list[Company] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    phones: list[ContactPhone] = field(default_factory=list)
    emails: list[ContactEmail] = field(default_factory=list)
    contacts_of_company: dict[int, list[Contact]] = field(default_factory=dict)
    private_contacts: dict[int, list[Contact]] = field(default_factory=dict)  # by owner id
    companies_of_owner: dict[int, list[Company]] = field(default_factory=dict)
    contact_ids: list[int] = field(default_factory=list)


def person(ctx: Context) -> Person:
    """A gender-consistent Russian name, transliterated in English mode."""
    rng = ctx.rng
    male = rng.random() < 0.55
    first = rng.choice(MALE_FIRST if male else FEMALE_FIRST)
    middle = rng.choice(PATRONYMICS)[0 if male else 1]
    last = rng.choice(SURNAMES)
    if not male:
        last = feminine_surname(last)
    if ctx.language == "en":
        return Person(translit(first), translit(last), translit(middle))
    return Person(first, last, middle)


def _brand(ctx: Context, taken: set[str]) -> str:
    while True:
        head, tail = ctx.rng.choice(texts.BRAND_HEADS), ctx.rng.choice(texts.BRAND_TAILS)
        name = head + tail.lower() + ctx.rng.choice(texts.BRAND_SUFFIXES)
        if name not in taken:  # checked in Russian, so both languages draw the same names
            taken.add(name)
            return translit(name) if ctx.language == "en" else name


def _slug(text: str) -> str:
    latin = translit(text).lower()
    return "".join(ch if ch.isalnum() else "-" for ch in latin).strip("-")


def _company(
    ctx: Context, ref: Reference, company_id: int, owner: User, city: str, brand: str
) -> Company:
    rng = ctx.rng
    kind = rng.choices(("ooo", "ao", "ip"), weights=(75, 12, 13))[0]
    short_form, long_form = (ctx.text(t) for t in texts.LEGAL_FORMS[kind])
    tax_office = rng.choice(TAX_OFFICES[city])
    year = rng.randint(2003, 2022)
    if kind == "ip":
        who = person(ctx)
        name = f"{short_form} {who.last} {who.first[0]}. {who.middle[0]}."
        legal = f"{long_form} {who.full}"
        inn, kpp, ogrn = (
            requisites.person_inn(rng, tax_office),
            None,
            requisites.ogrnip(rng, year, tax_office[:2]),
        )
        segment = ref.segments[2]
    else:
        name = f"{short_form} «{brand}»" if ctx.language == "ru" else f"{brand} {short_form}"
        legal = f"{long_form} «{brand}»" if ctx.language == "ru" else f"{brand} {long_form}"
        inn = requisites.organisation_inn(rng, tax_office)
        kpp = requisites.kpp(tax_office)
        ogrn = requisites.ogrn(rng, year, tax_office[:2])
        segment = rng.choice(ref.segments[:2] if kind == "ao" else ref.segments[1:4])
    domain = f"{_slug(brand)}.test"
    created = ctx.days_ago(HISTORY_DAYS + 40, 900)
    street = ctx.text(rng.choice(texts.STREETS[city]))
    return Company(
        id=company_id,
        name=name,
        legal_name=legal,
        inn=inn,
        kpp=kpp,
        ogrn=ogrn,
        phone=ctx.landline(city) if rng.random() < 0.6 else ctx.mobile(),
        email=ctx.email(rng.choice(("info", "office", "sales", "zakaz")), domain),
        website=f"https://{domain}",
        address=f"{ctx.text(texts.CITIES[city])}, {street}, {rng.randint(1, 120)}",
        segment_id=segment.id,
        source_id=rng.choice(ref.sources).id,
        owner_id=owner.id,
        office_id=owner.office_id,
        created_at=created,
        updated_at=created,
    )


def _birthday(ctx: Context) -> date | None:
    age_days = ctx.rng.randint(22 * 365, 65 * 365)
    return ctx.today - timedelta(days=age_days) if ctx.rng.random() < 0.8 else None


def _add_contact(
    ctx: Context,
    clients: Clients,
    owner: User,
    company: Company | None,
    ref: Reference,
    domain: str,
) -> Contact:
    rng = ctx.rng
    contact_id = clients.contact_ids[len(clients.contacts)]
    who = person(ctx)
    created = ctx.days_ago(HISTORY_DAYS + 1, 700)
    if company is not None:
        created = company.created_at + timedelta(days=rng.uniform(0, 30))
    contact = Contact(
        id=contact_id,
        first_name=who.first,
        last_name=who.last,
        middle_name=who.middle,
        position=ctx.pick(texts.POSITIONS) if company else "",
        birthday=_birthday(ctx),
        preferred_channels=[c.value for c in rng.choice(CHANNEL_CHOICES)],
        company_id=company.id if company else None,
        source_id=company.source_id if company else rng.choice(ref.sources).id,
        segment_id=company.segment_id if company else ref.segments[4].id,
        owner_id=owner.id,
        office_id=owner.office_id,
        created_at=created,
        updated_at=created,
    )
    clients.contacts.append(contact)
    numbers = [ctx.mobile() for _ in range(1 if rng.random() < 0.7 else 2)]
    for position, number in enumerate(numbers):
        clients.phones.append(
            ContactPhone(
                contact_id=contact_id, number=number, last4=last_digits(number), position=position
            )
        )
    local = f"{translit(who.first)[0]}.{translit(who.last)}"
    if company is None:
        local = f"{translit(who.first)}.{translit(who.last)}"
    clients.emails.append(
        ContactEmail(contact_id=contact_id, email=ctx.email(local, domain), position=0)
    )
    return contact


async def build_clients(ctx: Context, org: DemoOrg, ref: Reference) -> Clients:
    rng = ctx.rng
    clients = Clients()
    b2b_owners = org.managers("b2b", "spb")
    brands: set[str] = set()
    company_ids = await reserve_ids(Company, COMPANIES)
    clients.contact_ids = await reserve_ids(Contact, COMPANY_CONTACTS + PRIVATE_CONTACTS)
    for company_id in company_ids:
        owner = rng.choice(b2b_owners)
        brand = _brand(ctx, brands)
        company = _company(ctx, ref, company_id, owner, org.city_of(owner), brand)
        clients.companies.append(company)
        clients.companies_of_owner.setdefault(owner.id, []).append(company)
        clients.contacts_of_company[company_id] = []
    for index in range(COMPANY_CONTACTS):
        # Every company gets one contact first; the rest are spread at random.
        company = clients.companies[index] if index < COMPANIES else rng.choice(clients.companies)
        owner = next(u for u in org.users if u.id == company.owner_id)
        domain = company.website.removeprefix("https://")
        contact = _add_contact(ctx, clients, owner, company, ref, domain)
        clients.contacts_of_company[company.id].append(contact)
    retail_owners = org.managers("retail", "spb")
    for _ in range(PRIVATE_CONTACTS):
        owner = rng.choice(retail_owners)
        contact = _add_contact(ctx, clients, owner, None, ref, rng.choice(PRIVATE_DOMAINS))
        clients.private_contacts.setdefault(owner.id, []).append(contact)
    return clients
