from datetime import timedelta

import pytest

from models.clock import FrozenClock, use_clock
from models.entities import Company, Contact, Deal, Lead, LeadStatus
from models.errors import Conflict, NotFound, PreconditionFailed, ValidationFailed
from models.ops.contacts import contact_emails, contact_phones
from models.ops.leads import convert_lead, create_lead, reject_lead, update_lead
from tests.factories import (
    T0,
    Org,
    make_company,
    make_contact,
    make_lead,
    make_org,
    make_pipeline,
    make_source,
)
from tests.models.expect import error_codes

pytestmark = pytest.mark.usefixtures("db")


@pytest.fixture
async def org() -> Org:
    await make_pipeline()
    return await make_org()


async def test_create_normalises_what_it_keeps(org: Org) -> None:
    lead = await create_lead(
        org.manager,
        {
            "title": " Заявка с сайта ",
            "phone": "8 916 123-45-67",
            "email": "Lead@Example.com",
            "inn": "7707 083893",
            "deadline": T0,
        },
    )
    stored = await Lead.get(id=lead.id)
    assert (stored.title, stored.phone, stored.email, stored.inn, stored.deadline) == (
        "Заявка с сайта",
        "+79161234567",
        "lead@example.com",
        "7707083893",
        T0,
    )
    assert (stored.status, stored.owner_id, stored.office_id) == (
        LeadStatus.NEW,
        org.manager.user_id,
        org.north.id,
    )


async def test_bad_values_are_named(org: Org) -> None:
    with pytest.raises(ValidationFailed) as raised:
        await create_lead(
            org.manager,
            {"title": "", "phone": "0", "email": "@", "inn": "123", "budget": 5},
        )
    assert error_codes(raised.value) == {
        "title": "required",
        "budget": "unknown_field",
        "phone": "invalid_phone",
        "email": "invalid_email",
        "inn": "invalid_inn",
    }


async def test_conversion_creates_and_links_contact_company_and_deal(org: Org) -> None:
    source = await make_source()
    lead = await make_lead(
        org.manager,
        title="Кондиционеры в офис",
        person_name="Петров Иван Сергеевич",
        company_name="ООО Прохлада",
        phone="+79161234567",
        email="petrov@example.com",
        inn="7707083893",
        source_id=source.id,
        deadline=T0 + timedelta(days=10),
    )
    with use_clock(FrozenClock(T0)):
        converted = await convert_lead(org.manager, lead.id, version=1)
    stored = await Lead.get(id=lead.id)
    assert (stored.status, stored.converted_at, stored.version) == (LeadStatus.CONVERTED, T0, 2)
    assert converted.converted_deal_id == stored.converted_deal_id

    company = await Company.get(id=stored.converted_company_id)
    assert (company.name, company.inn, company.owner_id) == (
        "ООО Прохлада",
        "7707083893",
        org.manager.user_id,
    )
    contact = await Contact.get(id=stored.converted_contact_id)
    assert (contact.last_name, contact.first_name, contact.middle_name) == (
        "Петров",
        "Иван",
        "Сергеевич",
    )
    assert (contact.company_id, contact.source_id) == (company.id, source.id)
    assert await contact_phones(contact.id) == ["+79161234567"]
    assert await contact_emails(contact.id) == ["petrov@example.com"]
    deal = await Deal.get(id=stored.converted_deal_id)
    assert (deal.title, deal.contact_id, deal.company_id, deal.source_id, deal.deadline) == (
        "Кондиционеры в офис",
        contact.id,
        company.id,
        source.id,
        T0 + timedelta(days=10),
    )
    assert deal.owner_id == org.manager.user_id


async def test_converting_twice_is_refused(org: Org) -> None:
    lead = await make_lead(org.manager, person_name="Иван")
    await convert_lead(org.manager, lead.id, version=1)
    with pytest.raises(ValidationFailed) as raised:
        await convert_lead(org.manager, lead.id, version=2)
    assert error_codes(raised.value) == {"status": "closed"}
    assert (await Contact.all().count(), await Deal.all().count()) == (1, 1)
    with pytest.raises(ValidationFailed):
        await update_lead(org.manager, lead.id, {"title": "ещё"}, version=2)


async def test_a_rejected_lead_cannot_be_converted(org: Org) -> None:
    lead = await make_lead(org.manager, person_name="Иван")
    await reject_lead(org.manager, lead.id, version=1)
    assert (await Lead.get(id=lead.id)).status is LeadStatus.REJECTED
    with pytest.raises(ValidationFailed) as raised:
        await convert_lead(org.manager, lead.id, version=2)
    assert error_codes(raised.value) == {"status": "closed"}
    assert not await Contact.exists()


async def test_a_head_converts_for_the_leads_owner(org: Org) -> None:
    lead = await make_lead(org.deep, person_name="Анна")
    await convert_lead(org.head, lead.id, version=1)
    stored = await Lead.get(id=lead.id)
    contact = await Contact.get(id=stored.converted_contact_id)
    deal = await Deal.get(id=stored.converted_deal_id)
    assert contact.owner_id == deal.owner_id == org.deep.user_id
    assert deal.office_id == org.department.id


async def test_a_company_only_lead_gives_no_contact(org: Org) -> None:
    lead = await make_lead(org.manager, company_name="ООО Ромашка")
    await convert_lead(org.manager, lead.id, version=1, create_deal_too=False)
    stored = await Lead.get(id=lead.id)
    assert stored.converted_company_id is not None
    assert (stored.converted_contact_id, stored.converted_deal_id) == (None, None)
    assert not await Deal.exists()


async def test_converting_onto_an_existing_contact_links_it(org: Org) -> None:
    contact = await make_contact(org.manager, phones=["+79161234567"])
    lead = await make_lead(org.manager, person_name="Иван", phone="+79161234567")
    with pytest.raises(Conflict) as raised:
        await convert_lead(org.manager, lead.id, version=1)
    assert [c.id for c in raised.value.candidates] == [contact.id]
    await convert_lead(org.manager, lead.id, version=1, contact_id=contact.id)
    stored = await Lead.get(id=lead.id)
    assert stored.converted_contact_id == contact.id
    assert (await Deal.get(id=stored.converted_deal_id)).contact_id == contact.id
    assert await Contact.all().count() == 1


async def test_force_converts_despite_a_duplicate(org: Org) -> None:
    await make_contact(org.stranger, phones=["+79161234567"])
    lead = await make_lead(org.manager, person_name="Иван", phone="+79161234567")
    with pytest.raises(Conflict) as raised:
        await convert_lead(org.manager, lead.id, version=1)
    assert (raised.value.candidates, raised.value.hidden) == ([], 1)
    await convert_lead(org.manager, lead.id, version=1, force=True)
    assert await Contact.all().count() == 2


@pytest.mark.parametrize("create_deal_too", [True, False])
async def test_linking_a_contact_or_company_out_of_sight_is_named(
    org: Org, create_deal_too: bool
) -> None:
    theirs = await make_contact(org.stranger)
    lead = await make_lead(org.manager, person_name="Иван")
    with pytest.raises(ValidationFailed) as raised:
        await convert_lead(
            org.manager,
            lead.id,
            version=1,
            contact_id=theirs.id,
            create_deal_too=create_deal_too,
        )
    assert error_codes(raised.value) == {"contact_id": "not_found"}
    with pytest.raises(ValidationFailed) as raised:
        await convert_lead(
            org.manager,
            lead.id,
            version=1,
            contact_id=theirs.id + 1000,
            create_deal_too=create_deal_too,
        )
    assert error_codes(raised.value) == {"contact_id": "not_found"}
    company = await make_company(org.stranger)
    with pytest.raises(ValidationFailed) as raised:
        await convert_lead(
            org.manager,
            lead.id,
            version=1,
            contact_id=theirs.id,
            company_id=company.id,
            create_deal_too=create_deal_too,
        )
    assert error_codes(raised.value) == {"contact_id": "not_found", "company_id": "not_found"}
    stored = await Lead.get(id=lead.id)
    assert (stored.status, stored.converted_contact_id) == (LeadStatus.NEW, None)


async def test_someone_elses_lead_is_not_found(org: Org) -> None:
    lead = await make_lead(org.stranger, person_name="Иван")
    for attempt in (
        convert_lead(org.manager, lead.id, version=1),
        update_lead(org.head, lead.id, {"title": "x"}, version=1),
        reject_lead(org.colleague, lead.id, version=1),
    ):
        with pytest.raises(NotFound):
            await attempt
    assert (await Lead.get(id=lead.id)).status is LeadStatus.NEW


async def test_update_with_stale_version(org: Org) -> None:
    lead = await make_lead(org.manager, title="Старое")
    await update_lead(org.manager, lead.id, {"title": "Новое"}, version=1)
    with pytest.raises(PreconditionFailed):
        await reject_lead(org.manager, lead.id, version=1)
    stored = await Lead.get(id=lead.id)
    assert (stored.title, stored.status, stored.version) == ("Новое", LeadStatus.NEW, 2)
