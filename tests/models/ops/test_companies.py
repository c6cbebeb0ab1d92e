import pytest

from models.entities import Company
from models.errors import Conflict, NotFound, PreconditionFailed, ValidationFailed
from models.ops.companies import create_company, update_company
from tests.factories import Org, make_company
from tests.models.expect import error_codes, error_fields

pytestmark = pytest.mark.usefixtures("db")

SBER_INN, SBER_KPP, SBER_OGRN = "7707083893", "773601001", "1027700132195"
PERSON_INN = "500100732259"


async def test_create_with_requisites(org: Org) -> None:
    company = await create_company(
        org.manager,
        {
            "name": " ПАО Сбербанк ",
            "inn": "7707 083 893",
            "kpp": "773601001",
            "ogrn": SBER_OGRN,
            "phone": "8 (495) 500-55-50",
            "email": "Info@Sber.ru",
        },
    )
    stored = await Company.get(id=company.id)
    assert (stored.name, stored.inn, stored.kpp, stored.ogrn) == (
        "ПАО Сбербанк",
        SBER_INN,
        SBER_KPP,
        SBER_OGRN,
    )
    assert (stored.phone, stored.email) == ("+74955005550", "info@sber.ru")
    assert (stored.owner_id, stored.office_id) == (org.manager.user_id, org.north.id)


async def test_every_bad_requisite_is_named(org: Org) -> None:
    with pytest.raises(ValidationFailed) as raised:
        await make_company(
            org.manager,
            inn="7707083894",
            kpp="7736",
            ogrn="1027700132196",
            phone="123",
            email="no",
            segment_id=424242,
        )
    assert error_codes(raised.value) == {
        "inn": "invalid_inn",
        "kpp": "invalid_kpp",
        "ogrn": "invalid_ogrn",
        "phone": "invalid_phone",
        "email": "invalid_email",
        "segment_id": "not_found",
    }
    assert not await Company.exists()


async def test_a_sole_trader_with_a_kpp_is_refused(org: Org) -> None:
    with pytest.raises(ValidationFailed) as raised:
        await make_company(org.manager, inn=PERSON_INN, kpp=SBER_KPP)
    assert error_codes(raised.value) == {"kpp": "kpp_for_sole_trader"}
    assert (await make_company(org.manager, inn=PERSON_INN)).inn == PERSON_INN


@pytest.mark.parametrize("values", [{}, {"name": ""}, {"name": "   "}, {"name": None}])
async def test_a_name_is_required_and_said_once(org: Org, values: dict[str, object]) -> None:
    with pytest.raises(ValidationFailed) as raised:
        await create_company(org.manager, values)
    assert error_fields(raised.value) == ["name"]


async def test_unknown_fields_are_refused(org: Org) -> None:
    with pytest.raises(ValidationFailed) as raised:
        await make_company(org.manager, version=7, owner=1)
    assert error_codes(raised.value) == {"version": "unknown_field", "owner": "unknown_field"}


class TestDuplicates:
    async def test_same_inn_is_a_conflict(self, org: Org) -> None:
        first = await make_company(org.manager, name="Сбер", inn=SBER_INN)
        with pytest.raises(Conflict) as raised:
            await make_company(org.manager, inn=" 7707083893")
        assert [(c.entity, c.id, c.label, c.matched_on) for c in raised.value.candidates] == [
            ("company", first.id, "Сбер", f"inn:{SBER_INN}")
        ]

    async def test_same_inn_and_kpp_is_a_conflict(self, org: Org) -> None:
        first = await make_company(org.manager, inn=SBER_INN, kpp=SBER_KPP)
        with pytest.raises(Conflict) as raised:
            await make_company(org.manager, inn=SBER_INN, kpp=SBER_KPP)
        assert [c.id for c in raised.value.candidates] == [first.id]

    async def test_a_branch_with_its_own_kpp_is_not_a_duplicate(self, org: Org) -> None:
        await make_company(org.manager, inn=SBER_INN, kpp=SBER_KPP)
        branch = await make_company(org.manager, inn=SBER_INN, kpp="540602001")
        assert branch.kpp == "540602001"

    async def test_a_kpp_given_where_the_first_had_none_is_a_conflict(self, org: Org) -> None:
        first = await make_company(org.manager, inn=SBER_INN)
        with pytest.raises(Conflict) as raised:
            await make_company(org.manager, inn=SBER_INN, kpp=SBER_KPP)
        assert [c.id for c in raised.value.candidates] == [first.id]

    async def test_same_phone_or_email_is_a_conflict(self, org: Org) -> None:
        by_phone = await make_company(org.manager, phone="+74955005550")
        by_email = await make_company(org.manager, email="info@sber.ru")
        with pytest.raises(Conflict) as raised:
            await make_company(org.manager, phone="8 495 500 55 50", email="INFO@sber.ru")
        assert [(c.id, c.matched_on) for c in raised.value.candidates] == [
            (by_phone.id, "phone:+74955005550"),
            (by_email.id, "email:info@sber.ru"),
        ]

    async def test_a_match_out_of_sight_is_counted_not_shown(self, org: Org) -> None:
        await make_company(org.stranger, name="Секретное ООО", inn=SBER_INN)
        with pytest.raises(Conflict) as raised:
            await make_company(org.manager, inn=SBER_INN)
        assert raised.value.candidates == []
        assert raised.value.hidden == 1
        assert "Секретное" not in str(raised.value)

    async def test_force_creates_anyway(self, org: Org) -> None:
        await make_company(org.stranger, inn=SBER_INN)
        await make_company(org.manager, inn=SBER_INN, force=True)
        assert await Company.filter(inn=SBER_INN).count() == 2

    async def test_update_to_another_companys_inn_is_a_conflict(self, org: Org) -> None:
        first = await make_company(org.manager, inn=SBER_INN)
        second = await make_company(org.manager, inn="7736207543")
        with pytest.raises(Conflict) as raised:
            await update_company(org.manager, second.id, {"inn": SBER_INN}, version=1)
        assert [c.id for c in raised.value.candidates] == [first.id]
        assert (await Company.get(id=second.id)).inn == "7736207543"

    async def test_update_keeping_my_own_inn_is_no_conflict(self, org: Org) -> None:
        company = await make_company(org.manager, inn=SBER_INN)
        await update_company(
            org.manager, company.id, {"inn": SBER_INN, "name": "Новое имя"}, version=1
        )
        await update_company(org.manager, company.id, {"kpp": SBER_KPP}, version=2)
        stored = await Company.get(id=company.id)
        assert (stored.name, stored.kpp, stored.version) == ("Новое имя", SBER_KPP, 3)


class TestUpdate:
    async def test_invisible_company_is_not_found(self, org: Org) -> None:
        theirs = await make_company(org.stranger)
        with pytest.raises(NotFound):
            await update_company(org.manager, theirs.id, {"name": "x"}, version=1)
        with pytest.raises(NotFound):
            await update_company(org.head, theirs.id, {"name": "x"}, version=1)
        await update_company(org.admin, theirs.id, {"name": "Переименовано"}, version=1)
        assert (await Company.get(id=theirs.id)).name == "Переименовано"

    async def test_blank_name_is_refused(self, org: Org) -> None:
        company = await make_company(org.manager)
        with pytest.raises(ValidationFailed) as raised:
            await update_company(org.manager, company.id, {"name": " "}, version=1)
        assert error_fields(raised.value) == ["name"]

    async def test_stale_version(self, org: Org) -> None:
        company = await make_company(org.manager, name="Старое")
        await update_company(org.manager, company.id, {"name": "Новое"}, version=1)
        with pytest.raises(PreconditionFailed):
            await update_company(org.manager, company.id, {"name": "Поздно"}, version=1)
        assert (await Company.get(id=company.id)).name == "Новое"

    async def test_reassigning_moves_the_company_to_the_new_owners_office(self, org: Org) -> None:
        company = await make_company(org.manager)
        await update_company(org.head, company.id, {"owner_id": org.deep.user_id}, version=1)
        stored = await Company.get(id=company.id)
        assert (stored.owner_id, stored.office_id) == (org.deep.user_id, org.department.id)
        with pytest.raises(NotFound):
            await update_company(org.manager, company.id, {"name": "x"}, version=2)
