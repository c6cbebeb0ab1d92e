"""The kanban board and the manager's day, with time moving forward."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from models.clock import FrozenClock, use_clock
from models.ops.deals import move_deal_to_stage
from models.ops.interactions import log_interaction
from tests.api.v1.conftest import PASSWORD, headers_for
from tests.factories import (
    actor_for,
    make_deal,
    make_office,
    make_pipeline,
    make_task,
    make_user,
    stage_named,
)

MONDAY_9 = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)  # 09:00 in Moscow


async def test_board_counts_sums_and_flags_overdue_deals(client: httpx.AsyncClient) -> None:
    manager = await make_user(await make_office(), password=PASSWORD)
    actor = await actor_for(manager)
    pipeline = await make_pipeline()  # planned_days = 5 on every stage
    with use_clock(FrozenClock(MONDAY_9)) as clock:
        old = await make_deal(actor, amount="1000.50")
        clock.advance(timedelta(days=6))
        await make_deal(actor, amount="200")
        await make_deal(actor, amount="10", currency="USD")
        fourth = await make_deal(actor)
        work = await stage_named(pipeline, "В работе")
        await move_deal_to_stage(actor, fourth.id, work.id, version=fourth.version)
        clock.advance(timedelta(hours=1))
        headers = await headers_for(client, manager)
        board = await client.get(
            f"/v1/pipelines/{pipeline.id}/board", params={"per_stage": 2}, headers=headers
        )
        first = board.json()["columns"][0]
        more = await client.get(
            "/v1/deals",
            params={
                "stage_id": first["stage"]["id"],
                "sort": "stage_entered_at",
                "cursor": first["next_cursor"],
            },
            headers=headers,
        )
    assert board.status_code == 200
    columns = {c["stage"]["name"]: c for c in board.json()["columns"]}
    assert list(columns) == ["Новая", "В работе", "КП отправлено", "Успешно", "Проиграна"]
    new = columns["Новая"]
    assert new["count"] == 3
    assert new["sums"] == [
        {"currency": "RUB", "amount": "1200.50"},
        {"currency": "USD", "amount": "10.00"},
    ]
    assert new["deals"][0]["id"] == old.id, "the longest in the stage comes first"
    assert new["deals"][0]["overdue"] is True
    assert new["deals"][0]["seconds_in_stage"] == (6 * 24 + 1) * 3600
    assert new["deals"][1]["overdue"] is False
    assert new["next_cursor"] is not None
    assert len(more.json()["items"]) == 1
    assert columns["В работе"]["count"] == 1
    assert columns["В работе"]["next_cursor"] is None
    fresh = await headers_for(client, manager)
    missing = await client.get("/v1/pipelines/999999/board", headers=fresh)
    assert missing.status_code == 404


async def test_board_counts_only_what_the_actor_sees(client: httpx.AsyncClient) -> None:
    pipeline = await make_pipeline()
    mine = await make_user(await make_office(), password=PASSWORD)
    other = await make_user(await make_office())
    await make_deal(await actor_for(mine))
    await make_deal(await actor_for(other))
    board = await client.get(
        f"/v1/pipelines/{pipeline.id}/board", headers=await headers_for(client, mine)
    )
    assert board.json()["columns"][0]["count"] == 1


async def test_my_day(client: httpx.AsyncClient) -> None:
    manager = await make_user(await make_office(), password=PASSWORD)
    actor = await actor_for(manager)
    await make_pipeline()
    with use_clock(FrozenClock(MONDAY_9)) as clock:
        headers = await headers_for(client, manager)
        overdue = await make_task(actor, due_at=MONDAY_9 - timedelta(hours=2))
        later_today = await make_task(actor, due_at=MONDAY_9 + timedelta(hours=10))  # 19:00 MSK
        await make_task(actor, due_at=MONDAY_9 + timedelta(hours=16))  # 01:00 tomorrow, MSK
        stuck = await make_deal(actor)
        monday = (await client.get("/v1/me/today", headers=headers)).json()
        clock.advance(timedelta(days=6))
        talked = await make_deal(actor)
        await log_interaction(actor, {"kind": "call", "deal_id": talked.id, "outcome": "ok"})
        clock.advance(timedelta(days=2))
        headers = await headers_for(client, manager)
        later = (await client.get("/v1/me/today", headers=headers)).json()
        quiet = (await client.get("/v1/me/today", params={"quiet_days": 1}, headers=headers)).json()
    assert monday["day_ends_at"] == "2026-03-03T00:00:00+03:00"
    assert [t["id"] for t in monday["overdue_tasks"]] == [overdue.id]
    assert [t["id"] for t in monday["due_today"]] == [later_today.id]
    assert monday["stuck_deals"] == []
    assert monday["quiet_deals"] == []
    assert len(later["overdue_tasks"]) == 3
    assert [d["id"] for d in later["stuck_deals"]] == [stuck.id]
    assert [d["id"] for d in later["quiet_deals"]] == [stuck.id]
    assert [d["id"] for d in quiet["quiet_deals"]] == [stuck.id, talked.id]
