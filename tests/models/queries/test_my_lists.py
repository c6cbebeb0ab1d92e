"""My own open tasks in keyset pages (dated first, then undated) and my open deals by stage."""

from datetime import timedelta

import pytest

from models.clock import FrozenClock
from models.entities import Pipeline
from models.errors import ValidationFailed
from models.ops.deals import move_deal_to_stage
from models.ops.tasks import complete_task
from models.queries.board import my_open_deals
from models.queries.tasks import count_my_open_tasks, my_open_tasks
from tests.factories import T0, Org, make_deal, make_pipeline, make_task, stage_named

pytestmark = pytest.mark.usefixtures("db")


async def all_pages(org: Org, limit: int) -> list[list[int]]:
    pages, after = [], None
    while True:
        page = await my_open_tasks(org.manager, after, limit)
        pages.append([task.id for task in page.items])
        if page.next_after is None:
            return pages
        after = page.next_after


@pytest.mark.parametrize("limit", [1, 2, 3, 4, 5, 7, 50])
async def test_every_open_task_of_mine_once_dated_first(
    org: Org, clock: FrozenClock, limit: int
) -> None:
    undated = [await make_task(org.manager) for _ in range(2)]
    later = await make_task(org.manager, due_at=T0 + timedelta(days=2))
    overdue = await make_task(org.manager, due_at=T0 - timedelta(days=1))
    tie = [await make_task(org.manager, due_at=T0) for _ in range(2)]
    done = await make_task(org.manager, due_at=T0)
    await complete_task(org.manager, done.id, version=None)
    await make_task(org.colleague, due_at=T0)
    await make_task(org.head, due_at=T0)  # a head's own task is not on my list
    expected = [overdue.id, tie[0].id, tie[1].id, later.id, undated[0].id, undated[1].id]
    pages = await all_pages(org, limit)
    assert [task_id for page in pages for task_id in page] == expected
    assert all(len(page) == limit for page in pages[:-1])
    assert await count_my_open_tasks(org.manager) == 6


async def test_a_full_last_dated_page_leads_on_only_when_undated_ones_exist(
    org: Org, clock: FrozenClock
) -> None:
    dated = [await make_task(org.manager, due_at=T0 + timedelta(hours=n)) for n in range(2)]
    page = await my_open_tasks(org.manager, None, 2)
    assert ([t.id for t in page.items], page.next_after) == ([d.id for d in dated], None)
    undated = await make_task(org.manager)
    page = await my_open_tasks(org.manager, None, 2)
    assert page.next_after is not None
    rest = await my_open_tasks(org.manager, page.next_after, 2)
    assert ([t.id for t in rest.items], rest.next_after) == ([undated.id], None)


async def test_a_broken_cursor_is_refused(org: Org, clock: FrozenClock) -> None:
    for cursor in (["due_at", "yesterday", 1], ["id", "x", 1], ["title", "a", 1]):
        with pytest.raises(ValidationFailed):
            await my_open_tasks(org.manager, cursor, 10)


async def test_my_open_deals_by_pipeline_and_open_stage(
    org: Org, pipeline: Pipeline, clock: FrozenClock
) -> None:
    other = await make_pipeline("Тендеры", is_default=False)
    in_work = await stage_named(pipeline, "В работе")
    clock.advance(timedelta(days=-6))
    old = await make_deal(org.manager, amount="100")
    clock.advance(timedelta(days=6))
    new = await make_deal(org.manager, amount="250.50")
    working = await make_deal(org.manager, stage_id=in_work.id)
    tender = await make_deal(org.manager, pipeline_id=other.id)
    won = await make_deal(org.manager, amount="5")
    await move_deal_to_stage(
        org.manager, won.id, (await stage_named(pipeline, "Успешно")).id, version=None
    )
    await make_deal(org.colleague)
    await make_deal(org.head)
    boards = await my_open_deals(org.manager, per_stage=1)
    assert [b.pipeline.id for b in boards] == [pipeline.id, other.id]
    first, second = boards
    assert [(c.stage.name, c.count) for c in first.columns] == [("Новая", 2), ("В работе", 1)]
    new_column = first.columns[0]
    assert [d.deal["id"] for d in new_column.deals] == [old.id], "longest in the stage first"
    assert new_column.deals[0].overdue
    assert str(new_column.sums["RUB"]) == "350.50"
    assert new_column.next_after is not None
    assert [d.deal["id"] for d in first.columns[1].deals] == [working.id]
    assert [d.deal["id"] for d in second.columns[0].deals] == [tender.id]
    assert new.id not in [d.deal["id"] for d in new_column.deals]
    assert await my_open_deals(org.stranger, per_stage=5) == []
