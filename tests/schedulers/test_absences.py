"""The absence job through time: the work moves when the absence starts, the offer goes out when
it ends, each once however often the job runs, and the job is the leader's only."""

from __future__ import annotations

from datetime import timedelta

from cli.host import build_clock
from models.channels import use_channels
from models.clock import FrozenClock, use_clock
from models.entities import Channel, Handover, OutboundMessage, Task, User
from models.ops.absences import plan_absence
from models.settings import Settings
from schedulers.absences import JOB_ID, run_absences
from tests.factories import T0, make_org, make_task


async def test_a_week_with_an_absence(db: str) -> None:
    with use_clock(FrozenClock(T0)) as clock, use_channels({Channel.TELEGRAM}):
        org = await make_org()
        await User.filter(id=org.manager.user_id).update(telegram_user_id=777)
        task = await make_task(org.manager, remind_at=T0 + timedelta(days=3))
        await plan_absence(
            org.manager,
            {
                "starts_at": T0 + timedelta(days=1),
                "ends_at": T0 + timedelta(days=4),
                "deputy_id": org.colleague.user_id,
            },
        )
        runs = []
        for _ in range(7 * 24):
            runs.append(await run_absences())
            clock.advance(timedelta(hours=1))
            if clock.now() == T0 + timedelta(days=2):
                assert (await Task.get(id=task.id)).assignee_id == org.colleague.user_id

    assert [i for i, run in enumerate(runs) if run[0]] == [24]  # hand-over at the start, once
    assert [i for i, run in enumerate(runs) if run[1]] == [96]  # the offer at the end, once
    assert await Handover.all().count() == 1
    assert await OutboundMessage.filter(purpose="absence_return", address="777").count() == 1


async def test_the_job_is_registered_and_leader_only(db: str) -> None:
    clock = build_clock(Settings(database_url="sqlite://:memory:", absence_handover="least_loaded"))
    job = clock.scheduler.get_job(JOB_ID)
    assert job is not None
    assert job.kwargs == {"policy": "least_loaded"}
    assert getattr(job.func, "leader_only", False) is True
