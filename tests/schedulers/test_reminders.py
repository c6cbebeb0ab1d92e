"""Task reminders and overdue escalations through the scheduler's jobs, with the domain clock:
once per remind_at at the right moment, again after a snooze, to the nearest head after the
delay and once per due date, late but once after a pause, once with two schedulers at work."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta

import pytest

from models.channels import use_channels
from models.clock import FrozenClock, use_clock
from models.entities import Channel, Device, OutboundMessage, Role, User
from models.ops.org import set_user_active
from models.ops.tasks import cancel_task, complete_task, put_off_task, update_task
from schedulers.reminders import Escalation, remind_due
from tests.factories import T0, Org, make_actor, make_org, make_task

pytestmark = pytest.mark.usefixtures("db")

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)


@pytest.fixture
def clock() -> Iterator[FrozenClock]:
    with use_clock(FrozenClock(T0)) as frozen, use_channels({Channel.TELEGRAM, Channel.PUSH}):
        yield frozen


@pytest.fixture
async def org() -> Org:
    org = await make_org()
    for n, actor in enumerate((org.manager, org.head, org.deep, org.admin, org.colleague)):
        await User.filter(id=actor.user_id).update(telegram_user_id=9100 + n)
    return org


async def notices(purpose: str, user_id: int | None = None) -> list[OutboundMessage]:
    query = OutboundMessage.filter(purpose=purpose)
    if user_id is not None:
        query = query.filter(user_id=user_id)
    return await query.order_by("id")


async def test_a_reminder_fires_once_at_its_moment_with_three_buttons(
    clock: FrozenClock, org: Org
) -> None:
    me = org.manager
    await Device.create(user_id=me.user_id, fcm_token="phone-token", platform="android")
    task = await make_task(
        me, title="Позвонить Иванову", due_at=T0 + HOUR, remind_at=T0 + 30 * MINUTE
    )

    clock.advance(29 * MINUTE)
    assert await remind_due() == 0
    clock.advance(MINUTE)
    assert await remind_due() == 1
    assert await remind_due() == 0
    clock.advance(HOUR)
    assert await remind_due() == 0

    sent = await notices("task_reminder")
    assert [(m.channel, m.address) for m in sent] == [
        (Channel.TELEGRAM, "9100"),
        (Channel.PUSH, "phone-token"),
    ]
    telegram, push = sent
    assert telegram.body == "<b>Напоминание</b>\nПозвонить Иванову\nСрок: 03.03.2025 13:00"
    assert telegram.payload["buttons"] == [
        [
            {"text": "✅ Готово", "callback_data": f"rmd:done:{task.id}"},
            {"text": "+1 ч", "callback_data": f"rmd:hour:{task.id}"},
            {"text": "Завтра", "callback_data": f"rmd:tmrw:{task.id}"},
        ]
    ]
    assert push.payload == {"data": {"kind": "task_reminder", "task_id": str(task.id)}}
    assert telegram.created_at == T0 + 30 * MINUTE


async def test_a_snooze_rearms_the_reminder_and_it_fires_again(
    clock: FrozenClock, org: Org
) -> None:
    me = org.manager
    task = await make_task(me, due_at=T0 + 10 * MINUTE, remind_at=T0 + 10 * MINUTE)
    clock.advance(10 * MINUTE)
    assert await remind_due() == 1

    await put_off_task(me, task.id, "hour", version=None)  # 10:10 → 11:10 UTC
    clock.advance(59 * MINUTE)
    assert await remind_due() == 0
    clock.advance(MINUTE)
    assert await remind_due() == 1
    assert len(await notices("task_reminder")) == 2


async def test_setting_the_same_remind_at_again_does_not_repeat_the_notice(
    clock: FrozenClock, org: Org
) -> None:
    me = org.manager
    task = await make_task(me, remind_at=T0 + MINUTE)
    clock.advance(MINUTE)
    await remind_due()
    await update_task(me, task.id, {"remind_at": T0 + MINUTE}, version=None)
    assert await remind_due() == 1  # claimed again, but the outbox already has it
    assert len(await notices("task_reminder")) == 1


async def test_closed_tasks_do_not_remind_and_unreachable_users_get_nothing(
    clock: FrozenClock, org: Org
) -> None:
    done = await make_task(org.manager, remind_at=T0 + MINUTE)
    cancelled = await make_task(org.manager, remind_at=T0 + MINUTE)
    await complete_task(org.manager, done.id, version=None)
    await cancel_task(org.manager, cancelled.id, version=None)
    await make_task(org.stranger, remind_at=T0 + MINUTE)  # no Telegram, no device
    clock.advance(MINUTE)
    assert await remind_due() == 1  # the stranger's, claimed with nobody to tell
    assert await notices("task_reminder") == []


async def test_a_scheduler_stopped_for_ten_minutes_catches_up_late_but_once(
    clock: FrozenClock, org: Org
) -> None:
    tasks = [await make_task(org.manager, remind_at=T0 + n * MINUTE) for n in range(1, 11)]
    clock.advance(10 * MINUTE + 30 * timedelta(seconds=1))
    assert await remind_due(batch=3) == 10  # one run, several batches
    assert await remind_due() == 0
    sent = await notices("task_reminder")
    assert sorted(m.dedup_key.split(":")[1] for m in sent) == sorted(str(t.id) for t in tasks)


async def test_two_schedulers_at_once_announce_each_reminder_once(
    clock: FrozenClock, org: Org
) -> None:
    for n in range(60):
        await make_task(org.manager, remind_at=T0 + (n % 3) * MINUTE)
    clock.advance(5 * MINUTE)
    counts = await asyncio.gather(remind_due(batch=7), remind_due(batch=5))
    assert sum(counts) == 60
    sent = await notices("task_reminder")
    assert len(sent) == 60 == len({m.dedup_key for m in sent})


async def test_one_broken_task_does_not_hold_up_the_others(
    clock: FrozenClock, org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = await make_task(org.manager, title="Хорошая", remind_at=T0)
    bad = await make_task(org.manager, title="Сломанная", remind_at=T0)
    import models.ops.reminders as reminders

    real = reminders.notify_users

    async def flaky(batch: list[tuple[User, reminders.Notice, str]]) -> int:
        if any(notice.body.ru.startswith("Сломанная") for _, notice, _ in batch):
            raise RuntimeError("the outbox said no")
        return await real(batch)

    monkeypatch.setattr(reminders, "notify_users", flaky)
    assert await remind_due() == 2
    sent = await notices("task_reminder")
    assert [m.dedup_key.split(":")[1] for m in sent] == [str(good.id)]

    monkeypatch.setattr(reminders, "notify_users", real)
    assert await remind_due() == 0  # put back a minute on
    clock.advance(MINUTE)
    assert await remind_due() == 1
    assert {m.dedup_key.split(":")[1] for m in await notices("task_reminder")} == {
        str(good.id),
        str(bad.id),
    }


# ---- escalation ------------------------------------------------------------------------------


async def test_an_overdue_task_goes_to_the_head_after_the_delay_and_once(
    clock: FrozenClock, org: Org
) -> None:
    escalation = Escalation(timedelta(hours=4))
    task = await make_task(org.manager, title="Отправить КП", due_at=T0 + HOUR)
    clock.advance(5 * HOUR - MINUTE)
    assert await escalation.run() == 0
    clock.advance(MINUTE)
    assert await escalation.run() == 1
    clock.advance(HOUR)
    assert await escalation.run() == 0

    (sent,) = await notices("task_overdue")
    assert sent.user_id == org.head.user_id
    manager = await User.get(id=org.manager.user_id)
    assert sent.body == (
        "<b>Просрочена задача</b>\n"
        f"{manager.full_name} не выполнил(а) задачу «Отправить КП» к сроку 03.03.2025 13:00."
    )
    # A new due date may escalate once more.
    await update_task(org.manager, task.id, {"due_at": T0 + 7 * HOUR}, version=None)
    clock.advance(5 * HOUR)  # 11 h: 4 h past the new due date
    assert await escalation.run() == 1
    assert len(await notices("task_overdue")) == 2


async def test_escalation_climbs_to_the_nearest_head_up_the_tree(
    clock: FrozenClock, org: Org
) -> None:
    escalation = Escalation(timedelta(0))
    # deep sits in a department under north: north's head answers for them.
    await make_task(org.deep, due_at=T0)
    # A head's own overdue task goes above them: the root has no head yet, so nobody is told.
    await make_task(org.head, due_at=T0)
    clock.advance(MINUTE)
    assert await escalation.run() == 2
    assert [m.user_id for m in await notices("task_overdue")] == [org.head.user_id]

    root_head = await make_actor(Role.HEAD, org.root)
    await User.filter(id=root_head.user_id).update(telegram_user_id=9200)
    await make_task(org.head, due_at=T0 + MINUTE)
    clock.advance(MINUTE)
    await escalation.run()
    assert [m.user_id for m in await notices("task_overdue")][-1] == root_head.user_id


async def test_done_before_the_delay_never_escalates(clock: FrozenClock, org: Org) -> None:
    escalation = Escalation(timedelta(hours=1))
    task = await make_task(org.manager, due_at=T0)
    clock.advance(30 * MINUTE)
    await complete_task(org.manager, task.id, version=None)
    clock.advance(HOUR)
    assert await escalation.run() == 0
    assert await notices("task_overdue") == []


async def test_an_inactive_head_is_skipped(clock: FrozenClock, org: Org) -> None:
    await set_user_active(org.admin, org.head.user_id, False)
    await make_task(org.manager, due_at=T0)
    clock.advance(MINUTE)
    await Escalation(timedelta(0)).run()
    assert await notices("task_overdue") == []
