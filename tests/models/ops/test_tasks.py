from datetime import datetime, timedelta

import pytest

from models.clock import FrozenClock
from models.entities import AuditEntry, Task, TaskStatus
from models.errors import NotFound, PreconditionFailed, ValidationFailed
from models.ops.tasks import (
    cancel_task,
    complete_task,
    open_task,
    put_off_task,
    snooze_task,
    update_task,
)
from tests.factories import (
    T0,
    Org,
    make_company,
    make_contact,
    make_deal,
    make_lead,
    make_pipeline,
    make_task,
)
from tests.models.expect import error_codes

pytestmark = pytest.mark.usefixtures("db")


async def test_a_new_task_is_mine_and_open(org: Org) -> None:
    task = await make_task(org.deep, due_at=T0, description="перезвонить после обеда")
    stored = await Task.get(id=task.id)
    assert (stored.assignee_id, stored.author_id, stored.office_id) == (
        org.deep.user_id,
        org.deep.user_id,
        org.department.id,
    )
    assert (stored.status, stored.due_at, stored.completed_at) == (TaskStatus.OPEN, T0, None)


async def test_a_head_assigns_within_their_tree(org: Org) -> None:
    task = await make_task(org.head, assignee_id=org.deep.user_id)
    assert (task.assignee_id, task.author_id, task.office_id) == (
        org.deep.user_id,
        org.head.user_id,
        org.department.id,
    )


async def test_an_assignee_out_of_reach_is_named_as_the_assignee(org: Org) -> None:
    with pytest.raises(ValidationFailed) as raised:
        await make_task(org.manager, assignee_id=org.colleague.user_id)
    assert error_codes(raised.value) == {"assignee_id": "not_found"}
    with pytest.raises(ValidationFailed) as raised:
        await make_task(org.head, assignee_id=org.stranger.user_id)
    assert error_codes(raised.value) == {"assignee_id": "not_found"}


async def test_links_out_of_sight_are_named(org: Org) -> None:
    await make_pipeline()
    deal = await make_deal(org.stranger)
    contact = await make_contact(org.colleague)
    company = await make_company(org.stranger)
    lead = await make_lead(org.colleague)
    with pytest.raises(ValidationFailed) as raised:
        await make_task(
            org.manager,
            deal_id=deal.id,
            contact_id=contact.id,
            company_id=company.id,
            lead_id=lead.id,
        )
    assert error_codes(raised.value) == {
        "deal_id": "not_found",
        "contact_id": "not_found",
        "company_id": "not_found",
        "lead_id": "not_found",
    }
    mine = await make_deal(org.manager)
    assert (await make_task(org.manager, deal_id=mine.id)).deal_id == mine.id


async def test_bad_values_are_named(org: Org) -> None:
    with pytest.raises(ValidationFailed) as raised:
        await make_task(
            org.manager,
            title=" ",
            due_at=datetime(2025, 3, 3, 12),  # noqa: DTZ001
            remind_at=datetime(2025, 3, 3, 11),  # noqa: DTZ001
            status="done",
        )
    assert error_codes(raised.value) == {
        "title": "required",
        "due_at": "naive_datetime",
        "remind_at": "naive_datetime",
        "status": "unknown_field",
    }
    assert not await Task.exists()


async def test_complete(org: Org, clock: FrozenClock) -> None:
    task = await make_task(org.manager)
    clock.advance(timedelta(hours=2))
    done = await complete_task(org.manager, task.id, version=1)
    stored = await Task.get(id=task.id)
    assert (stored.status, stored.completed_at, stored.version) == (
        TaskStatus.DONE,
        T0 + timedelta(hours=2),
        2,
    )
    assert done.status is TaskStatus.DONE
    rows = await AuditEntry.filter(entity="task", entity_id=task.id, action="update")
    assert [(r.field, r.old_value, r.new_value) for r in rows] == [("status", "open", "done")]


async def test_a_closed_task_cannot_be_closed_or_snoozed_again(
    org: Org, clock: FrozenClock
) -> None:
    done = await make_task(org.manager)
    await complete_task(org.manager, done.id, version=1)
    cancelled = await make_task(org.manager)
    await cancel_task(org.manager, cancelled.id, version=1)
    for task in (done, cancelled):
        for attempt in (
            complete_task(org.manager, task.id, version=2),
            cancel_task(org.manager, task.id, version=2),
            snooze_task(org.manager, task.id, T0 + timedelta(days=1), version=2),
        ):
            with pytest.raises(ValidationFailed) as raised:
                await attempt
            assert error_codes(raised.value) == {"status": "not_open"}
    assert (await Task.get(id=cancelled.id)).status is TaskStatus.CANCELLED
    assert (await Task.get(id=done.id)).status is TaskStatus.DONE


async def test_snooze_moves_due_and_reminder(org: Org, clock: FrozenClock) -> None:
    task = await make_task(org.manager, due_at=T0, remind_at=T0 - timedelta(minutes=15))
    until = T0 + timedelta(days=1)
    await snooze_task(org.manager, task.id, until, version=1)
    stored = await Task.get(id=task.id)
    assert (stored.due_at, stored.remind_at, stored.status, stored.version) == (
        until,
        until,
        TaskStatus.OPEN,
        2,
    )
    rows = await AuditEntry.filter(entity="task", entity_id=task.id, action="snooze")
    assert {r.field for r in rows} == {"due_at", "remind_at"}


@pytest.mark.parametrize("delta", [timedelta(0), -timedelta(minutes=1), -timedelta(days=3)])
async def test_snoozing_into_the_past_is_refused(
    org: Org, clock: FrozenClock, delta: timedelta
) -> None:
    task = await make_task(org.manager, due_at=T0)
    with pytest.raises(ValidationFailed) as raised:
        await snooze_task(org.manager, task.id, T0 + delta, version=1)
    assert error_codes(raised.value) == {"until": "in_past"}
    stored = await Task.get(id=task.id)
    assert (stored.due_at, stored.version) == (T0, 1)


async def test_snoozing_to_a_naive_time_is_refused(org: Org, clock: FrozenClock) -> None:
    task = await make_task(org.manager)
    with pytest.raises(ValidationFailed) as raised:
        await snooze_task(org.manager, task.id, datetime(2030, 1, 1), version=1)  # noqa: DTZ001
    assert error_codes(raised.value) == {"until": "naive_datetime"}


async def test_someone_elses_task_is_not_found(org: Org, clock: FrozenClock) -> None:
    task = await make_task(org.colleague)
    for actor in (org.manager, org.south_head):
        for attempt in (
            complete_task(actor, task.id, version=1),
            cancel_task(actor, task.id, version=1),
            snooze_task(actor, task.id, T0 + timedelta(days=1), version=1),
            update_task(actor, task.id, {"title": "x"}, version=1),
        ):
            with pytest.raises(NotFound):
                await attempt
    assert (await Task.get(id=task.id)).version == 1
    await complete_task(org.head, task.id, version=1)


async def test_stale_version(org: Org, clock: FrozenClock) -> None:
    task = await make_task(org.manager)
    await update_task(org.manager, task.id, {"title": "Позвонить в 15:00"}, version=1)
    with pytest.raises(PreconditionFailed):
        await complete_task(org.manager, task.id, version=1)
    stored = await Task.get(id=task.id)
    assert (stored.status, stored.title, stored.version) == (
        TaskStatus.OPEN,
        "Позвонить в 15:00",
        2,
    )


async def test_put_off_by_an_hour_or_to_tomorrow_on_the_actors_clock(
    org: Org, clock: FrozenClock
) -> None:
    clock.advance(timedelta(minutes=7, seconds=30))  # 12:07:30 in Moscow
    overdue = await make_task(org.manager, due_at=T0 - timedelta(days=3, hours=1))  # 08:00
    undated = await make_task(org.manager)
    await put_off_task(org.manager, overdue.id, "hour", version=1)
    stored = await Task.get(id=overdue.id)
    assert stored.due_at == stored.remind_at == T0 + timedelta(hours=1, minutes=7)
    await put_off_task(org.manager, overdue.id, "tomorrow", version=2)
    assert (await Task.get(id=overdue.id)).due_at == T0 + timedelta(days=1, hours=1, minutes=7)
    await put_off_task(org.manager, undated.id, "tomorrow", version=None)
    assert (await Task.get(id=undated.id)).due_at == T0 + timedelta(days=1, hours=-2), "10:00 MSK"
    rows = await AuditEntry.filter(entity="task", entity_id=overdue.id, action="snooze")
    assert len(rows) == 4


async def test_put_off_checks_like_snooze(org: Org, clock: FrozenClock) -> None:
    task = await make_task(org.colleague, due_at=T0)
    for actor in (org.manager, org.south_head):
        with pytest.raises(NotFound):
            await put_off_task(actor, task.id, "hour", version=None)
        with pytest.raises(NotFound):
            await open_task(actor, task.id)
    await complete_task(org.colleague, task.id, version=None)
    with pytest.raises(ValidationFailed) as raised:
        await put_off_task(org.colleague, task.id, "tomorrow", version=None)
    assert error_codes(raised.value) == {"status": "not_open"}
    with pytest.raises(ValidationFailed):
        await open_task(org.head, task.id)
    assert (await Task.get(id=task.id)).due_at == T0
