"""/today: overdue tasks, tasks due today and deals over their stage time, with their buttons."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bots.telegram.callbacks import OpenCard
from bots.telegram.task_views import TaskAction
from models.clock import FrozenClock, use_clock
from models.entities import AuditEntry, Task, TaskStatus, User
from models.ops.deals import move_deal_to_stage
from tests.bots.conftest import BotHarness, link
from tests.bots.telegram.workday import (
    MONDAY_NOON,
    answers,
    button,
    edits,
    keyboard,
    labels,
    last_message,
    message_id,
)
from tests.doubles.telegram_updates import Person
from tests.factories import (
    actor_for,
    make_deal,
    make_office,
    make_org,
    make_pipeline,
    make_task,
    make_user,
    stage_named,
)

OLGA = Person(8101, "Ольга", "ru")
JOHN = Person(8102, "John", "en")
TASK_ROW_RU = ["Готово", "+1 ч", "Завтра", "Дата…"]


@pytest.fixture
def clock() -> Iterator[FrozenClock]:
    with use_clock(FrozenClock(MONDAY_NOON)) as frozen:
        yield frozen


def utc(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=UTC)


async def test_today_lists_overdue_and_due_tasks_and_stuck_deals_in_russian(
    telegram: BotHarness, clock: FrozenClock
) -> None:
    org = await make_org()
    await make_pipeline()
    await link(await User.get(id=org.manager.user_id), OLGA)
    me = org.manager
    clock.advance(timedelta(days=-8))
    stuck = await make_deal(me, title="Поставка станков")
    clock.advance(timedelta(days=8))
    await make_deal(me, title="Свежая сделка")  # in its stage for 0 days of 5
    older = await make_task(me, title="Отправить КП", due_at=utc(27, 7, month=2))
    yesterday = await make_task(me, title="Позвонить <Петрову> & Co", due_at=utc(2, 15))
    later = await make_task(me, title="Встреча", due_at=utc(3, 15))  # 18:00 in Moscow
    await make_task(me, title="Завтрашняя", due_at=utc(3, 21, 1))  # 00:01 tomorrow in Moscow
    await make_task(me, title="Без срока")
    await make_task(org.colleague, title="Чужая", due_at=utc(3, 10))
    await telegram.send(OLGA, "/today")

    (shown,) = telegram.api.sent(OLGA.id)
    assert shown.params["text"].splitlines() == [
        "<b>Мой день</b>, пн, 3 марта",
        "",
        "<b>Просрочено</b>",
        "1. Отправить КП — 27.02 в 10:00",
        "2. Позвонить &lt;Петрову&gt; &amp; Co — вчера в 18:00",
        "",
        "<b>На сегодня</b>",
        "3. Встреча — сегодня в 18:00",
        "",
        "<b>Дольше срока в этапе</b>",
        "• Поставка станков — «Новая»: 8 дней в этапе, по плану 5 дней",
    ]
    assert shown.params["parse_mode"] == "HTML"
    assert labels(shown) == [
        ["1. Готово", *TASK_ROW_RU[1:]],
        ["2. Готово", *TASK_ROW_RU[1:]],
        ["3. Готово", *TASK_ROW_RU[1:]],
        ["💼 Поставка станков"],
    ]
    rows = keyboard(shown)
    for row, task in zip(rows, (older, yesterday, later), strict=False):
        assert [b["callback_data"] for b in row] == [
            TaskAction(act=act, id=task.id, view="d").pack()
            for act in ("done", "hour", "tmrw", "date")
        ]
    assert rows[3][0]["callback_data"] == OpenCard(kind="deal", id=stuck.id).pack()


async def test_today_in_english_on_the_users_own_clock(
    telegram: BotHarness, clock: FrozenClock
) -> None:
    """09:00 UTC is 19:00 in Vladivostok: 23:00 is still today there, 01:00 is tomorrow."""
    office = await make_office("Владивосток", timezone="Asia/Vladivostok")
    john = await link(await make_user(office, language="en"), JOHN)
    me = await actor_for(john)
    await make_pipeline()
    await make_task(me, title="Late call", due_at=utc(3, 13))  # 23:00 local
    await make_task(me, title="Early call", due_at=utc(3, 15))  # 01:00 local, tomorrow
    await make_task(me, title="Missed call", due_at=utc(3, 8, 30))  # 18:30 local
    await telegram.send(JOHN, "/today")
    shown = last_message(telegram, JOHN)
    assert shown.params["text"].splitlines() == [
        "<b>My day</b>, Mon, 3 March",
        "",
        "<b>Overdue</b>",
        "1. Missed call — today at 18:30",
        "",
        "<b>Due today</b>",
        "2. Late call — today at 23:00",
    ]
    assert labels(shown) == [
        ["1. Done", "+1 h", "Tomorrow", "Date…"],
        ["2. Done", "+1 h", "Tomorrow", "Date…"],
    ]


async def test_an_empty_day_says_so(telegram: BotHarness, clock: FrozenClock) -> None:
    await link(await make_user(), OLGA)
    await telegram.send(OLGA, "/today")
    shown = last_message(telegram, OLGA)
    assert shown.params["text"] == (
        "Ничего не горит: просроченных задач и задач на сегодня нет, все сделки в срок.\n"
        "Все задачи: /tasks, сделки: /deals"
    )
    assert keyboard(shown) == []


async def test_done_completes_the_task_and_redraws_the_day_in_place(
    telegram: BotHarness, clock: FrozenClock
) -> None:
    user = await link(await make_user(), OLGA)
    me = await actor_for(user)
    first = await make_task(me, title="Позвонить", due_at=utc(3, 7))
    await make_task(me, title="Написать", due_at=utc(3, 14))
    await telegram.send(OLGA, "/today")
    shown = last_message(telegram, OLGA)
    telegram.api.reset()

    await telegram.press(OLGA, button(shown, "1. Готово"), message_id=message_id(shown))

    task = await Task.get(id=first.id)
    assert task.status is TaskStatus.DONE
    assert task.completed_at == MONDAY_NOON
    audit = await AuditEntry.get(entity="task", entity_id=first.id, field="status")
    assert (audit.old_value, audit.new_value, audit.actor_id) == ("open", "done", user.id)
    assert [c.method for c in telegram.api.calls] == ["answerCallbackQuery", "editMessageText"]
    (answer,) = answers(telegram)
    assert answer.params["text"] == "Готово: «Позвонить» выполнена."
    (edit,) = edits(telegram)
    assert edit.params["message_id"] == message_id(shown)
    assert edit.params["text"].splitlines()[2:] == [
        "<b>На сегодня</b>",
        "1. Написать — сегодня в 17:00",
    ]
    assert labels(edit) == [["1. Готово", *TASK_ROW_RU[1:]]]
    assert telegram.api.sent(OLGA.id) == [], "no new message: the list changed in place"


async def test_plus_an_hour_and_tomorrow_put_the_task_off(
    telegram: BotHarness, clock: FrozenClock
) -> None:
    user = await link(await make_user(), OLGA)
    me = await actor_for(user)
    clock.advance(timedelta(seconds=41))  # 12:00:41 in Moscow
    soon = await make_task(me, title="Позвонить", due_at=utc(3, 7))
    missed = await make_task(me, title="Отправить КП", due_at=utc(2, 12, 30))  # Sun 15:30 MSK
    await telegram.send(OLGA, "/today")
    shown = last_message(telegram, OLGA)
    telegram.api.reset()

    await telegram.press(OLGA, button(shown, "+1 ч"), message_id=message_id(shown))
    hour = await Task.get(id=missed.id)  # the first row: the oldest overdue task
    assert hour.due_at == hour.remind_at == utc(3, 10, 0)
    assert hour.version == 2
    assert answers(telegram)[-1].params["text"] == "Перенёс «Отправить КП» на сегодня в 13:00."
    redrawn = edits(telegram)[-1]
    assert redrawn.params["text"].splitlines()[2:] == [
        "<b>Просрочено</b>",
        "1. Позвонить — сегодня в 10:00",
        "",
        "<b>На сегодня</b>",
        "2. Отправить КП — сегодня в 13:00",
    ]

    await telegram.press(OLGA, button(redrawn, "Завтра"), message_id=message_id(shown))
    moved = await Task.get(id=soon.id)
    assert moved.due_at == utc(4, 7), "tomorrow at the time it was due: 10:00 in Moscow"
    assert answers(telegram)[-1].params["text"] == "Перенёс «Позвонить» на завтра в 10:00."
    assert edits(telegram)[-1].params["text"].splitlines()[2:] == [
        "<b>На сегодня</b>",
        "1. Отправить КП — сегодня в 13:00",
    ]
    actions = await AuditEntry.filter(entity="task", action="snooze").values_list(
        "entity_id", "field"
    )
    assert sorted(actions) == sorted(
        [
            (missed.id, "due_at"),
            (missed.id, "remind_at"),
            (soon.id, "due_at"),
            (soon.id, "remind_at"),
        ]
    )


async def test_a_long_day_shows_fifteen_tasks_and_counts_the_rest(
    telegram: BotHarness, clock: FrozenClock
) -> None:
    user = await link(await make_user(), OLGA)
    me = await actor_for(user)
    for minute in range(17):
        await make_task(me, title=f"Задача {minute}", due_at=utc(3, 12, minute))
    await telegram.send(OLGA, "/today")
    shown = last_message(telegram, OLGA)
    lines = shown.params["text"].splitlines()
    assert lines[-2] == "15. Задача 14 — сегодня в 15:14"
    assert lines[-1] == "…и ещё 2: все задачи — /tasks"
    assert len(keyboard(shown)) == 15


async def test_a_deal_moved_on_leaves_the_stuck_list(
    telegram: BotHarness, clock: FrozenClock
) -> None:
    org = await make_org()
    pipeline = await make_pipeline()
    await link(await User.get(id=org.manager.user_id), OLGA)
    clock.advance(timedelta(days=-6))
    deal = await make_deal(org.manager, title="Поставка")
    clock.advance(timedelta(days=6))
    await telegram.send(OLGA, "/today")
    assert (
        "• Поставка — «Новая»: 6 дней в этапе, по плану 5 дней"
        in last_message(telegram, OLGA).params["text"]
    )
    await move_deal_to_stage(
        org.manager, deal.id, (await stage_named(pipeline, "В работе")).id, version=None
    )
    await telegram.send(OLGA, "/today")
    assert "Ничего не горит" in last_message(telegram, OLGA).params["text"]


async def test_a_long_title_is_cut_in_lines_buttons_and_answers(
    telegram: BotHarness, clock: FrozenClock
) -> None:
    user = await link(await make_user(), OLGA)
    title = "Согласовать " + "очень " * 45 + "длинный договор"  # 297 characters
    task = await make_task(await actor_for(user), title=title, due_at=utc(3, 10))
    await telegram.send(OLGA, "/today")
    shown = last_message(telegram, OLGA)
    line = shown.params["text"].splitlines()[-1]
    assert line.startswith("1. Согласовать очень")
    assert line.endswith("… — сегодня в 13:00")
    assert len(line) < 90
    await telegram.press(OLGA, button(shown, "1. Готово"), message_id=message_id(shown))
    (answer,) = answers(telegram)
    assert answer.ok
    assert len(answer.params["text"]) <= 200
    assert (await Task.get(id=task.id)).status is TaskStatus.DONE
