"""/v1/tasks: create, filtered lists with cursors, If-Match on every change, visibility."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from models.entities import Role, Task, TaskStatus, User
from tests.api.v1.conftest import PASSWORD, headers_for
from tests.factories import actor_for, make_contact, make_office, make_user


@pytest.fixture
async def manager() -> User:
    return await make_user(await make_office(), password=PASSWORD)


@pytest.fixture
async def headers(client: httpx.AsyncClient, manager: User) -> dict[str, str]:
    return await headers_for(client, manager)


def _if_match(headers: dict[str, str], version: int) -> dict[str, str]:
    return {**headers, "If-Match": f'"{version}"'}


def _in(hours: float) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat()


async def _task(client: httpx.AsyncClient, headers: dict[str, str], **body: object) -> dict:
    response = await client.post("/v1/tasks", json={"title": "Позвонить", **body}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def _ids(client: httpx.AsyncClient, headers: dict[str, str], **params: object) -> list[int]:
    response = await client.get("/v1/tasks", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return [t["id"] for t in response.json()["items"]]


async def test_create_and_read_with_the_fields_the_apps_use(
    client: httpx.AsyncClient, headers: dict[str, str], manager: User
) -> None:
    contact = await make_contact(await actor_for(manager))
    due = _in(24)
    created = await client.post(
        "/v1/tasks",
        json={
            "title": "Отправить КП",
            "due_at": due,
            "remind_at": _in(23),
            "contact_id": contact.id,
        },
        headers=headers,
    )
    assert created.status_code == 201
    task = created.json()
    assert created.headers["location"] == f"/v1/tasks/{task['id']}"
    assert created.headers["etag"] == '"1"'
    assert task["status"] == "open"
    assert (task["assignee_id"], task["author_id"], task["office_id"]) == (
        manager.id,
        manager.id,
        manager.office_id,
    )
    assert (task["contact_id"], task["deal_id"]) == (contact.id, None)
    assert datetime.fromisoformat(task["due_at"]) == datetime.fromisoformat(due)
    read = await client.get(f"/v1/tasks/{task['id']}", headers=headers)
    assert read.status_code == 200
    assert read.headers["etag"] == '"1"'
    assert read.json() == task


async def test_list_filters_and_due_sort_pages_without_repeats(
    client: httpx.AsyncClient, headers: dict[str, str], manager: User
) -> None:
    contact = await make_contact(await actor_for(manager))
    dated = [(await _task(client, headers, due_at=_in(hours)))["id"] for hours in (5, 1, 3, 2, 4)]
    undated = (await _task(client, headers, contact_id=contact.id))["id"]
    done = (await _task(client, headers, due_at=_in(6)))["id"]
    assert (
        await client.post(f"/v1/tasks/{done}/complete", headers=_if_match(headers, 1))
    ).status_code == 200

    by_due = dated[1], dated[3], dated[2], dated[4], dated[0]
    pages: list[int] = []
    cursor = None
    for _ in range(5):
        params: dict[str, object] = {"sort": "due_at", "status": "open", "limit": 2}
        if cursor:
            params["cursor"] = cursor
        body = (await client.get("/v1/tasks", params=params, headers=headers)).json()
        pages += [t["id"] for t in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == list(by_due)  # undated tasks are not in a due_at sort
    assert undated not in await _ids(client, headers, sort="-due_at")
    assert undated in await _ids(client, headers)  # the default sort lists every task

    assert await _ids(client, headers, status="done") == [done]
    assert await _ids(client, headers, contact_id=contact.id) == [undated]
    assert set(await _ids(client, headers, due_after=_in(2.5), due_before=_in(4.5))) == {
        dated[2],
        dated[4],
    }
    assert await _ids(client, headers, assignee_id=manager.id + 1000) == []
    naive = await client.get(
        "/v1/tasks", params={"due_before": "2030-01-01T10:00"}, headers=headers
    )
    assert naive.status_code == 422
    assert naive.json()["errors"][0]["field"] == "due_before"
    bad = await client.get("/v1/tasks", params={"sort": "title", "status": "x"}, headers=headers)
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["status"]


async def test_bad_input_is_refused_naming_the_fields(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.post(
        "/v1/tasks",
        json={"due_at": "2030-01-01T10:00:00", "status": "done", "deal_id": "x"},
        headers=headers,
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert {e["field"] for e in response.json()["errors"]} == {
        "title",
        "due_at",
        "status",
        "deal_id",
    }
    hidden = await client.post(
        "/v1/tasks", json={"title": "x", "contact_id": 10**6}, headers=headers
    )
    assert hidden.status_code == 422
    assert hidden.json()["errors"][0]["field"] == "contact_id"
    assert await Task.all().count() == 0


async def test_a_stale_if_match_changes_nothing(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    task = await _task(client, headers)
    url = f"/v1/tasks/{task['id']}"
    assert (await client.patch(url, json={"title": "Новое"}, headers=headers)).status_code == 428
    # A version no record has: past the version column's range, or digits that are not ASCII.
    for tag in (b"7", b"9" * 30, b"9" * 5000, "²".encode("latin-1")):
        for path, body in (
            ("", {"title": "Новое"}),
            ("/complete", None),
            ("/cancel", None),
            ("/snooze", {"until": _in(48)}),
        ):
            method = client.patch if not path else client.post
            stale = await method(
                f"{url}{path}", json=body, headers={**headers, "If-Match": b'"' + tag + b'"'}
            )
            assert stale.status_code == 412, (tag, path)
            assert stale.json()["code"] == "stale_version"
    unchanged = (await client.get(url, headers=headers)).json()
    assert unchanged == task

    patched = await client.patch(
        url, json={"title": "Новое", "description": "Про скидку"}, headers=_if_match(headers, 1)
    )
    assert patched.status_code == 200
    assert patched.headers["etag"] == '"2"'
    assert (patched.json()["title"], patched.json()["description"]) == ("Новое", "Про скидку")
    again = await client.patch(url, json={"title": "Третье"}, headers=_if_match(headers, 1))
    assert again.status_code == 412
    assert (await client.get(url, headers=headers)).json()["title"] == "Новое"


async def test_complete_cancel_and_snooze(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    first = await _task(client, headers, due_at=_in(1))
    done = await client.post(f"/v1/tasks/{first['id']}/complete", headers=_if_match(headers, 1))
    assert done.status_code == 200
    assert (done.json()["status"], done.headers["etag"]) == ("done", '"2"')
    assert done.json()["completed_at"] is not None
    closed = await client.post(f"/v1/tasks/{first['id']}/cancel", headers=_if_match(headers, 2))
    assert closed.status_code == 422
    assert closed.json()["errors"][0]["field"] == "status"

    second = await _task(client, headers)
    cancelled = await client.post(f"/v1/tasks/{second['id']}/cancel", headers=_if_match(headers, 1))
    assert cancelled.json()["status"] == "cancelled"

    third = await _task(client, headers, due_at=_in(1))
    url = f"/v1/tasks/{third['id']}/snooze"
    past = await client.post(url, json={"until": _in(-1)}, headers=_if_match(headers, 1))
    assert past.status_code == 422
    assert past.json()["errors"][0]["field"] == "until"
    naive = await client.post(
        url, json={"until": "2030-01-01T10:00"}, headers=_if_match(headers, 1)
    )
    assert naive.status_code == 422
    until = _in(26)
    snoozed = await client.post(url, json={"until": until}, headers=_if_match(headers, 1))
    assert snoozed.status_code == 200
    body = snoozed.json()
    assert datetime.fromisoformat(body["due_at"]) == datetime.fromisoformat(until)
    assert datetime.fromisoformat(body["remind_at"]) == datetime.fromisoformat(until)
    assert (body["status"], body["version"]) == ("open", 2)
    statuses = {t.id: t.status for t in await Task.all()}
    assert statuses == {
        first["id"]: TaskStatus.DONE,
        second["id"]: TaskStatus.CANCELLED,
        third["id"]: TaskStatus.OPEN,
    }


async def test_another_offices_manager_gets_404_and_the_head_sees_it(
    client: httpx.AsyncClient, headers: dict[str, str], manager: User
) -> None:
    task = await _task(client, headers, due_at=_in(3))
    url = f"/v1/tasks/{task['id']}"
    stranger = await make_user(await make_office(), password=PASSWORD)
    their = await headers_for(client, stranger)
    assert (await client.get(url, headers=their)).status_code == 404
    for path, body in (("/complete", None), ("/cancel", None), ("/snooze", {"until": _in(9)})):
        response = await client.post(f"{url}{path}", json=body, headers=_if_match(their, 1))
        assert response.status_code == 404, path
    patch = await client.patch(url, json={"title": "Чужое"}, headers=_if_match(their, 1))
    assert patch.status_code == 404
    assert await _ids(client, their) == []
    assigned = await client.post(
        "/v1/tasks", json={"title": "x", "assignee_id": manager.id}, headers=their
    )
    assert assigned.status_code == 422
    assert assigned.json()["errors"][0]["field"] == "assignee_id"
    assert (await client.get(url, headers=headers)).json() == task

    office = await manager.office
    head = await make_user(office, Role.HEAD, password=PASSWORD)
    head_headers = await headers_for(client, head)
    assert await _ids(client, head_headers) == [task["id"]]
