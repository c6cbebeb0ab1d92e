"""Absences: who may declare them, refusals (order, overlap), the hand-over at the start (deputy,
head, least-loaded colleague), once; the offer on return; Take back and Leave, once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models.channels import use_channels
from models.clock import FrozenClock
from models.entities import (
    Absence,
    AuditEntry,
    Channel,
    Deal,
    Handover,
    Lead,
    OutboundMessage,
    Pipeline,
    Task,
    TaskStatus,
    User,
)
from models.errors import NotFound, ValidationFailed
from models.ops.absences import (
    absences_to_hand_over,
    absences_to_offer,
    cancel_absence,
    declare_sudden_absence,
    hand_over,
    offer_return,
    plan_absence,
    settle_return,
    shorten_absence,
)
from models.ops.tasks import complete_task
from models.queries.tasks import my_open_tasks
from tests.factories import T0, Org, make_deal, make_lead, make_task
from tests.models.expect import error_codes, error_fields

pytestmark = pytest.mark.usefixtures("db", "clock")

DAY = timedelta(days=1)


async def _work(org: Org) -> tuple[Task, Deal, Lead]:
    task = await make_task(org.manager, remind_at=T0 + 2 * DAY, due_at=T0 + 2 * DAY)
    deal = await make_deal(org.manager)
    lead = await make_lead(org.manager)
    return task, deal, lead


async def _holders(task: Task, deal: Deal, lead: Lead) -> tuple[int, int, int]:
    return (
        (await Task.get(id=task.id)).assignee_id,
        (await Deal.get(id=deal.id)).owner_id,
        (await Lead.get(id=lead.id)).owner_id,
    )


async def test_an_absence_that_ends_before_it_starts_is_refused(org: Org) -> None:
    with pytest.raises(ValidationFailed) as refused:
        await plan_absence(org.manager, {"starts_at": T0 + 2 * DAY, "ends_at": T0 + DAY})
    assert error_fields(refused.value) == ["ends_at"]
    assert error_codes(refused.value) == {"ends_at": "before_start"}
    assert await Absence.all().count() == 0


async def test_an_absence_that_overlaps_another_is_refused_naming_both_ends(org: Org) -> None:
    await plan_absence(org.manager, {"starts_at": T0 + DAY, "ends_at": T0 + 5 * DAY})

    with pytest.raises(ValidationFailed) as refused:
        await plan_absence(org.manager, {"starts_at": T0 + 4 * DAY, "ends_at": T0 + 8 * DAY})
    assert error_fields(refused.value) == ["starts_at", "ends_at"]
    assert set(error_codes(refused.value).values()) == {"overlap"}
    # Back to back is no overlap; a colleague's absence never collides with mine.
    await plan_absence(org.manager, {"starts_at": T0 + 5 * DAY, "ends_at": T0 + 6 * DAY})
    await plan_absence(org.colleague, {"starts_at": T0 + DAY, "ends_at": T0 + 5 * DAY})
    assert await Absence.all().count() == 3


async def test_a_cancelled_absence_no_longer_overlaps(org: Org) -> None:
    first = await plan_absence(org.manager, {"starts_at": T0 + DAY, "ends_at": T0 + 5 * DAY})
    await cancel_absence(org.manager, first.id)
    await plan_absence(org.manager, {"starts_at": T0 + DAY, "ends_at": T0 + 5 * DAY})


async def test_missing_and_past_values_are_named(org: Org) -> None:
    with pytest.raises(ValidationFailed) as refused:
        await plan_absence(org.manager, {"reason": "x" * 201, "bogus": 1})
    assert error_codes(refused.value) == {
        "bogus": "unknown_field",
        "starts_at": "required",
        "ends_at": "required",
        "reason": "too_long",
    }
    with pytest.raises(ValidationFailed) as past:
        await plan_absence(org.manager, {"starts_at": T0 - 3 * DAY, "ends_at": T0 - DAY})
    assert error_codes(past.value) == {"ends_at": "in_past"}


async def test_who_may_declare_an_absence_for_whom(org: Org) -> None:
    period = {"starts_at": T0 + DAY, "ends_at": T0 + 2 * DAY}
    # A manager only for themself; a head within their office tree; an admin for anyone.
    with pytest.raises(ValidationFailed) as refused:
        await plan_absence(org.manager, {**period, "user_id": org.colleague.user_id})
    assert error_codes(refused.value) == {"user_id": "not_found"}
    with pytest.raises(ValidationFailed):
        await plan_absence(org.head, {**period, "user_id": org.stranger.user_id})
    by_head = await plan_absence(org.head, {**period, "user_id": org.deep.user_id})
    by_admin = await plan_absence(org.admin, {**period, "user_id": org.stranger.user_id})
    assert (by_head.created_by_id, by_admin.created_by_id) == (
        org.head.user_id,
        org.admin.user_id,
    )
    # What one may not manage is not found.
    with pytest.raises(NotFound):
        await cancel_absence(org.colleague, by_head.id)
    with pytest.raises(NotFound):
        await cancel_absence(org.south_head, by_head.id)


async def test_a_deputy_must_be_a_visible_active_colleague_and_not_oneself(org: Org) -> None:
    period = {"starts_at": T0 + DAY, "ends_at": T0 + 2 * DAY}
    with pytest.raises(ValidationFailed) as self_deputy:
        await plan_absence(org.manager, {**period, "deputy_id": org.manager.user_id})
    assert error_codes(self_deputy.value) == {"deputy_id": "self"}
    with pytest.raises(ValidationFailed) as stranger:
        await plan_absence(org.manager, {**period, "deputy_id": org.stranger.user_id})
    assert error_codes(stranger.value) == {"deputy_id": "not_found"}


async def test_at_the_start_the_work_moves_to_the_deputy_once_and_is_audited(
    org: Org, pipeline: Pipeline, clock: FrozenClock
) -> None:
    task, deal, lead = await _work(org)
    closed = await make_task(org.manager)
    await complete_task(org.manager, closed.id, version=None)
    absence = await plan_absence(
        org.manager,
        {"starts_at": T0 + DAY, "ends_at": T0 + 3 * DAY, "deputy_id": org.colleague.user_id},
    )
    assert await absences_to_hand_over() == []
    assert await hand_over(absence.id) == []  # not yet

    clock.advance(DAY)
    assert await absences_to_hand_over() == [absence.id]
    moved = await hand_over(absence.id)

    assert {(h.entity, h.entity_id) for h in moved} == {
        ("task", task.id),
        ("deal", deal.id),
        ("lead", lead.id),
    }
    assert await _holders(task, deal, lead) == (org.colleague.user_id,) * 3
    assert (await Task.get(id=closed.id)).assignee_id == org.manager.user_id  # closed stays
    assert await hand_over(absence.id) == []  # once
    assert await Handover.filter(absence_id=absence.id).count() == 3
    audit = await AuditEntry.filter(action="handover", entity__in=["task", "deal", "lead"])
    assert {(a.entity, a.new_value) for a in audit} == {
        ("task", str(org.colleague.user_id)),
        ("deal", str(org.colleague.user_id)),
        ("lead", str(org.colleague.user_id)),
    }
    assert await absences_to_hand_over() == []


async def test_the_reminder_follows_the_task_to_the_substitute(
    org: Org, clock: FrozenClock
) -> None:
    task = await make_task(org.manager, remind_at=T0 + 2 * DAY, due_at=T0 + 2 * DAY)
    absence = await plan_absence(
        org.manager,
        {"starts_at": T0 + DAY, "ends_at": T0 + 3 * DAY, "deputy_id": org.colleague.user_id},
    )
    clock.advance(DAY)
    await hand_over(absence.id)

    moved = await Task.get(id=task.id)
    # Due and reminding as before, now in the substitute's name and list.
    assert (moved.assignee_id, moved.remind_at, moved.due_at) == (
        org.colleague.user_id,
        T0 + 2 * DAY,
        T0 + 2 * DAY,
    )
    assert [t.id for t in (await my_open_tasks(org.colleague, None, 10)).items] == [task.id]
    assert (await my_open_tasks(org.manager, None, 10)).items == []


async def test_without_a_deputy_the_head_takes_over(org: Org, pipeline: Pipeline) -> None:
    task, deal, lead = await _work(org)
    absence = await declare_sudden_absence(org.manager, {"ends_at": T0 + DAY})

    assert absence.sudden
    assert absence.handed_over_at == T0
    assert await _holders(task, deal, lead) == (org.head.user_id,) * 3


async def test_the_policy_may_prefer_the_least_loaded_colleague(
    org: Org, pipeline: Pipeline
) -> None:
    task, deal, lead = await _work(org)
    await declare_sudden_absence(org.manager, {"ends_at": T0 + DAY}, policy="least_loaded")

    assert await _holders(task, deal, lead) == (org.colleague.user_id,) * 3


async def test_a_deputy_who_is_away_too_is_passed_over(org: Org, pipeline: Pipeline) -> None:
    task, deal, lead = await _work(org)
    await declare_sudden_absence(org.colleague, {"ends_at": T0 + 2 * DAY})
    await declare_sudden_absence(
        org.manager, {"ends_at": T0 + DAY, "deputy_id": org.colleague.user_id}
    )

    assert await _holders(task, deal, lead) == (org.head.user_id,) * 3


async def test_a_cancelled_absence_hands_nothing_over(org: Org, clock: FrozenClock) -> None:
    task = await make_task(org.manager)
    absence = await plan_absence(org.manager, {"starts_at": T0 + DAY, "ends_at": T0 + 2 * DAY})
    await cancel_absence(org.manager, absence.id)
    clock.advance(DAY)

    assert await absences_to_hand_over() == []
    assert await hand_over(absence.id) == []
    assert (await Task.get(id=task.id)).assignee_id == org.manager.user_id


async def _returned(org: Org, clock: FrozenClock) -> tuple[Absence, Task, Deal, Lead]:
    task, deal, lead = await _work(org)
    absence = await declare_sudden_absence(
        org.manager, {"ends_at": T0 + DAY, "deputy_id": org.colleague.user_id}
    )
    clock.advance(DAY)
    return absence, task, deal, lead


async def test_on_return_the_user_is_offered_the_work_once(
    org: Org, pipeline: Pipeline, clock: FrozenClock
) -> None:
    await User.filter(id=org.manager.user_id).update(telegram_user_id=4242, language="en")
    absence, task, _, _ = await _returned(org, clock)
    assert await absences_to_offer() == [absence.id]

    with use_channels({Channel.TELEGRAM}):
        assert await offer_return(absence.id)
        assert not await offer_return(absence.id)

    [offer] = await OutboundMessage.filter(purpose="absence_return")
    assert offer.address == "4242"
    assert f"Task “{task.title}” →" in offer.body
    assert offer.payload == {
        "buttons": [
            [
                {"text": "Take back", "callback_data": f"ho:back:{absence.id}"},
                {"text": "Leave", "callback_data": f"ho:leave:{absence.id}"},
            ]
        ]
    }
    assert await absences_to_offer() == []


async def test_take_back_returns_what_the_substitute_still_holds(
    org: Org, pipeline: Pipeline, clock: FrozenClock
) -> None:
    absence, task, deal, lead = await _returned(org, clock)
    await offer_return(absence.id)
    # Meanwhile the substitute closed the task: it stays closed, with them.
    await complete_task(org.colleague, task.id, version=None)

    result = await settle_return(org.manager, absence.id, take_back=True)

    assert [(h.entity, h.entity_id) for h in result.returned] == [
        ("deal", deal.id),
        ("lead", lead.id),
    ]
    assert [h.entity_id for h in result.gone] == [task.id]
    assert await _holders(task, deal, lead) == (
        org.colleague.user_id,
        org.manager.user_id,
        org.manager.user_id,
    )
    assert (await Task.get(id=task.id)).status is TaskStatus.DONE
    assert await AuditEntry.filter(action="take_back", actor_id=org.manager.user_id).count() == 2
    with pytest.raises(ValidationFailed) as again:
        await settle_return(org.manager, absence.id, take_back=True)
    assert error_codes(again.value) == {"settlement": "settled"}


async def test_leave_keeps_everything_with_the_substitute(
    org: Org, pipeline: Pipeline, clock: FrozenClock
) -> None:
    absence, task, deal, lead = await _returned(org, clock)
    result = await settle_return(org.manager, absence.id, take_back=False)

    assert len(result.kept) == 3
    assert await _holders(task, deal, lead) == (org.colleague.user_id,) * 3
    with pytest.raises(ValidationFailed):
        await settle_return(org.manager, absence.id, take_back=True)
    assert await _holders(task, deal, lead) == (org.colleague.user_id,) * 3


async def test_only_those_who_manage_the_absence_may_answer(
    org: Org, pipeline: Pipeline, clock: FrozenClock
) -> None:
    absence, *_ = await _returned(org, clock)
    with pytest.raises(NotFound):
        await settle_return(org.colleague, absence.id, take_back=False)
    with pytest.raises(NotFound):
        await settle_return(org.south_head, absence.id, take_back=True)


async def test_no_answer_before_the_end(org: Org, pipeline: Pipeline) -> None:
    await _work(org)
    absence = await declare_sudden_absence(org.manager, {"ends_at": T0 + DAY})
    with pytest.raises(ValidationFailed) as early:
        await settle_return(org.manager, absence.id, take_back=True)
    assert error_codes(early.value) == {"status": "not_returned"}


async def test_cancelling_a_running_absence_ends_it_now(
    org: Org, pipeline: Pipeline, clock: FrozenClock
) -> None:
    await _work(org)
    absence = await declare_sudden_absence(org.manager, {"ends_at": T0 + 3 * DAY})
    clock.advance(timedelta(hours=2))

    ended = await cancel_absence(org.manager, absence.id)

    assert ended.ends_at == T0 + timedelta(hours=2)
    assert ended.cancelled_at is None
    assert await absences_to_offer() == [absence.id]
    with pytest.raises(ValidationFailed) as again:
        await cancel_absence(org.manager, absence.id)
    assert error_codes(again.value) == {"status": "ended"}


async def test_shorten_brings_the_end_forward_only(org: Org) -> None:
    absence = await plan_absence(org.manager, {"starts_at": T0 + DAY, "ends_at": T0 + 5 * DAY})
    with pytest.raises(ValidationFailed) as longer:
        await shorten_absence(org.manager, absence.id, T0 + 6 * DAY)
    assert error_codes(longer.value) == {"ends_at": "not_shorter"}
    with pytest.raises(ValidationFailed) as before:
        await shorten_absence(org.manager, absence.id, T0 + DAY)
    assert error_codes(before.value) == {"ends_at": "before_start"}

    shorter = await shorten_absence(org.manager, absence.id, T0 + 2 * DAY)
    assert (await Absence.get(id=absence.id)).ends_at == shorter.ends_at == T0 + 2 * DAY


async def test_with_nobody_to_take_over_nothing_moves_and_the_audit_says_so(
    org: Org, clock: FrozenClock
) -> None:
    # The stranger is the only manager of the south branch, and its only head is away too.
    task = await make_task(org.stranger)
    await declare_sudden_absence(org.south_head, {"ends_at": T0 + DAY})

    absence = await declare_sudden_absence(org.stranger, {"ends_at": T0 + DAY})

    assert (await Task.get(id=task.id)).assignee_id == org.stranger.user_id
    assert await Handover.filter(absence_id=absence.id).count() == 0
    note = await AuditEntry.get(entity="absence", entity_id=absence.id, action="handover")
    assert note.new_value == "no substitute"
    clock.advance(DAY)
    assert not await offer_return(absence.id)
