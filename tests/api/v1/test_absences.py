"""/v1/absences: plan, list with filters, get, shorten, cancel; a sudden absence hands the work
over at once and /handover shows it; refusals name their fields; others' absences are not found."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from models.entities import Absence, Office, Role, Task, User
from tests.api.v1.conftest import PASSWORD, headers_for
from tests.factories import actor_for, make_office, make_task, make_user


def _in(days: float) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


@pytest.fixture
async def office() -> Office:
    return await make_office()


@pytest.fixture
async def manager(office: Office) -> User:
    return await make_user(office, password=PASSWORD)


@pytest.fixture
async def colleague(office: Office) -> User:
    return await make_user(office, password=PASSWORD)


@pytest.fixture
async def headers(client: httpx.AsyncClient, manager: User) -> dict[str, str]:
    return await headers_for(client, manager)


async def _create(client: httpx.AsyncClient, headers: dict[str, str], **body: object) -> dict:
    response = await client.post("/v1/absences", json=body, headers=headers)
    assert response.status_code == 201, response.text
    assert response.headers["Location"] == f"/v1/absences/{response.json()['id']}"
    return response.json()


async def test_plan_list_shorten_and_cancel(
    client: httpx.AsyncClient, headers: dict[str, str], manager: User, colleague: User
) -> None:
    vacation = await _create(
        client,
        headers,
        starts_at=_in(1),
        ends_at=_in(8),
        reason="Отпуск",
        deputy_id=colleague.id,
    )
    assert (vacation["user_id"], vacation["deputy_id"], vacation["sudden"]) == (
        manager.id,
        colleague.id,
        False,
    )
    assert vacation["handed_over_at"] is None
    course = await _create(client, headers, starts_at=_in(10), ends_at=_in(12))

    listed = await client.get("/v1/absences", headers=headers)
    assert [a["id"] for a in listed.json()["items"]] == [vacation["id"], course["id"]]
    on_day_11 = await client.get("/v1/absences", params={"active_at": _in(11)}, headers=headers)
    assert [a["id"] for a in on_day_11.json()["items"]] == [course["id"]]
    as_deputy = await client.get(
        "/v1/absences", params={"deputy_id": colleague.id}, headers=headers
    )
    assert [a["id"] for a in as_deputy.json()["items"]] == [vacation["id"]]

    new_end = _in(5)
    shorter = await client.post(
        f"/v1/absences/{vacation['id']}/shorten", json={"ends_at": new_end}, headers=headers
    )
    assert shorter.status_code == 200, shorter.text
    assert datetime.fromisoformat(shorter.json()["ends_at"]) == datetime.fromisoformat(new_end)

    cancelled = await client.post(f"/v1/absences/{course['id']}/cancel", headers=headers)
    assert cancelled.json()["cancelled_at"] is not None
    after = await client.get("/v1/absences", headers=headers)
    assert [a["id"] for a in after.json()["items"]] == [vacation["id"]]
    with_cancelled = await client.get(
        "/v1/absences", params={"include_cancelled": "true"}, headers=headers
    )
    assert len(with_cancelled.json()["items"]) == 2
    again = await client.post(f"/v1/absences/{course['id']}/cancel", headers=headers)
    assert again.status_code == 422
    assert again.json()["errors"][0]["field"] == "status"


async def test_refusals_name_the_fields(
    client: httpx.AsyncClient, headers: dict[str, str], manager: User
) -> None:
    backwards = await client.post(
        "/v1/absences", json={"starts_at": _in(3), "ends_at": _in(2)}, headers=headers
    )
    assert backwards.status_code == 422
    assert backwards.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in backwards.json()["errors"]] == ["ends_at"]

    await _create(client, headers, starts_at=_in(1), ends_at=_in(5))
    overlap = await client.post(
        "/v1/absences", json={"starts_at": _in(4), "ends_at": _in(9)}, headers=headers
    )
    assert overlap.status_code == 422
    assert [(e["field"], e["code"]) for e in overlap.json()["errors"]] == [
        ("starts_at", "overlap"),
        ("ends_at", "overlap"),
    ]
    naive = await client.post(
        "/v1/absences", json={"ends_at": "2030-01-01T10:00:00"}, headers=headers
    )
    assert naive.status_code == 422
    unknown = await client.post(
        "/v1/absences", json={"ends_at": _in(1), "handed_over_at": _in(0)}, headers=headers
    )
    assert unknown.status_code == 422


async def test_a_sudden_absence_hands_over_at_once(
    client: httpx.AsyncClient, headers: dict[str, str], manager: User, colleague: User
) -> None:
    task = await make_task(await actor_for(manager), title="Позвонить Орлову")
    sudden = await _create(client, headers, ends_at=_in(2), deputy_id=colleague.id)

    assert sudden["sudden"] is True
    assert sudden["handed_over_at"] is not None
    assert (await Task.get(id=task.id)).assignee_id == colleague.id
    moved = await client.get(f"/v1/absences/{sudden['id']}/handover", headers=headers)
    assert moved.status_code == 200
    assert [
        (h["entity"], h["entity_id"], h["title"], h["to_user_id"], h["outcome"])
        for h in moved.json()
    ] == [("task", task.id, "Позвонить Орлову", colleague.id, None)]


async def test_heads_manage_their_office_and_managers_only_themselves(
    client: httpx.AsyncClient, office: Office, manager: User, colleague: User
) -> None:
    head = await make_user(office, Role.HEAD, password=PASSWORD)
    head_headers = await headers_for(client, head)
    by_head = await _create(
        client, head_headers, user_id=manager.id, starts_at=_in(1), ends_at=_in(2)
    )
    assert by_head["created_by_id"] == head.id

    colleague_headers = await headers_for(client, colleague)
    for_someone = await client.post(
        "/v1/absences",
        json={"user_id": manager.id, "starts_at": _in(3), "ends_at": _in(4)},
        headers=colleague_headers,
    )
    assert for_someone.status_code == 422
    assert for_someone.json()["errors"][0]["field"] == "user_id"
    hidden = await client.get(f"/v1/absences/{by_head['id']}", headers=colleague_headers)
    assert hidden.status_code == 404
    assert (await client.get("/v1/absences", headers=colleague_headers)).json()["items"] == []


async def test_the_return_offer_is_answered_once_through_the_api(
    client: httpx.AsyncClient, headers: dict[str, str], manager: User, colleague: User
) -> None:
    task = await make_task(await actor_for(manager), title="Позвонить Орлову")
    sudden = await _create(client, headers, ends_at=_in(2), deputy_id=colleague.id)
    early = await client.post(
        f"/v1/absences/{sudden['id']}/settle", json={"choice": "take_back"}, headers=headers
    )
    assert early.status_code == 422
    assert early.json()["errors"][0]["code"] == "not_returned"
    await Absence.filter(id=sudden["id"]).update(ends_at=datetime.now(UTC) - timedelta(minutes=1))

    taken = await client.post(
        f"/v1/absences/{sudden['id']}/settle", json={"choice": "take_back"}, headers=headers
    )
    assert taken.status_code == 200, taken.text
    assert [(h["entity_id"], h["outcome"]) for h in taken.json()] == [(task.id, "returned")]
    assert (await Task.get(id=task.id)).assignee_id == manager.id
    again = await client.post(
        f"/v1/absences/{sudden['id']}/settle", json={"choice": "leave"}, headers=headers
    )
    assert again.status_code == 422
    assert again.json()["errors"][0]["code"] == "settled"
