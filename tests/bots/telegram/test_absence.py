"""The return notice of an absence through the outbox to Telegram, and its buttons: Take back
moves home what the substitute still holds, Leave keeps it, each once; forged presses change
nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from bots.telegram.callbacks import HandoverChoice
from models.channels import use_channels
from models.clock import FrozenClock, use_clock
from models.entities import Channel, Deal, Task, User
from models.ops.absences import TAKE_BACK, declare_sudden_absence, handover_callback
from models.ops.tasks import complete_task
from schedulers.absences import run_absences
from schedulers.channels.telegram import TelegramChannel
from schedulers.outbox import Relay
from tests.bots.conftest import BotHarness, link
from tests.bots.telegram.workday import MONDAY_NOON, answers, button, edits, labels, message_id
from tests.doubles.telegram_updates import Person
from tests.factories import Org, make_deal, make_org, make_pipeline, make_task

OLGA = Person(8301, "Ольга", "ru")
KATYA = Person(8302, "Катя", "ru")  # Olga's deputy
SERGEY = Person(8303, "Сергей", "ru")  # head of another branch
TAKEN_BACK = "Вернули вам: 1. Остались у коллег (закрыты или переданы дальше): 1."


@pytest.fixture
def clock() -> Iterator[FrozenClock]:
    with use_clock(FrozenClock(MONDAY_NOON)) as frozen, use_channels({Channel.TELEGRAM}):
        yield frozen


@pytest.fixture
async def org() -> Org:
    org = await make_org()
    for actor, person in ((org.manager, OLGA), (org.colleague, KATYA), (org.south_head, SERGEY)):
        await link(await User.get(id=actor.user_id), person)
    await make_pipeline()
    return org


async def _back_from_absence(
    telegram: BotHarness, clock: FrozenClock, org: Org
) -> tuple[int, Task, Deal]:
    task = await make_task(org.manager, title="Позвонить Орлову")
    deal = await make_deal(org.manager, title="Поставка в Тверь")
    absence = await declare_sudden_absence(
        org.manager,
        {"ends_at": MONDAY_NOON + timedelta(days=2), "deputy_id": org.colleague.user_id},
    )
    clock.advance(timedelta(days=2))
    assert await run_absences() == (0, 1)
    relay = Relay({Channel.TELEGRAM: TelegramChannel(telegram.bot)})
    assert (await relay.drain())["sent"] == 2  # Katya's hand-over notice, Olga's offer
    return absence.id, task, deal


async def test_the_offer_arrives_with_take_back_and_leave(
    telegram: BotHarness, clock: FrozenClock, org: Org
) -> None:
    await _back_from_absence(telegram, clock, org)

    [handed] = telegram.api.sent(KATYA.id)
    assert handed.params["text"].startswith("<b>Вам передана работа</b>")
    [offer] = telegram.api.sent(OLGA.id)
    assert offer.params["text"].splitlines() == [
        "<b>С возвращением!</b>",
        "Пока вас не было, передали:",
        f"Задача «Позвонить Орлову» → {(await User.get(id=org.colleague.user_id)).full_name}",
        f"Сделка «Поставка в Тверь» → {(await User.get(id=org.colleague.user_id)).full_name}",
        "Вернуть себе?",
    ]
    assert labels(offer) == [["Вернуть себе", "Оставить"]]


async def test_take_back_returns_what_is_still_open_once(
    telegram: BotHarness, clock: FrozenClock, org: Org
) -> None:
    absence_id, task, deal = await _back_from_absence(telegram, clock, org)
    await complete_task(org.colleague, task.id, version=None)  # done by the deputy meanwhile
    [offer] = telegram.api.sent(OLGA.id)
    pressed = button(offer, "Вернуть себе")
    assert pressed == HandoverChoice(act=TAKE_BACK, id=absence_id).pack()
    assert pressed == handover_callback(TAKE_BACK, absence_id)

    await telegram.press(OLGA, pressed, message_id=message_id(offer))

    assert [e.params["text"] for e in edits(telegram)] == [TAKEN_BACK]
    assert edits(telegram)[0].params.get("reply_markup") is None  # the buttons are gone
    assert answers(telegram)[-1].params["text"] == "Работа возвращена"
    assert (await Deal.get(id=deal.id)).owner_id == org.manager.user_id
    assert (await Task.get(id=task.id)).assignee_id == org.colleague.user_id

    await telegram.press(OLGA, button(offer, "Оставить"), message_id=message_id(offer))
    assert answers(telegram)[-1].params["text"] == "Вы уже ответили на это предложение."
    assert answers(telegram)[-1].params["show_alert"] is True
    assert (await Deal.get(id=deal.id)).owner_id == org.manager.user_id
    assert len(edits(telegram)) == 1


async def test_leave_keeps_the_work_with_the_deputy(
    telegram: BotHarness, clock: FrozenClock, org: Org
) -> None:
    _, task, deal = await _back_from_absence(telegram, clock, org)
    [offer] = telegram.api.sent(OLGA.id)

    await telegram.press(OLGA, button(offer, "Оставить"), message_id=message_id(offer))

    assert [e.params["text"] for e in edits(telegram)] == ["Хорошо, работа остаётся у коллег: 2."]
    assert (await Task.get(id=task.id)).assignee_id == org.colleague.user_id
    assert (await Deal.get(id=deal.id)).owner_id == org.colleague.user_id


@pytest.mark.parametrize("intruder", [KATYA, SERGEY], ids=["deputy", "other_head"])
async def test_a_forged_press_changes_nothing(
    telegram: BotHarness, clock: FrozenClock, org: Org, intruder: Person
) -> None:
    absence_id, task, deal = await _back_from_absence(telegram, clock, org)

    await telegram.press(intruder, handover_callback(TAKE_BACK, absence_id), message_id=1)

    assert answers(telegram)[-1].params["text"] == (
        "Это предложение не найдено: оно не ваше или его отменили."
    )
    assert edits(telegram) == []
    assert (await Task.get(id=task.id)).assignee_id == org.colleague.user_id
    assert (await Deal.get(id=deal.id)).owner_id == org.colleague.user_id
