"""/deals: my open deals grouped by stage, each a button to its card."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from bots.telegram.callbacks import OpenCard
from models.clock import FrozenClock, use_clock
from models.entities import User
from models.ops.deals import move_deal_to_stage
from tests.bots.conftest import BotHarness, link
from tests.bots.telegram.workday import MONDAY_NOON, keyboard, labels, last_message
from tests.doubles.telegram_updates import Person
from tests.factories import Org, make_deal, make_org, make_pipeline, stage_named

OLGA = Person(8301, "Ольга", "ru")
JOHN = Person(8302, "John", "en")
BORIS = Person(8303, "Борис", "ru")  # head of Olga's office
NB = "\u00a0"  # Russian groups digits with a no-break space


@pytest.fixture
def clock() -> Iterator[FrozenClock]:
    with use_clock(FrozenClock(MONDAY_NOON)) as frozen:
        yield frozen


@pytest.fixture
async def org() -> Org:
    org = await make_org()
    await link(await User.get(id=org.manager.user_id), OLGA)
    await link(await User.get(id=org.head.user_id), BORIS)
    return org


async def my_deals(org: Org, clock: FrozenClock) -> list[int]:
    sales = await make_pipeline()
    tenders = await make_pipeline("Тендеры", is_default=False)
    me = org.manager
    clock.advance(timedelta(days=-8))
    machines = await make_deal(me, title="Поставка станков", amount="1250000")
    clock.advance(timedelta(days=8))
    assembly = await make_deal(me, title="Монтаж", amount="50000.50")
    working = (await stage_named(sales, "В работе")).id
    service = await make_deal(me, title="Сервис", stage_id=working)
    export = await make_deal(me, title="Экспорт", stage_id=working, amount="2000", currency="USD")
    tender = await make_deal(me, title="Тендер на поставку", pipeline_id=tenders.id)
    won = await make_deal(me, title="Выигранная", amount="10")
    await move_deal_to_stage(me, won.id, (await stage_named(sales, "Успешно")).id, version=None)
    await make_deal(org.colleague, title="Чужая сделка")
    await make_deal(org.head, title="Сделка руководителя")
    return [machines.id, assembly.id, service.id, export.id, tender.id]


async def test_deals_grouped_by_stage_with_counts_sums_and_card_buttons(
    telegram: BotHarness, clock: FrozenClock, org: Org
) -> None:
    ids = await my_deals(org, clock)
    await telegram.send(OLGA, "/deals")
    shown = last_message(telegram, OLGA)
    assert shown.params["text"].splitlines() == [
        "<b>Мои открытые сделки</b>: 5",
        "",
        "<b>Воронка «Продажи»</b>",
        "",
        f"<b>Новая</b> — 2 · 1{NB}300{NB}000,50{NB}₽",
        f"1. Поставка станков — 1{NB}250{NB}000{NB}₽ · ⏰ 8 дней в этапе",
        f"2. Монтаж — 50{NB}000,50{NB}₽",
        "",
        f"<b>В работе</b> — 2 · 2{NB}000{NB}$",
        "3. Сервис",
        f"4. Экспорт — 2{NB}000{NB}$",
        "",
        "<b>Воронка «Тендеры»</b>",
        "",
        "<b>Новая</b> — 1",
        "5. Тендер на поставку",
    ]
    assert labels(shown) == [
        ["1. Поставка станков", "2. Монтаж"],
        ["3. Сервис", "4. Экспорт"],
        ["5. Тендер на поставку"],
    ]
    data = [button["callback_data"] for row in keyboard(shown) for button in row]
    assert data == [OpenCard(kind="deal", id=deal_id).pack() for deal_id in ids]


async def test_deals_in_english(telegram: BotHarness, clock: FrozenClock, org: Org) -> None:
    await my_deals(org, clock)
    await User.filter(id=org.manager.user_id).update(language="en")
    await telegram.send(OLGA, "/deals")
    lines = last_message(telegram, OLGA).params["text"].splitlines()
    assert lines[:6] == [
        "<b>My open deals</b>: 5",
        "",
        "<b>Pipeline “Продажи”</b>",
        "",
        "<b>Новая</b> — 2 · ₽1,300,000.50",
        "1. Поставка станков — ₽1,250,000 · ⏰ 8 days in the stage",
    ]
    assert lines[8] == "<b>В работе</b> — 2 · $2,000"


async def test_a_long_stage_lists_its_first_five(
    telegram: BotHarness, clock: FrozenClock, org: Org
) -> None:
    await make_pipeline()
    for n in range(7):
        await make_deal(org.manager, title=f"Сделка {n}")
    await telegram.send(OLGA, "/deals")
    shown = last_message(telegram, OLGA)
    assert shown.params["text"].splitlines() == [
        "<b>Мои открытые сделки</b>: 7",
        "",
        "<b>Новая</b> — 7",
        *(f"{n + 1}. Сделка {n}" for n in range(5)),
        "…и ещё 2",
    ]
    assert sum(len(row) for row in keyboard(shown)) == 5


async def test_a_head_sees_their_own_deals_here_not_the_offices(
    telegram: BotHarness, clock: FrozenClock, org: Org
) -> None:
    await my_deals(org, clock)
    await telegram.send(BORIS, "/deals")
    shown = last_message(telegram, BORIS)
    assert shown.params["text"].splitlines() == [
        "<b>Мои открытые сделки</b>: 1",
        "",
        "<b>Новая</b> — 1",
        "1. Сделка руководителя",
    ]


async def test_no_open_deals(telegram: BotHarness, org: Org) -> None:
    await make_pipeline()
    await telegram.send(OLGA, "/deals")
    assert telegram.texts(OLGA) == ["Открытых сделок нет."]
