"""A week of an office, with the clock's jobs ticking every 15 minutes in travelled time: every
reminder, escalation, stage timer, deadline, quiet-deal notice and digest happens once, at its
moment (to the tick), with the default settings."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from models.channels import use_channels
from models.clock import FrozenClock, use_clock
from models.entities import Channel, OutboundMessage, Pipeline, User
from models.ops.tasks import complete_task
from schedulers.reminders import Escalation, remind_due
from schedulers.timers import morning_digest, tell_deal_timers
from tests.factories import make_deal, make_org, make_pipeline, make_task

pytestmark = pytest.mark.usefixtures("db")

TICK = timedelta(minutes=15)
MONDAY = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)  # 12:00 in Moscow


def msk(day: int, hour: int, minute: int = 0) -> datetime:
    """March `day`, `hour`:`minute` in Moscow (UTC+3), as UTC."""
    return datetime(2025, 3, day, hour - 3, minute, tzinfo=UTC)


@pytest.fixture
def clock() -> Iterator[FrozenClock]:
    with use_clock(FrozenClock(MONDAY)) as frozen, use_channels({Channel.TELEGRAM}):
        yield frozen


async def tick(escalation: Escalation) -> None:
    await remind_due()
    await escalation.run()
    await tell_deal_timers()
    await morning_digest()


async def test_a_week_of_notices_each_once_at_its_moment(clock: FrozenClock) -> None:
    org = await make_org()
    for n, actor in enumerate((org.manager, org.head)):
        await User.filter(id=actor.user_id).update(telegram_user_id=9500 + n)
    pipeline = await make_pipeline()
    await Pipeline.filter(id=pipeline.id).update(stale_after_days=3)
    me = org.manager
    forgotten = await make_task(
        me, title="Позвонить Иванову", due_at=msk(3, 15), remind_at=msk(3, 14, 30)
    )
    done = await make_task(me, title="Счёт", due_at=msk(4, 10), remind_at=msk(4, 9, 45))
    deal = await make_deal(me, title="Насосы", deadline=msk(6, 18))  # «Новая»: 5 days planned
    escalation = Escalation(timedelta(hours=4))

    while clock.now() < MONDAY + timedelta(days=7):
        await tick(escalation)
        if clock.now() == msk(4, 9, 45):  # done right after its reminder
            await complete_task(me, done.id, version=None)
        clock.advance(TICK)

    sent = await OutboundMessage.all().order_by("created_at", "id")
    manager, head = org.manager.user_id, org.head.user_id
    expected = [
        ("digest", manager, MONDAY),  # the scheduler starts at noon: today's digest, late
        ("task_reminder", manager, msk(3, 14, 30)),
        ("task_overdue", head, msk(3, 19)),  # 4 hours after 15:00; the other one was done
        ("digest", manager, msk(4, 9)),
        ("task_reminder", manager, msk(4, 9, 45)),
        ("digest", manager, msk(5, 9)),
        ("deadline", manager, msk(5, 18)),  # a day before
        ("digest", manager, msk(6, 9)),
        ("deal_quiet", manager, msk(6, 12, 15)),  # the pipeline's 3 days, to the next tick
        ("deadline", manager, msk(6, 18)),  # when it came
        ("digest", manager, msk(7, 9)),
        ("digest", manager, msk(8, 9)),
        ("deal_stage_overdue", manager, msk(8, 12, 15)),  # 5 days planned
        ("digest", manager, msk(9, 9)),
        ("deal_stage_escalation", head, msk(9, 12, 15)),  # and a day more
        ("digest", manager, msk(10, 9)),
    ]
    actual = [(m.purpose, m.user_id, m.created_at) for m in sent]
    assert actual == expected
    assert len({m.dedup_key for m in sent}) == len(sent)
    assert (forgotten.id, deal.id) != (0, 0)
