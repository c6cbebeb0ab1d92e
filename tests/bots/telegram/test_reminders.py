"""A task reminder from the clock, end to end: the reminder job writes it, the relay sends it
through the Bot API double, and its buttons (Done, +1 h, Tomorrow) work through the real
Dispatcher, re-checking who pressed, and edit the reminder to say what became of the task."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from bots.telegram.callbacks import OpenCard, ReminderAction
from models.channels import use_channels
from models.clock import FrozenClock, use_clock
from models.entities import Channel, Task, TaskStatus, User
from models.ops.deal_timers import TimerSettings, open_deal_button, stage_timers
from models.ops.reminders import button_data
from schedulers.channels.telegram import TelegramChannel
from schedulers.outbox import Relay
from schedulers.reminders import remind_due
from tests.bots.conftest import BotHarness, link
from tests.bots.telegram.workday import (
    MONDAY_NOON,
    answers,
    button,
    edits,
    labels,
    last_message,
    message_id,
)
from tests.doubles.telegram_updates import Person
from tests.factories import Org, make_deal, make_org, make_pipeline, make_task

OLGA = Person(8301, "Ольга", "ru")
JOHN = Person(8302, "John", "en")  # Olga's colleague, in English
SERGEY = Person(8303, "Сергей", "ru")  # head of another branch
MINUTE = timedelta(minutes=1)


@pytest.fixture
def clock() -> Iterator[FrozenClock]:
    with use_clock(FrozenClock(MONDAY_NOON)) as frozen, use_channels({Channel.TELEGRAM}):
        yield frozen


@pytest.fixture
async def org() -> Org:
    org = await make_org()
    for actor, person in ((org.manager, OLGA), (org.colleague, JOHN), (org.south_head, SERGEY)):
        await link(await User.get(id=actor.user_id), person)
    await User.filter(id=org.colleague.user_id).update(language="en")
    return org


async def deliver(telegram: BotHarness) -> None:
    """The clock's two steps: the reminder job, then the relay through the Bot API double."""
    await remind_due()
    await Relay({Channel.TELEGRAM: TelegramChannel(telegram.bot)}).drain()


async def test_the_payload_the_clock_writes_is_the_bots_button() -> None:
    for act in ("done", "hour", "tmrw"):
        unpacked = ReminderAction.unpack(button_data(act, 42))  # type: ignore[arg-type]
        assert (unpacked.act, unpacked.id) == (act, 42)


async def test_done_completes_the_task_and_the_reminder_says_so(
    telegram: BotHarness, clock: FrozenClock, org: Org
) -> None:
    task = await make_task(org.manager, title="Позвонить <Иванову>", remind_at=MONDAY_NOON)
    await deliver(telegram)

    reminder = last_message(telegram, OLGA)
    assert reminder.params["text"] == "<b>Напоминание</b>\nПозвонить &lt;Иванову&gt;"
    assert labels(reminder) == [["✅ Готово", "+1 ч", "Завтра"]]

    await telegram.press(OLGA, button(reminder, "✅ Готово"), message_id=message_id(reminder))

    assert (await Task.get(id=task.id)).status is TaskStatus.DONE
    assert answers(telegram)[-1].params["text"] == "Готово: «Позвонить <Иванову>» выполнена."
    (edit,) = edits(telegram)
    assert edit.params["message_id"] == message_id(reminder)
    assert edit.params["text"] == ("<b>Напоминание</b>\nПозвонить &lt;Иванову&gt;\n\n✅ Выполнено.")
    assert "reply_markup" not in edit.params or not edit.params["reply_markup"]


async def test_an_hour_later_snoozes_and_the_reminder_comes_again(
    telegram: BotHarness, clock: FrozenClock, org: Org
) -> None:
    task = await make_task(
        org.colleague, title="Send the offer", due_at=MONDAY_NOON, remind_at=MONDAY_NOON
    )
    await deliver(telegram)
    reminder = last_message(telegram, JOHN)
    assert labels(reminder) == [["✅ Done", "+1 h", "Tomorrow"]]

    await telegram.press(JOHN, button(reminder, "+1 h"), message_id=message_id(reminder))

    moved = await Task.get(id=task.id)
    assert moved.remind_at == moved.due_at == MONDAY_NOON + timedelta(hours=1)
    (edit,) = edits(telegram)
    assert edit.params["text"] == "<b>Reminder</b>\nSend the offer\n\n⏰ Moved to today at 13:00."

    clock.advance(59 * MINUTE)
    await deliver(telegram)
    assert message_id(last_message(telegram, JOHN)) == message_id(reminder)  # nothing new yet
    clock.advance(MINUTE)
    await deliver(telegram)
    again = last_message(telegram, JOHN)
    assert message_id(again) != message_id(reminder)
    assert again.params["text"].startswith("<b>Reminder</b>\nSend the offer")


async def test_tomorrow_moves_it_to_tomorrow_at_the_same_time(
    telegram: BotHarness, clock: FrozenClock, org: Org
) -> None:
    due = MONDAY_NOON + timedelta(hours=3)  # 15:00 in Moscow
    task = await make_task(org.manager, title="Встреча", due_at=due, remind_at=MONDAY_NOON)
    await deliver(telegram)
    reminder = last_message(telegram, OLGA)
    await telegram.press(OLGA, button(reminder, "Завтра"), message_id=message_id(reminder))

    assert (await Task.get(id=task.id)).due_at == due + timedelta(days=1)
    assert edits(telegram)[-1].params["text"].endswith("⏰ Перенесено на завтра в 15:00.")


async def test_a_forged_button_for_someone_elses_task_changes_nothing(
    telegram: BotHarness, clock: FrozenClock, org: Org
) -> None:
    task = await make_task(org.manager, title="Чужая", remind_at=MONDAY_NOON)
    before = await Task.get(id=task.id)
    await telegram.send(SERGEY, "/start")
    forged = ReminderAction(act="done", id=task.id).pack()
    await telegram.press(SERGEY, forged, message_id=1)

    after = await Task.get(id=task.id)
    assert (after.status, after.version) == (before.status, before.version)
    assert answers(telegram)[-1].params["show_alert"] is True
    assert "не найдена" in answers(telegram)[-1].params["text"]
    assert edits(telegram) == []


async def test_pressing_done_twice_says_the_task_is_closed(
    telegram: BotHarness, clock: FrozenClock, org: Org
) -> None:
    await make_task(org.manager, title="Дважды", remind_at=MONDAY_NOON)
    await deliver(telegram)
    reminder = last_message(telegram, OLGA)
    data = button(reminder, "✅ Готово")
    await telegram.press(OLGA, data, message_id=message_id(reminder))
    await telegram.press(OLGA, data, message_id=message_id(reminder))

    assert answers(telegram)[-1].params["text"] == "Задача уже закрыта."
    assert len(edits(telegram)) == 1


async def test_a_deal_notice_opens_the_deal_card_for_its_owner_only(
    telegram: BotHarness, clock: FrozenClock, org: Org
) -> None:
    await make_pipeline()
    deal = await make_deal(org.manager, title="Насосы")
    assert OpenCard.unpack(open_deal_button(deal.id).callback_data) == OpenCard(
        kind="deal", id=deal.id
    )
    clock.advance(timedelta(days=6))
    await stage_timers(TimerSettings.current())
    await Relay({Channel.TELEGRAM: TelegramChannel(telegram.bot)}).drain()
    notice = last_message(telegram, OLGA)
    assert notice.params["text"].startswith("<b>Сделка дольше срока в этапе</b>\n«Насосы»")

    await telegram.press(OLGA, button(notice, "Открыть сделку"), message_id=message_id(notice))
    card = [*edits(telegram), *telegram.api.sent(OLGA.id)][-1]
    assert card is not notice
    assert "Насосы" in card.params["text"]
    assert "Сделка дольше срока" not in card.params["text"]
    await telegram.send(SERGEY, "/start")
    await telegram.press(SERGEY, button(notice, "Открыть сделку"), message_id=1)
    assert answers(telegram)[-1].params["show_alert"] is True
