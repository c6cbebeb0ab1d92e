"""/v1/offices: the visible tree; only admins create, rename and move offices."""

from __future__ import annotations

import httpx
import pytest

from models.entities import AuditEntry, Office, User
from tests.api.v1.staff import Staff, make_staff


@pytest.fixture
async def staff(client: httpx.AsyncClient) -> Staff:
    return await make_staff(client)


async def test_each_role_sees_its_own_tree(client: httpx.AsyncClient, staff: Staff) -> None:
    async def names(user: User) -> list[str]:
        response = await client.get("/v1/offices", headers=await staff.headers(user))
        assert response.status_code == 200
        assert response.json()["next_cursor"] is None
        return [o["name"] for o in response.json()["items"]]

    assert await names(staff.admin) == ["Головной офис", "Север", "Отдел продаж", "Юг"]
    assert await names(staff.head) == ["Север", "Отдел продаж"]
    assert await names(staff.stranger) == ["Юг"]
    headers = await staff.headers(staff.head)
    one = (await client.get(f"/v1/offices/{staff.department.id}", headers=headers)).json()
    assert one == {
        "id": staff.department.id,
        "name": "Отдел продаж",
        "kind": "branch",
        "parent_id": staff.north.id,
        "timezone": "Europe/Moscow",
    }
    sibling = await client.get(f"/v1/offices/{staff.south.id}", headers=headers)
    assert sibling.status_code == 404
    assert sibling.headers["content-type"] == "application/problem+json"


async def test_only_admins_create_and_change_offices(
    client: httpx.AsyncClient, staff: Staff
) -> None:
    body = {"name": "Казань", "parent_id": staff.root.id, "timezone": "Europe/Moscow"}
    for user in (staff.head, staff.manager):
        headers = await staff.headers(user)
        assert (await client.post("/v1/offices", json=body, headers=headers)).status_code == 403
        refused = await client.patch(
            f"/v1/offices/{staff.north.id}", json={"name": "x"}, headers=headers
        )
        assert refused.status_code == 403
    assert await Office.filter(name="Казань").count() == 0

    admin = await staff.headers(staff.admin)
    created = await client.post("/v1/offices", json=body, headers=admin)
    assert created.status_code == 201
    assert created.headers["location"] == f"/v1/offices/{created.json()['id']}"
    assert created.json()["kind"] == "branch"
    renamed = await client.patch(
        f"/v1/offices/{created.json()['id']}",
        json={"name": "Казань-2", "timezone": "Europe/Samara"},
        headers=admin,
    )
    assert renamed.status_code == 200
    assert (renamed.json()["name"], renamed.json()["timezone"]) == ("Казань-2", "Europe/Samara")
    assert await AuditEntry.filter(entity="office", entity_id=created.json()["id"]).count() >= 3


async def test_moving_an_office_moves_its_subtree_and_cycles_are_refused(
    client: httpx.AsyncClient, staff: Staff
) -> None:
    admin = await staff.headers(staff.admin)
    url = f"/v1/offices/{staff.north.id}"
    cycle = await client.patch(url, json={"parent_id": staff.department.id}, headers=admin)
    assert cycle.status_code == 422
    assert cycle.json()["errors"][0]["field"] == "parent_id"
    moved = await client.patch(url, json={"parent_id": staff.south.id}, headers=admin)
    assert moved.status_code == 200
    assert moved.json()["parent_id"] == staff.south.id
    department = await Office.get(id=staff.department.id)
    assert department.path == f"{staff.root.id}/{staff.south.id}/{staff.north.id}/{department.id}/"
    # The south head now sees north and its department; north's head keeps their own subtree.
    south_head = await staff.headers(staff.south_head)
    assert (await client.get(url, headers=south_head)).status_code == 200
    names = [
        o["name"]
        for o in (await client.get("/v1/offices", headers=await staff.headers(staff.head))).json()[
            "items"
        ]
    ]
    assert names == ["Север", "Отдел продаж"]


async def test_bad_office_input_names_each_field(client: httpx.AsyncClient, staff: Staff) -> None:
    admin = await staff.headers(staff.admin)
    bad = await client.post(
        "/v1/offices",
        json={"name": "Тверь", "kind": "planet", "timezone": "Mars/Olympus", "parent_id": 99999},
        headers=admin,
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"kind"}
    domain = await client.post(
        "/v1/offices",
        json={"name": "Тверь", "timezone": "Mars/Olympus", "parent_id": 99999},
        headers=admin,
    )
    assert domain.status_code == 422
    assert {e["field"] for e in domain.json()["errors"]} == {"timezone", "parent_id"}
    server_owned = await client.post(
        "/v1/offices", json={"name": "Тверь", "path": "1/"}, headers=admin
    )
    assert server_owned.status_code == 422
    assert server_owned.json()["errors"][0] == {
        "field": "path",
        "code": "extra_forbidden",
        "message": "Неизвестное поле.",
    }
    missing = await client.patch("/v1/offices/99999", json={"name": "x"}, headers=admin)
    assert missing.status_code == 404
