"""Every change to deals and personal data leaves its audit rows, in the same transaction."""

from datetime import date

import pytest
from tortoise.transactions import in_transaction

from models.clock import FrozenClock, use_clock
from models.entities import AuditEntry, Company, Contact, ContactPhone, Deal, Lead, StageTransition
from models.errors import Conflict, PreconditionFailed, ValidationFailed
from models.ops.companies import update_company
from models.ops.contacts import update_contact
from models.ops.deals import move_deal_to_stage, update_deal
from models.ops.leads import convert_lead
from tests.factories import (
    T0,
    Org,
    make_company,
    make_contact,
    make_deal,
    make_lead,
    make_org,
    make_pipeline,
    stage_named,
)

pytestmark = pytest.mark.usefixtures("db")


class Boom(Exception):
    pass


@pytest.fixture
async def org() -> Org:
    await make_pipeline()
    return await make_org()


async def trail(
    entity: str, entity_id: int
) -> list[tuple[str, str | None, str | None, str | None]]:
    rows = await AuditEntry.filter(entity=entity, entity_id=entity_id).order_by("id")
    return [(r.action, r.field, r.old_value, r.new_value) for r in rows]


async def test_creating_a_contact_records_every_value(org: Org) -> None:
    with use_clock(FrozenClock(T0)):
        contact = await make_contact(
            org.manager,
            first_name="Иван",
            last_name="Петров",
            birthday=date(1980, 5, 17),
            phones=["+79161234567"],
            emails=["ivan@example.com"],
        )
    rows = await AuditEntry.filter(entity="contact", entity_id=contact.id)
    assert {r.at for r in rows} == {T0}
    assert {r.actor_id for r in rows} == {org.manager.user_id}
    assert {(r.action, r.field, r.old_value, r.new_value) for r in rows} >= {
        ("create", "first_name", None, "Иван"),
        ("create", "last_name", None, "Петров"),
        ("create", "birthday", None, "1980-05-17"),
        ("create", "phones", None, "+79161234567"),
        ("create", "emails", None, "ivan@example.com"),
        ("create", "owner_id", None, str(org.manager.user_id)),
    }


async def test_updating_a_contact_records_old_and_new_of_changed_fields_only(org: Org) -> None:
    contact = await make_contact(
        org.manager, first_name="Иван", position="Инженер", phones=["+79161234567"]
    )
    created = len(await trail("contact", contact.id))
    await update_contact(
        org.manager,
        contact.id,
        {"first_name": "Иван", "position": "Директор", "phones": ["+79031112233"]},
        version=1,
    )
    assert (await trail("contact", contact.id))[created:] == [
        ("update", "position", "Инженер", "Директор"),
        ("update", "phones", "+79161234567", "+79031112233"),
    ]


async def test_company_and_deal_changes_are_audited(org: Org) -> None:
    company = await make_company(org.manager, name="Старое", inn="7707083893")
    await update_company(org.manager, company.id, {"name": "Новое"}, version=1)
    assert ("update", "name", "Старое", "Новое") in await trail("company", company.id)
    assert ("create", "inn", None, "7707083893") in await trail("company", company.id)

    deal = await make_deal(org.manager, amount="100")
    await update_deal(org.manager, deal.id, {"amount": "250,50"}, version=1)
    assert ("update", "amount_minor", "10000", "25050") in await trail("deal", deal.id)
    assert ("create", "amount_minor", None, "10000") in await trail("deal", deal.id)


async def test_a_failed_operation_in_a_transaction_leaves_nothing_half_written(org: Org) -> None:
    """Lead conversion creates a company, then a contact, then a deal: when the deal fails, the
    edge's transaction takes the company, the contact and their audit rows back with it."""
    lead = await make_lead(
        org.manager, person_name="Иван Петров", company_name="ООО Ромашка", phone="+79161234567"
    )
    audit_before = await AuditEntry.all().count()
    with pytest.raises(ValidationFailed) as raised:
        async with in_transaction():
            await convert_lead(org.manager, lead.id, version=1, pipeline_id=987654)
    assert [e.field for e in raised.value.errors] == ["pipeline_id"]
    assert not await Company.exists()
    assert not await Contact.exists()
    assert not await ContactPhone.exists()
    assert not await Deal.exists()
    assert await AuditEntry.all().count() == audit_before
    assert (await Lead.get(id=lead.id)).version == 1


async def test_a_failure_after_the_change_takes_back_row_and_audit(org: Org) -> None:
    deal = await make_deal(org.manager)
    work = await stage_named(await deal.pipeline, "В работе")
    audit_before = await AuditEntry.all().count()

    async def move_then_fail() -> None:
        async with in_transaction():
            await move_deal_to_stage(org.manager, deal.id, work.id, version=1)
            await make_contact(org.manager, first_name="Пётр")
            raise Boom

    with pytest.raises(Boom):
        await move_then_fail()
    stored = await Deal.get(id=deal.id)
    assert (stored.stage_id, stored.version) == (deal.stage_id, 1)
    assert await StageTransition.filter(deal_id=deal.id).count() == 1
    assert not await Contact.exists()
    assert await AuditEntry.all().count() == audit_before


async def test_a_committed_transaction_keeps_row_and_audit_together(org: Org) -> None:
    async with in_transaction():
        contact = await make_contact(org.manager, phones=["+79161234567"])
    assert await Contact.exists(id=contact.id)
    assert ("create", "phones", None, "+79161234567") in await trail("contact", contact.id)


async def test_a_duplicate_refused_writes_no_audit(org: Org) -> None:
    await make_contact(org.manager, phones=["+79031112233"])
    contact = await make_contact(org.manager, position="Инженер")
    before = await trail("contact", contact.id)
    with pytest.raises(Conflict):
        await update_contact(
            org.manager,
            contact.id,
            {"position": "Директор", "phones": ["+79031112233"]},
            version=1,
        )
    assert await trail("contact", contact.id) == before
    assert (await Contact.get(id=contact.id)).position == "Инженер"


async def test_a_stale_update_writes_no_audit(org: Org) -> None:
    contact = await make_contact(org.manager, phones=["+79161234567"])
    await update_contact(org.manager, contact.id, {"position": "Инженер"}, version=1)
    before = await trail("contact", contact.id)
    with pytest.raises(PreconditionFailed):
        await update_contact(
            org.manager,
            contact.id,
            {"position": "Директор", "phones": ["+79031112233"]},
            version=1,
        )
    assert await trail("contact", contact.id) == before
    assert (await Contact.get(id=contact.id)).position == "Инженер"
