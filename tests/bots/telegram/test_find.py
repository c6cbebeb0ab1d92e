"""/find: contacts, companies and deals by name, phone or its last 4 digits, INN or email, as
buttons that open their cards; only what the person may see."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bots.telegram.callbacks import OpenCard
from models.clock import FrozenClock, use_clock
from tests.bots.conftest import BotHarness
from tests.bots.telegram.cards_support import data, keyboard, labels, last_sent, linked
from tests.doubles.telegram_updates import Person
from tests.factories import (
    T0,
    VALID_INNS,
    Org,
    make_company,
    make_contact,
    make_deal,
    make_org,
    make_pipeline,
)

OLGA = Person(8201, "Ольга", "ru")
JOHN = Person(8202, "John", "en")
HEAD = Person(8203, "Пётр", "ru")


@pytest.fixture
def clock() -> Iterator[FrozenClock]:
    with use_clock(FrozenClock(T0)) as frozen:
        yield frozen


@pytest.fixture
async def org(clock: FrozenClock) -> Org:
    await make_pipeline()
    return await make_org()


async def test_by_name_finds_contacts_companies_and_deals_as_buttons(
    telegram: BotHarness, org: Org
) -> None:
    me = org.manager
    await linked(me, OLGA)
    company = await make_company(me, name="Ромашка", inn=VALID_INNS[0])
    contact = await make_contact(
        me,
        last_name="Петров",
        first_name="Иван",
        phones=["+7 916 123-45-67"],
        company_id=company.id,
    )
    deal = await make_deal(me, title="Ромашка: поставка", amount="150000")
    await make_contact(me, last_name="Сидоров", first_name="Пётр")

    await telegram.send(OLGA, "/find ромашка")

    found = last_sent(telegram, OLGA)
    assert found.params["text"] == "Нашлось по запросу «ромашка»:"
    assert labels(found) == [
        ["👤 Петров Иван · +79161234567"],
        [f"🏢 Ромашка · ИНН {VALID_INNS[0]}"],
        ["💼 Ромашка: поставка · 150 000 ₽"],  # labels are shortened: plain spaces
    ]
    assert [row[0]["callback_data"] for row in keyboard(found)] == [
        OpenCard(kind="contact", id=contact.id).pack(),
        OpenCard(kind="company", id=company.id).pack(),
        OpenCard(kind="deal", id=deal.id).pack(),
    ]


async def test_by_the_last_four_digits_of_a_phone(telegram: BotHarness, org: Org) -> None:
    me = org.manager
    await linked(me, OLGA)
    await make_contact(me, last_name="Петров", first_name="Иван", phones=["+7 916 123-45-67"])
    await make_contact(me, last_name="Иванов", first_name="Олег", phones=["+7 916 765-43-21"])

    await telegram.send(OLGA, "/find 4567")

    assert labels(last_sent(telegram, OLGA)) == [["👤 Петров Иван · +79161234567"]]


async def test_by_inn_finds_the_company_and_the_people_who_work_there(
    telegram: BotHarness, org: Org
) -> None:
    me = org.manager
    await linked(me, OLGA)
    company = await make_company(me, name="Ромашка", inn=VALID_INNS[1])
    await make_contact(me, last_name="Петров", first_name="Иван", company_id=company.id)
    await make_company(me, name="Лютик", inn=VALID_INNS[2])

    await telegram.send(OLGA, f"/find {VALID_INNS[1]}")

    assert labels(last_sent(telegram, OLGA)) == [
        ["👤 Петров Иван"],
        [f"🏢 Ромашка · ИНН {VALID_INNS[1]}"],
    ]


async def test_by_email(telegram: BotHarness, org: Org) -> None:
    me = org.manager
    await linked(me, JOHN, language="en")
    await make_contact(me, last_name="Petrov", first_name="Ivan", emails=["ivan@corp.test"])
    await make_contact(me, last_name="Smith", first_name="Ann", emails=["ann@other.test"])

    await telegram.send(JOHN, "/find ivan@corp.test")

    found = last_sent(telegram, JOHN)
    assert found.params["text"] == "Found for “ivan@corp.test”:"
    assert labels(found) == [["👤 Petrov Ivan · ivan@corp.test"]]


async def test_nothing_found_says_so_and_what_to_try(telegram: BotHarness, org: Org) -> None:
    await linked(org.manager, OLGA)
    await make_contact(org.manager, last_name="Петров")

    await telegram.send(OLGA, "/find Ромашка <&>")
    await telegram.send(OLGA, "/find !!!")

    nothing, punctuation = telegram.api.sent(OLGA.id)
    assert nothing.params["text"] == (
        "По запросу «Ромашка &lt;&amp;&gt;» ничего не нашлось. Попробуйте фамилию, последние 4 "
        "цифры телефона, ИНН или email."
    )
    assert "reply_markup" not in nothing.params
    assert punctuation.params["text"].startswith("По запросу «!!!» ничего не нашлось.")


async def test_find_alone_asks_and_searches_the_next_message(
    telegram: BotHarness, org: Org
) -> None:
    await linked(org.manager, OLGA)
    await make_contact(org.manager, last_name="Петров", first_name="Иван")

    await telegram.send(OLGA, "/find")
    await telegram.send(OLGA, "/help")  # a command meanwhile is that command
    await telegram.send(OLGA, "петров")
    await telegram.send(OLGA, "петров")  # the question was answered: plain text again

    asked, helped, found, after = telegram.api.sent(OLGA.id)
    assert asked.params["text"] == (
        "Что найти? Напишите имя, телефон или его последние 4 цифры, ИНН или email."
    )
    assert helped.params["text"].startswith("Команды Voronka:")
    assert labels(found) == [["👤 Петров Иван"]]
    assert after.params["text"] == "Не понял сообщение. Список команд: /help"


async def test_more_than_ten_shows_ten_and_asks_to_narrow(telegram: BotHarness, org: Org) -> None:
    me = org.manager
    await linked(me, OLGA)
    for number in range(12):
        await make_contact(me, last_name="Петров", first_name=f"Иван{number}")

    await telegram.send(OLGA, "/find петров")

    found = last_sent(telegram, OLGA)
    assert len(keyboard(found)) == 10
    assert found.params["text"] == (
        "Нашлось по запросу «петров»:\n"
        "Показаны первые 10. Уточните запрос: добавьте имя, последние 4 цифры телефона или ИНН."
    )


async def test_a_manager_finds_only_their_own_and_a_head_their_office_tree(
    telegram: BotHarness, org: Org
) -> None:
    await linked(org.manager, OLGA)
    await linked(org.head, HEAD)
    mine = await make_contact(org.manager, last_name="Петров", first_name="Мой")
    await make_contact(org.colleague, last_name="Петров", first_name="Коллеги")
    await make_contact(org.deep, last_name="Петров", first_name="Отдела")
    await make_contact(org.stranger, last_name="Петров", first_name="Южный")

    await telegram.send(OLGA, "/find петров")
    await telegram.send(HEAD, "/find петров")

    assert labels(last_sent(telegram, OLGA)) == [["👤 Петров Мой"]]
    assert data(last_sent(telegram, OLGA), "👤") == OpenCard(kind="contact", id=mine.id).pack()
    assert sorted(row[0] for row in labels(last_sent(telegram, HEAD))) == [
        "👤 Петров Коллеги",
        "👤 Петров Мой",
        "👤 Петров Отдела",
    ]
