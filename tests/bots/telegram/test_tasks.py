"""/tasks, its pages, and the task buttons: Pick date, forged payloads, whose task it is."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from bots.telegram.task_views import CancelPickDate, TaskAction, TaskPage
from models.clock import FrozenClock, use_clock
from models.entities import Task, TaskStatus, User
from models.ops.tasks import complete_task
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
from tests.factories import Org, actor_for, make_office, make_org, make_task, make_user

OLGA = Person(8201, "Ольга", "ru")
JOHN = Person(8202, "John", "en")
BORIS = Person(8203, "Борис", "ru")  # head of Olga's office
SERGEY = Person(8204, "Сергей", "ru")  # head of another branch
KATYA = Person(8205, "Катя", "ru")  # Olga's colleague
TASK_GONE = "Задача не найдена: её удалили или она не ваша. Откройте список заново: /tasks"
STALE = "Эта кнопка больше не работает: откройте запись заново."


@pytest.fixture
def clock() -> Iterator[FrozenClock]:
    with use_clock(FrozenClock(MONDAY_NOON)) as frozen:
        yield frozen


@pytest.fixture
async def org() -> Org:
    org = await make_org()
    for actor, person in (
        (org.manager, OLGA),
        (org.head, BORIS),
        (org.south_head, SERGEY),
        (org.colleague, KATYA),
    ):
        await link(await User.get(id=actor.user_id), person)
    return org


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, 3, day, hour, minute, tzinfo=UTC)


async def snapshot(task_id: int) -> tuple[object, ...]:
    task = await Task.get(id=task_id)
    return task.status, task.due_at, task.remind_at, task.version


# ---- /tasks -----------------------------------------------------------------------------------


async def test_tasks_lists_dated_ones_first_in_pages_of_ten(
    telegram: BotHarness, clock: FrozenClock, org: Org
) -> None:
    me = org.manager
    undated = [await make_task(me, title=f"Без срока {n}") for n in range(3)]
    dated = [await make_task(me, title=f"Звонок {n}", due_at=utc(2 + n, 8)) for n in range(9)]
    await make_task(org.colleague, title="Чужая", due_at=utc(3, 8))
    await complete_task(me, dated[0].id, version=None)
    await telegram.send(OLGA, "/tasks")

    first = last_message(telegram, OLGA)
    assert first.params["text"].splitlines() == [
        "<b>Мои открытые задачи</b>: 11",
        "",
        "1. ⚠️ Звонок 1 — сегодня в 11:00",
        "2. Звонок 2 — завтра в 11:00",
        *(f"{n}. Звонок {n} — {n + 2:02}.03 в 11:00" for n in range(3, 9)),
        "9. Без срока 0 — без срока",
        "10. Без срока 1 — без срока",
    ]
    assert labels(first)[-1] == ["Ещё ›"]
    assert labels(first)[0] == ["1. Готово", "+1 ч", "Завтра", "Дата…"]
    assert len(keyboard(first)) == 11
    telegram.api.reset()

    await telegram.press(OLGA, button(first, "Ещё ›"), message_id=message_id(first))
    (second,) = edits(telegram)
    assert second.params["message_id"] == message_id(first)
    assert second.params["text"].splitlines() == [
        "<b>Мои открытые задачи</b>: 11",
        "",
        "1. Без срока 2 — без срока",
    ]
    assert labels(second) == [["1. Готово", "+1 ч", "Завтра", "Дата…"], ["« В начало"]]
    action = TaskAction.unpack(keyboard(second)[0][0]["callback_data"])
    assert (action.id, action.view, action.due, action.after) == (
        undated[2].id,
        "t",
        None,
        undated[1].id,
    )

    await telegram.press(OLGA, button(second, "« В начало"), message_id=message_id(first))
    assert edits(telegram)[-1].params["text"] == first.params["text"]


async def test_an_overdue_task_is_marked_and_the_page_boundary_between_dated_and_undated(
    telegram: BotHarness, clock: FrozenClock, org: Org
) -> None:
    me = org.manager
    for n in range(10):
        await make_task(me, title=f"Звонок {n}", due_at=utc(1, 8, n))
    await make_task(me, title="Без срока")
    await telegram.send(OLGA, "/tasks")
    first = last_message(telegram, OLGA)
    assert first.params["text"].splitlines()[2] == "1. ⚠️ Звонок 0 — 01.03 в 11:00"
    assert labels(first)[-1] == ["Ещё ›"]
    await telegram.press(OLGA, button(first, "Ещё ›"), message_id=message_id(first))
    assert edits(telegram)[-1].params["text"].splitlines()[2:] == ["1. Без срока — без срока"]


async def test_no_open_tasks(telegram: BotHarness, org: Org) -> None:
    await telegram.send(OLGA, "/tasks")
    assert telegram.texts(OLGA) == ["Открытых задач нет. Мой день: /today"]


async def test_done_on_a_tasks_page_redraws_that_page(
    telegram: BotHarness, clock: FrozenClock, org: Org
) -> None:
    me = org.manager
    tasks = [await make_task(me, title=f"Звонок {n}", due_at=utc(4, 8, n)) for n in range(12)]
    await telegram.send(OLGA, "/tasks")
    first = last_message(telegram, OLGA)
    await telegram.press(OLGA, button(first, "Ещё ›"), message_id=message_id(first))
    second = edits(telegram)[-1]
    await telegram.press(OLGA, button(second, "1. Готово"), message_id=message_id(first))
    assert (await Task.get(id=tasks[10].id)).status is TaskStatus.DONE
    assert edits(telegram)[-1].params["text"].splitlines() == [
        "<b>Мои открытые задачи</b>: 11",
        "",
        "1. Звонок 11 — завтра в 11:11",
    ]


# ---- Pick date --------------------------------------------------------------------------------


async def test_pick_date_reads_the_date_in_russian_and_confirms(
    telegram: BotHarness, clock: FrozenClock, org: Org
) -> None:
    task = await make_task(org.manager, title="Позвонить", due_at=utc(3, 7))
    await telegram.send(OLGA, "/today")
    day = last_message(telegram, OLGA)
    await telegram.press(OLGA, button(day, "Дата…"), message_id=message_id(day))
    prompt = last_message(telegram, OLGA)
    assert prompt.params["text"] == (
        "Когда напомнить про «Позвонить»? Напишите дату и время, например: завтра в 15:00, "
        "в пятницу, через 2 часа, 27.11 в 10:00."
    )
    assert labels(prompt) == [["Отмена"]]
    assert await snapshot(task.id) == (TaskStatus.OPEN, utc(3, 7), None, 1), "nothing yet"

    await telegram.send(OLGA, "в пятницу в 15:30")
    moved = await Task.get(id=task.id)
    assert moved.due_at == moved.remind_at == utc(7, 12, 30)
    assert telegram.texts(OLGA)[-1] == "Напомню 07.03 в 15:30: «Позвонить»."
    redrawn = edits(telegram)[-1]
    assert redrawn.params["message_id"] == message_id(day)
    assert "Ничего не горит" in redrawn.params["text"]

    await telegram.send(OLGA, "завтра в 10")
    assert telegram.texts(OLGA)[-1] == "Не понял сообщение. Список команд: /help", "step over"
    assert (await Task.get(id=task.id)).due_at == utc(7, 12, 30)


async def test_pick_date_shows_what_is_wrong_and_waits_for_a_better_date(
    telegram: BotHarness, clock: FrozenClock, org: Org
) -> None:
    task = await make_task(org.manager, title="Позвонить", due_at=utc(3, 7))
    await telegram.send(OLGA, "/tasks")
    tasks = last_message(telegram, OLGA)
    await telegram.press(OLGA, button(tasks, "Дата…"), message_id=message_id(tasks))
    before = await snapshot(task.id)

    for text, problem in [
        ("31.02", "Такой даты нет: 31.02."),
        ("сегодня в 9", "Это время уже прошло: 03.03.2025 09:00. Укажите время позже."),
        ("когда-нибудь", "Не понял, когда это."),
    ]:
        await telegram.send(OLGA, text)
        reply = last_message(telegram, OLGA)
        assert reply.params["text"].startswith(problem), text
        assert reply.params["text"].endswith("\nНапишите ещё раз или нажмите «Отмена».")
        assert labels(reply) == [["Отмена"]]
        assert await snapshot(task.id) == before

    await telegram.send(OLGA, "/today")  # a command in between does not end the step
    await telegram.send(OLGA, "через 2 часа")
    assert (await Task.get(id=task.id)).due_at == utc(3, 11)
    assert telegram.texts(OLGA)[-1] == "Напомню 03.03 в 14:00: «Позвонить»."
    assert edits(telegram)[-1].params["text"].splitlines()[2] == "1. Позвонить — сегодня в 14:00"


async def test_pick_date_in_english_and_the_users_time_zone(
    telegram: BotHarness, clock: FrozenClock
) -> None:
    office = await make_office("Калининград", timezone="Europe/Kaliningrad")  # UTC+2
    john = await link(await make_user(office, language="en"), JOHN)
    task = await make_task(await actor_for(john), title="Send the offer", due_at=utc(3, 7))
    await telegram.send(JOHN, "/tasks")
    tasks = last_message(telegram, JOHN)
    assert tasks.params["text"].splitlines()[2] == "1. ⚠️ Send the offer — today at 09:00"
    await telegram.press(JOHN, button(tasks, "Date…"), message_id=message_id(tasks))
    assert (
        last_message(telegram, JOHN)
        .params["text"]
        .startswith("When shall I remind you of “Send the offer”?")
    )
    await telegram.send(JOHN, "yesterday")
    assert last_message(telegram, JOHN).params["text"].startswith("Could not read when.")
    await telegram.send(JOHN, "tomorrow 3pm")
    assert (await Task.get(id=task.id)).due_at == utc(4, 13)
    assert telegram.texts(JOHN)[-1] == "I will remind you on Mar 4 at 15:00: “Send the offer”."


async def test_cancel_leaves_the_due_date_as_it_was(
    telegram: BotHarness, clock: FrozenClock, org: Org
) -> None:
    task = await make_task(org.manager, title="Позвонить", due_at=utc(3, 7))
    await telegram.send(OLGA, "/tasks")
    tasks = last_message(telegram, OLGA)
    await telegram.press(OLGA, button(tasks, "Дата…"), message_id=message_id(tasks))
    prompt = last_message(telegram, OLGA)
    await telegram.press(OLGA, CancelPickDate().pack(), message_id=message_id(prompt))
    assert answers(telegram)[-1].params["text"] == "Хорошо, срок не меняю."
    shown = telegram.api.message(OLGA.id, message_id(prompt))
    assert shown is not None
    assert (shown.text, shown.reply_markup) == ("Хорошо, срок не меняю.", None)
    await telegram.send(OLGA, "завтра")
    assert telegram.texts(OLGA)[-1] == "Не понял сообщение. Список команд: /help"
    assert (await Task.get(id=task.id)).due_at == utc(3, 7)


async def test_a_task_closed_while_a_date_is_typed_is_not_moved(
    telegram: BotHarness, clock: FrozenClock, org: Org
) -> None:
    task = await make_task(org.manager, title="Позвонить", due_at=utc(3, 7))
    await telegram.send(OLGA, "/tasks")
    tasks = last_message(telegram, OLGA)
    await telegram.press(OLGA, button(tasks, "Дата…"), message_id=message_id(tasks))
    await complete_task(org.manager, task.id, version=None)
    await telegram.send(OLGA, "завтра")
    assert telegram.texts(OLGA)[-1] == "Задача уже закрыта."
    assert (await Task.get(id=task.id)).due_at == utc(3, 7)


# ---- Whose task: forged payloads and scope --------------------------------------------------


async def test_forged_buttons_for_someone_elses_or_a_missing_task_change_nothing(
    telegram: BotHarness, clock: FrozenClock, org: Org
) -> None:
    secret = await make_task(org.colleague, title="Секретная сделка", due_at=utc(3, 7))
    before = await snapshot(secret.id)
    forged = [
        TaskAction(act=act, id=task_id, view=view).pack()
        for act in ("done", "hour", "tmrw", "date")
        for task_id in (secret.id, secret.id + 1000)
        for view in ("d", "t")
    ]
    for data in forged:
        await telegram.press(OLGA, data, message_id=1)
    assert await snapshot(secret.id) == before
    assert [a.params["text"] for a in answers(telegram)] == [TASK_GONE] * len(forged)
    assert all(a.params["show_alert"] is True for a in answers(telegram))
    assert {c.method for c in telegram.api.calls} == {"answerCallbackQuery"}
    assert not any("Секретная" in str(c.params) for c in telegram.api.calls)


async def test_malformed_task_buttons_are_stale(
    telegram: BotHarness, clock: FrozenClock, org: Org
) -> None:
    task = await make_task(org.manager, title="Позвонить", due_at=utc(3, 7))
    before = await snapshot(task.id)
    for data in [
        f"tsk:delete:{task.id}:d::0",
        f"tsk:done:{task.id}:x::0",
        f"tsk:done:{task.id}:d",
        "tsk:done:abc:d::0",
        "tsk:done:-1:d::0",
        "tsk:done:99999999999:d::0",
        f"tsk:done:{task.id}:t:not-a-time:0",
        "tsp:1:2:3",
        "tsp:-5:0",
    ]:
        await telegram.press(OLGA, data, message_id=1)
    assert [a.params["text"] for a in answers(telegram)] == [STALE] * 9
    assert await snapshot(task.id) == before


async def test_a_forged_page_shows_only_my_own_tasks(
    telegram: BotHarness, clock: FrozenClock, org: Org
) -> None:
    mine = await make_task(org.manager, title="Моя", due_at=utc(5, 7))
    other = await make_task(org.colleague, title="Чужая", due_at=utc(5, 8))
    await telegram.press(OLGA, TaskPage(due=0, after=1).pack(), message_id=1)
    await telegram.press(OLGA, TaskPage(due=None, after=other.id).pack(), message_id=1)
    texts = [e.params["text"] for e in edits(telegram)]
    assert "Моя" in texts[0]
    assert all("Чужая" not in text for text in texts)
    assert mine.id != other.id


async def test_a_head_may_act_on_a_task_of_their_office_a_manager_and_another_head_may_not(
    telegram: BotHarness, clock: FrozenClock, org: Org
) -> None:
    task = await make_task(org.manager, title="Позвонить", due_at=utc(3, 7))
    done = TaskAction(act="done", id=task.id, view="t").pack()
    for person in (KATYA, SERGEY):
        await telegram.press(person, done, message_id=1)
        assert answers(telegram)[-1].params["text"] == TASK_GONE
    assert (await Task.get(id=task.id)).status is TaskStatus.OPEN

    await telegram.press(BORIS, done, message_id=1)
    assert (await Task.get(id=task.id)).status is TaskStatus.DONE
    assert answers(telegram)[-1].params["text"] == "Готово: «Позвонить» выполнена."
    assert edits(telegram)[-1].params["text"] == "Открытых задач нет. Мой день: /today"

    await telegram.press(OLGA, done, message_id=1)
    assert answers(telegram)[-1].params["text"] == "Задача уже закрыта."
    assert answers(telegram)[-1].params["show_alert"] is True


async def test_the_tasks_commands_are_in_the_menus_and_help(telegram: BotHarness) -> None:
    await link(await make_user(language="en"), JOHN)
    await telegram.send(JOHN, "/help")
    lines = telegram.texts(JOHN)[-1].splitlines()
    assert "/today — My day: overdue and due today" in lines
    assert "/tasks — My open tasks" in lines
    assert "/deals — My open deals by stage" in lines
