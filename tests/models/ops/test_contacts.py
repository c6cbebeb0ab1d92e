from datetime import UTC, date, datetime, timedelta

import pytest

from models.clock import FrozenClock, use_clock
from models.entities import AuditEntry, Contact, ContactPhone
from models.errors import Conflict, NotFound, PreconditionFailed, ValidationFailed
from models.ops.contacts import (
    contact_emails,
    contact_phones,
    create_contact,
    update_contact,
)
from tests.factories import (
    Org,
    make_company,
    make_contact,
    make_source,
)
from tests.models.expect import error_codes, error_fields

pytestmark = pytest.mark.usefixtures("db")


async def test_create_normalises_phones_and_emails(org: Org) -> None:
    contact = await create_contact(
        org.manager,
        {
            "first_name": " Иван ",
            "last_name": "Петров",
            "phones": ["8 (916) 123-45-67", "+7 916 1234567", "+7 495 123 45 67"],
            "emails": [" Ivan@Example.COM", "ivan@example.com"],
            "preferred_channels": ["telegram", "whatsapp", "telegram"],
        },
    )
    assert contact.first_name == "Иван"
    assert await contact_phones(contact.id) == ["+79161234567", "+74951234567"]
    assert await contact_emails(contact.id) == ["ivan@example.com"]
    assert contact.preferred_channels == ["telegram", "whatsapp"]
    assert set(
        await ContactPhone.filter(contact_id=contact.id).values_list("last4", flat=True)
    ) == {"4567"}


async def test_the_creator_owns_the_contact_in_their_office(org: Org) -> None:
    contact = await make_contact(org.deep)
    assert (contact.owner_id, contact.office_id) == (org.deep.user_id, org.department.id)
    assert contact.version == 1


async def test_a_head_may_hand_a_contact_to_someone_in_their_tree(org: Org) -> None:
    contact = await make_contact(org.head, owner_id=org.deep.user_id)
    assert (contact.owner_id, contact.office_id) == (org.deep.user_id, org.department.id)


async def test_owner_outside_reach_is_named(org: Org) -> None:
    with pytest.raises(ValidationFailed) as raised:
        await make_contact(org.manager, owner_id=org.colleague.user_id)
    assert error_codes(raised.value) == {"owner_id": "not_found"}
    with pytest.raises(ValidationFailed) as raised:
        await make_contact(org.head, owner_id=org.stranger.user_id)
    assert error_fields(raised.value) == ["owner_id"]
    assert not await Contact.exists()


async def test_a_name_is_required(org: Org) -> None:
    with pytest.raises(ValidationFailed) as raised:
        await create_contact(org.manager, {"first_name": " ", "phones": ["+79161234567"]})
    assert error_codes(raised.value) == {"first_name": "required"}
    assert (await create_contact(org.manager, {"last_name": "Сидорова"})).last_name == "Сидорова"


async def test_every_bad_value_is_reported_at_once(org: Org) -> None:
    with use_clock(FrozenClock(datetime(2025, 3, 1, 9, tzinfo=UTC))):
        with pytest.raises(ValidationFailed) as raised:
            await create_contact(
                org.manager,
                {
                    "first_name": "Я" * 101,
                    "birthday": date(2025, 3, 2),
                    "phones": ["+79161234567", "12345"],
                    "emails": ["not-an-email"],
                    "preferred_channels": ["pigeon"],
                    "source_id": 999_999,
                    "is_vip": True,
                },
            )
    assert error_codes(raised.value) == {
        "is_vip": "unknown_field",
        "first_name": "too_long",
        "birthday": "in_future",
        "phones.1": "invalid_phone",
        "emails.0": "invalid_email",
        "source_id": "not_found",
        "preferred_channels": "unknown_channel",
    }
    assert error_fields(raised.value)  # bilingual messages
    assert not await Contact.exists()
    assert not await AuditEntry.filter(entity="contact").exists()


async def test_company_must_be_visible(org: Org) -> None:
    theirs = await make_company(org.stranger)
    with pytest.raises(ValidationFailed) as raised:
        await make_contact(org.manager, company_id=theirs.id)
    assert error_codes(raised.value) == {"company_id": "not_found"}
    mine = await make_company(org.manager)
    assert (await make_contact(org.manager, company_id=mine.id)).company_id == mine.id


async def test_source_is_kept(org: Org) -> None:
    source = await make_source()
    assert (await make_contact(org.manager, source_id=source.id)).source_id == source.id


class TestDuplicates:
    async def test_same_phone_in_another_format_is_a_conflict(self, org: Org) -> None:
        first = await make_contact(org.manager, phones=["+79161234567"], last_name="Петров")
        with pytest.raises(Conflict) as raised:
            await make_contact(org.manager, phones=["8 916 123 45 67"])
        (candidate,) = raised.value.candidates
        assert (candidate.entity, candidate.id, candidate.matched_on) == (
            "contact",
            first.id,
            "phone:+79161234567",
        )
        assert "Петров" in candidate.label
        assert raised.value.hidden == 0
        assert await Contact.all().count() == 1

    async def test_same_email_in_another_case_is_a_conflict(self, org: Org) -> None:
        first = await make_contact(org.manager, emails=["ivan@example.com"])
        with pytest.raises(Conflict) as raised:
            await make_contact(org.manager, emails=["IVAN@example.com"])
        assert [(c.id, c.matched_on) for c in raised.value.candidates] == [
            (first.id, "email:ivan@example.com")
        ]

    async def test_a_match_out_of_sight_is_counted_not_shown(self, org: Org) -> None:
        await make_contact(
            org.stranger, first_name="Тайна", phones=["+79161234567"], emails=["t@example.com"]
        )
        mine = await make_contact(org.manager, phones=["+79031112233"])
        with pytest.raises(Conflict) as raised:
            await make_contact(org.manager, phones=["+79161234567", "+79031112233"])
        assert [c.id for c in raised.value.candidates] == [mine.id]
        assert raised.value.hidden == 1
        with pytest.raises(Conflict) as raised:
            await make_contact(org.manager, emails=["t@example.com"])
        assert raised.value.candidates == []
        assert raised.value.hidden == 1
        assert "Тайна" not in str(raised.value)
        assert "t@example.com" not in str(raised.value)

    async def test_a_head_sees_their_teams_duplicates(self, org: Org) -> None:
        theirs = await make_contact(org.deep, phones=["+79161234567"])
        with pytest.raises(Conflict) as raised:
            await make_contact(org.head, phones=["+79161234567"])
        assert [c.id for c in raised.value.candidates] == [theirs.id]
        assert raised.value.hidden == 0

    async def test_force_creates_anyway(self, org: Org) -> None:
        await make_contact(org.manager, phones=["+79161234567"])
        again = await make_contact(org.manager, phones=["+79161234567"], force=True)
        assert await contact_phones(again.id) == ["+79161234567"]
        assert await Contact.all().count() == 2

    async def test_updating_with_my_own_phone_is_no_conflict(self, org: Org) -> None:
        contact = await make_contact(org.manager, phones=["+79161234567"])
        updated = await update_contact(
            org.manager,
            contact.id,
            {"phones": ["8 916 123-45-67", "+79031112233"]},
            version=1,
        )
        assert await contact_phones(updated.id) == ["+79161234567", "+79031112233"]

    async def test_adding_another_contacts_phone_is_a_conflict(self, org: Org) -> None:
        other = await make_contact(org.manager, phones=["+79031112233"])
        contact = await make_contact(org.manager, phones=["+79161234567"])
        with pytest.raises(Conflict) as raised:
            await update_contact(
                org.manager, contact.id, {"phones": ["+79161234567", "+79031112233"]}, version=1
            )
        assert [c.id for c in raised.value.candidates] == [other.id]
        assert await contact_phones(contact.id) == ["+79161234567"]
        assert (await Contact.get(id=contact.id)).version == 1


class TestUpdate:
    async def test_update_changes_fields_and_bumps_the_version(self, org: Org) -> None:
        with use_clock(FrozenClock(datetime(2025, 3, 1, 9, tzinfo=UTC))) as clock:
            contact = await make_contact(org.manager, first_name="Иван", position="")
            clock.advance(timedelta(hours=1))
            updated = await update_contact(
                org.manager,
                contact.id,
                {"position": "Директор", "emails": ["boss@example.com"]},
                version=1,
            )
        stored = await Contact.get(id=contact.id)
        assert (stored.position, stored.version) == ("Директор", 2)
        assert updated.version == 2
        assert stored.updated_at == datetime(2025, 3, 1, 10, tzinfo=UTC)
        assert stored.created_at == datetime(2025, 3, 1, 9, tzinfo=UTC)
        assert await contact_emails(contact.id) == ["boss@example.com"]

    async def test_names_cannot_both_be_emptied(self, org: Org) -> None:
        contact = await create_contact(org.manager, {"first_name": "Иван"})
        with pytest.raises(ValidationFailed) as raised:
            await update_contact(org.manager, contact.id, {"first_name": ""}, version=1)
        assert error_fields(raised.value) == ["first_name"]

    async def test_someone_elses_contact_is_not_found(self, org: Org) -> None:
        theirs = await make_contact(org.colleague)
        with pytest.raises(NotFound):
            await update_contact(org.manager, theirs.id, {"position": "x"}, version=1)
        with pytest.raises(NotFound):
            await update_contact(org.south_head, theirs.id, {"position": "x"}, version=1)
        await update_contact(org.head, theirs.id, {"position": "Бухгалтер"}, version=1)
        assert (await Contact.get(id=theirs.id)).position == "Бухгалтер"

    async def test_stale_version_changes_nothing(self, org: Org) -> None:
        contact = await make_contact(org.manager, phones=["+79161234567"])
        await update_contact(org.manager, contact.id, {"position": "Инженер"}, version=1)
        with pytest.raises(PreconditionFailed):
            await update_contact(
                org.manager, contact.id, {"position": "Директор", "phones": []}, version=1
            )
        stored = await Contact.get(id=contact.id)
        assert (stored.position, stored.version) == ("Инженер", 2)
        assert await contact_phones(contact.id) == ["+79161234567"]


class TestLanguage:
    """The language messages to the contact are written in: ru, en, or null for the default."""

    async def test_it_is_set_changed_and_cleared_with_the_version_and_audit(self, org: Org) -> None:
        contact = await make_contact(org.manager, language="en")
        assert (await Contact.get(id=contact.id)).language == "en"
        updated = await update_contact(org.manager, contact.id, {"language": "ru"}, version=1)
        assert (updated.language, updated.version) == ("ru", 2)
        cleared = await update_contact(org.manager, contact.id, {"language": None}, version=2)
        assert (cleared.language, cleared.version) == (None, 3)
        rows = await AuditEntry.filter(
            entity="contact", entity_id=contact.id, field="language"
        ).order_by("id")
        assert [(r.action, r.old_value, r.new_value) for r in rows] == [
            ("create", None, "en"),
            ("update", "en", "ru"),
            ("update", "ru", None),
        ]

    @pytest.mark.parametrize("value", ["de", "EN", "", 5])
    async def test_anything_but_ru_en_or_null_is_named_and_changes_nothing(
        self, org: Org, value: object
    ) -> None:
        contact = await make_contact(org.manager, language="en")
        with pytest.raises(ValidationFailed) as raised:
            await update_contact(org.manager, contact.id, {"language": value}, version=1)
        assert error_fields(raised.value) == ["language"]
        assert error_codes(raised.value) == {"language": "invalid_choice"}
        assert "ru" in raised.value.errors[0].message.en
        stored = await Contact.get(id=contact.id)
        assert (stored.language, stored.version) == ("en", 1)
        with pytest.raises(ValidationFailed):
            await make_contact(org.manager, language=value)
        assert await Contact.all().count() == 1
