"""The least-loaded colleague: open deals, leads and tasks count; closed work, inactive users,
other offices and other roles do not."""

from __future__ import annotations

import pytest

from models.entities import Deal, Pipeline, Role, Task, TaskStatus, User
from models.queries.workload import least_loaded_user, open_work_by_user
from tests.factories import Org, make_deal, make_lead, make_task, make_user

pytestmark = pytest.mark.usefixtures("db")


async def test_open_work_counts_deals_leads_and_tasks(org: Org, pipeline: Pipeline) -> None:
    await make_deal(org.manager)
    await make_lead(org.manager)
    await make_task(org.manager)
    done = await make_task(org.manager)
    await Task.filter(id=done.id).update(status=TaskStatus.DONE)
    closed = await make_deal(org.manager)
    await Deal.filter(id=closed.id).update(closed_at=closed.stage_entered_at)
    assert org.manager.user_id is not None
    assert org.colleague.user_id is not None

    load = await open_work_by_user([org.manager.user_id, org.colleague.user_id])

    assert load == {org.manager.user_id: 3, org.colleague.user_id: 0}


async def test_least_loaded_manager_of_the_office(org: Org, pipeline: Pipeline) -> None:
    await make_deal(org.manager)
    await make_task(org.colleague)
    await make_task(org.colleague)
    assert org.manager.user_id is not None
    assert org.colleague.user_id is not None

    assert await least_loaded_user(org.north.id) == org.manager.user_id
    assert await least_loaded_user(org.north.id, exclude=[org.manager.user_id]) == (
        org.colleague.user_id
    )


async def test_ties_go_to_the_lower_id_and_inactive_users_are_skipped(org: Org) -> None:
    assert org.manager.user_id is not None
    assert org.colleague.user_id is not None
    first, second = sorted([org.manager.user_id, org.colleague.user_id])
    assert await least_loaded_user(org.north.id) == first

    await User.filter(id=first).update(is_active=False)

    assert await least_loaded_user(org.north.id) == second


async def test_no_candidate_gives_none(org: Org) -> None:
    # South has one manager, the stranger, and a head.
    assert org.stranger.user_id is not None
    assert await least_loaded_user(org.south.id, exclude=[org.stranger.user_id]) is None
    assert await least_loaded_user(org.south.id, roles=[Role.HEAD]) == org.south_head.user_id
    assert await least_loaded_user(org.south.id, roles=[]) is None
    # A manager of the department is not a candidate of north.
    assert org.manager.user_id is not None
    assert org.colleague.user_id is not None
    north = [org.manager.user_id, org.colleague.user_id]
    assert await least_loaded_user(org.north.id, exclude=north) is None
    await make_user(org.department)
    assert await least_loaded_user(org.department.id) == org.deep.user_id
