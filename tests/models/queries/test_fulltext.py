"""Full-text search: Cyrillic in any case, ё as е, prefixes, phones, emails, employers, scope."""

from __future__ import annotations

import pytest

from models.actor import Actor
from models.entities import Contact, Role, SearchEntry
from models.ops.companies import update_company
from models.ops.contacts import update_contact
from models.ops.search_index import rebuild_search_index
from models.queries.contacts import ContactFilters, list_contacts
from tests.factories import make_actor, make_company, make_contact, make_office


async def _found(actor: Actor, q: str) -> list[str]:
    page = await list_contacts(actor, ContactFilters(q=q), "id", None, 50)
    return [row["last_name"] for row in page.items]


@pytest.fixture
async def actor() -> Actor:
    return await make_actor()


async def test_names_in_any_case_and_with_yo(db: str, actor: Actor) -> None:
    await make_contact(actor, first_name="Пётр", last_name="Семёнов", middle_name="Ильич")
    await make_contact(actor, first_name="Анна", last_name="Петрова")
    assert await _found(actor, "семенов") == ["Семёнов"]
    assert await _found(actor, "СЕМЁН") == ["Семёнов"]
    assert await _found(actor, "петр") == ["Семёнов", "Петрова"]
    assert await _found(actor, "петр ильич") == ["Семёнов"]
    assert await _found(actor, "анна петр") == ["Петрова"]
    assert await _found(actor, "ров") == [], "words match by prefix, not infix"


async def test_phones_in_any_format_and_last_four_digits(db: str, actor: Actor) -> None:
    await make_contact(actor, last_name="Иванов", phones=["+7 916 123-45-67"])
    await make_contact(actor, last_name="Смит", phones=["+44 20 7946 0958"])
    for q in ("4567", "89161234567", "+7 (916) 123-45-67", "9161234567", "79161"):
        assert await _found(actor, q) == ["Иванов"], q
    assert await _found(actor, "0958") == ["Смит"]


async def test_email_parts_and_employer(db: str, actor: Actor) -> None:
    company = await make_company(actor, name="ООО Ромашка", inn="7707083893")
    contact = await make_contact(
        actor, last_name="Кузнецова", emails=["m.kuz@romashka.test"], company_id=company.id
    )
    for q in ("m.kuz@romashka.test", "romashka", "ромашка", "7707083893"):
        assert await _found(actor, q) == ["Кузнецова"], q
    await update_company(actor, company.id, {"name": "ООО Василёк"}, version=company.version)
    assert await _found(actor, "ромашка") == []
    assert await _found(actor, "василек") == ["Кузнецова"]
    await update_contact(actor, contact.id, {"last_name": "Орлова"}, version=contact.version)
    assert await _found(actor, "кузнецова") == []
    assert await _found(actor, "орлова") == ["Орлова"]


async def test_hostile_or_empty_text_finds_nothing_and_breaks_nothing(
    db: str, actor: Actor
) -> None:
    await make_contact(actor, last_name="Иванов")
    for q in ("'; DROP TABLE contact; --", '"', "***", "___", "NEAR(", "a:* | b"):
        assert await _found(actor, q) == [], q
    assert await Contact.all().count() == 1


async def test_search_keeps_to_the_actors_scope(db: str, actor: Actor) -> None:
    other = await make_actor(office=await make_office())
    await make_contact(other, last_name="Иванов")
    assert await _found(actor, "иванов") == []
    assert await _found(await make_actor(Role.ADMIN), "иванов") == ["Иванов"]


async def test_rebuild_indexes_everything_again(db: str, actor: Actor) -> None:
    await make_contact(actor, last_name="Иванов", phones=["+79161234567"])
    await SearchEntry.all().delete()
    assert await _found(actor, "иванов") == []
    assert await rebuild_search_index() >= 1
    assert await _found(actor, "4567") == ["Иванов"]
