"""/v1/plans, /v1/kpis, /v1/me/kpis, /v1/offices/{id}/kpis: who may set what, figures as
decimal strings in the metric's unit, refusals naming their fields."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime

import httpx
import pytest

from models.entities import Office, Role, User
from models.ops.deals import win_deal
from tests.api.v1.conftest import PASSWORD, headers_for
from tests.factories import actor_for, make_deal, make_office, make_pipeline, make_user


def _this_month() -> dict[str, str]:
    today = datetime.now(UTC).date()
    last = calendar.monthrange(today.year, today.month)[1]
    return {
        "period_start": today.replace(day=1).isoformat(),
        "period_end": today.replace(day=last).isoformat(),
    }


@pytest.fixture
async def office() -> Office:
    return await make_office()


@pytest.fixture
async def manager(office: Office) -> User:
    return await make_user(office, password=PASSWORD)


@pytest.fixture
async def head(office: Office) -> User:
    return await make_user(office, Role.HEAD, password=PASSWORD)


@pytest.fixture
async def admin(office: Office) -> User:
    return await make_user(office, Role.ADMIN, password=PASSWORD)


async def test_heads_plan_managers_read_and_status_follows(
    client: httpx.AsyncClient, manager: User, head: User, admin: User, office: Office
) -> None:
    await make_pipeline()
    head_headers = await headers_for(client, head)
    manager_headers = await headers_for(client, manager)
    admin_headers = await headers_for(client, admin)

    created = await client.post(
        "/v1/plans",
        json={"user_id": manager.id, "metric": "revenue", "target": "1000.50", **_this_month()},
        headers=head_headers,
    )
    assert created.status_code == 201, created.text
    plan = created.json()
    assert (plan["target"], plan["currency"]) == ("1000.50", "RUB")
    refused = await client.post(
        "/v1/plans",
        json={"user_id": manager.id, "metric": "calls", "target": "5", **_this_month()},
        headers=manager_headers,
    )
    assert refused.status_code == 403
    mine = await client.get("/v1/plans", headers=manager_headers)
    assert [p["id"] for p in mine.json()["items"]] == [plan["id"]]
    changed = await client.patch(
        f"/v1/plans/{plan['id']}", json={"target": "2000"}, headers=head_headers
    )
    assert changed.json()["target"] == "2000.00"

    kpi = await client.post(
        "/v1/kpis",
        json={"name": "Выручка", "metric": "revenue", "warning": 80, "critical": 50},
        headers=admin_headers,
    )
    assert kpi.status_code == 201, kpi.text
    assert (kpi.json()["mode"], kpi.json()["notify"]) == ("pace", "both")
    assert (await client.get("/v1/kpis", headers=head_headers)).status_code == 403

    deal = await make_deal(await actor_for(manager))
    await win_deal(await actor_for(manager), deal.id, version=None, values={"amount": "500.25"})
    [status] = (await client.get("/v1/me/kpis", headers=manager_headers)).json()
    assert status["kpi_id"] == kpi.json()["id"]
    assert (status["value"], status["target"], status["user_id"]) == (
        "500.25",
        "2000.00",
        manager.id,
    )
    assert status["level"] in {"ok", "warning", "critical"}
    by_office = await client.get(f"/v1/offices/{office.id}/kpis", headers=head_headers)
    assert {s["user_id"] for s in by_office.json()} == {manager.id, head.id}

    deleted = await client.delete(f"/v1/plans/{plan['id']}", headers=head_headers)
    assert deleted.status_code == 204
    assert (await client.get(f"/v1/plans/{plan['id']}", headers=head_headers)).status_code == 404


async def test_refusals_name_the_fields(client: httpx.AsyncClient, head: User, admin: User) -> None:
    stranger = await make_user(await make_office(), password=PASSWORD)
    bad = await client.post(
        "/v1/plans",
        json={
            "user_id": stranger.id,
            "metric": "calls",
            "target": "1.5",
            "period_start": "2030-01-02",
            "period_end": "2030-01-31",
        },
        headers=await headers_for(client, head),
    )
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"
    assert {e["field"] for e in bad.json()["errors"]} == {"user_id", "period_end", "target"}

    upside_down = await client.post(
        "/v1/kpis",
        json={"name": "Звонки", "metric": "calls", "warning": 10, "critical": 20},
        headers=await headers_for(client, admin),
    )
    assert upside_down.status_code == 422
    assert [e["field"] for e in upside_down.json()["errors"]] == ["critical"]
    # A day in a query is ISO text: a number is no date (pydantic alone would read Unix time).
    numeric = await client.get(
        "/v1/plans", params={"period_start": "0"}, headers=await headers_for(client, head)
    )
    assert numeric.status_code == 422
    iso = await client.get(
        "/v1/plans", params={"period_start": "2030-01-01"}, headers=await headers_for(client, head)
    )
    assert iso.status_code == 200
