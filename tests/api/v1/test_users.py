"""/v1/users: colleagues within the visible tree; admins manage accounts, heads add managers."""

from __future__ import annotations

import httpx
import pytest

from models.entities import AuditEntry, Role, User
from tests.api.v1.conftest import PASSWORD, bearer, sign_in
from tests.api.v1.staff import Staff, make_staff


@pytest.fixture
async def staff(client: httpx.AsyncClient) -> Staff:
    return await make_staff(client)


async def _ids(client: httpx.AsyncClient, headers: dict[str, str], **params: object) -> set[int]:
    response = await client.get("/v1/users", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return {u["id"] for u in response.json()["items"]}


async def test_heads_see_their_subtree_and_nobody_sees_password_hashes(
    client: httpx.AsyncClient, staff: Staff
) -> None:
    head = await staff.headers(staff.head)
    assert await _ids(client, head) == {staff.head.id, staff.manager.id, staff.deep.id}
    assert await _ids(client, head, office_id=staff.department.id) == {staff.deep.id}
    assert await _ids(client, head, role="head") == {staff.head.id}
    assert (await client.get(f"/v1/users/{staff.stranger.id}", headers=head)).status_code == 404
    card = (await client.get(f"/v1/users/{staff.deep.id}", headers=head)).json()
    assert set(card) == {
        "id",
        "email",
        "phone",
        "full_name",
        "role",
        "office_id",
        "language",
        "timezone",
        "is_active",
    }
    admin = await staff.headers(staff.admin)
    assert len(await _ids(client, admin)) == 6
    assert await _ids(client, await staff.headers(staff.stranger)) == {
        staff.stranger.id,
        staff.south_head.id,
    }


async def test_cursor_pages_cover_everyone_once(client: httpx.AsyncClient, staff: Staff) -> None:
    admin = await staff.headers(staff.admin)
    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, object] = {"limit": 4, "sort": "-id"}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/v1/users", params=params, headers=admin)).json()
        seen += [u["id"] for u in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(seen, reverse=True)
    assert len(seen) == len(set(seen)) == 6
    bad = await client.get("/v1/users", params={"cursor": "nonsense"}, headers=admin)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "cursor"


async def test_heads_create_managers_in_their_tree_only(
    client: httpx.AsyncClient, staff: Staff
) -> None:
    head = await staff.headers(staff.head)
    body = {"email": "New@Example.test", "full_name": "Новый Менеджер"}
    created = await client.post(
        "/v1/users",
        json={**body, "office_id": staff.department.id, "password": "long enough"},
        headers=head,
    )
    assert created.status_code == 201, created.text
    assert created.json()["email"] == "new@example.test"
    assert created.json()["role"] == "manager"
    assert "password" not in created.json()
    assert "password_hash" not in created.json()
    assert (await sign_in(client, "new@example.test", "long enough"))["access_token"]

    as_head = await client.post(
        "/v1/users",
        json={
            "email": "h@example.test",
            "full_name": "Х",
            "office_id": staff.north.id,
            "role": "head",
        },
        headers=head,
    )
    assert as_head.status_code == 403
    elsewhere = await client.post(
        "/v1/users",
        json={"email": "s@example.test", "full_name": "С", "office_id": staff.south.id},
        headers=head,
    )
    assert elsewhere.status_code == 422
    assert [e["field"] for e in elsewhere.json()["errors"]] == ["office_id"]
    manager = await client.post(
        "/v1/users",
        json={"email": "m@example.test", "full_name": "М", "office_id": staff.north.id},
        headers=await staff.headers(staff.manager),
    )
    assert manager.status_code == 403
    server_owned = await client.post(
        "/v1/users",
        json={**body, "office_id": staff.north.id, "is_active": False},
        headers=await staff.headers(staff.admin),
    )
    assert server_owned.status_code == 422
    assert [e["field"] for e in server_owned.json()["errors"]] == ["is_active"]


async def test_admins_change_profiles_roles_and_offices(
    client: httpx.AsyncClient, staff: Staff
) -> None:
    url = f"/v1/users/{staff.manager.id}"
    change = {"role": "head", "office_id": staff.south.id}
    for user in (staff.head, staff.manager):
        refused = await client.patch(url, json=change, headers=await staff.headers(user))
        assert refused.status_code == 403
    admin = await staff.headers(staff.admin)
    changed = await client.patch(
        url,
        json={
            **change,
            "full_name": "Мария Иванова",
            "phone": "8 916 111-22-33",
            "language": "en",
            "timezone": "Asia/Yekaterinburg",
        },
        headers=admin,
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["role"], body["office_id"], body["phone"], body["timezone"]) == (
        "head",
        staff.south.id,
        "+79161112233",
        "Asia/Yekaterinburg",
    )
    # The change applies at once: the new head of south now sees south's people, not north's.
    assert await _ids(client, await staff.headers(staff.manager)) == {
        staff.manager.id,
        staff.stranger.id,
        staff.south_head.id,
    }
    audited = await AuditEntry.filter(entity="user", entity_id=staff.manager.id, action="update")
    assert {a.field for a in audited} >= {"role", "office_id", "full_name", "phone"}

    bad = await client.patch(
        url,
        json={"timezone": "Mars/Olympus", "phone": "12", "office_id": 99999},
        headers=admin,
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"timezone", "phone", "office_id"}
    owned = await client.patch(url, json={"email": "x@example.test"}, headers=admin)
    assert owned.status_code == 422
    assert owned.json()["errors"][0]["field"] == "email"


async def test_the_last_admin_keeps_the_role_and_stays_active(
    client: httpx.AsyncClient, staff: Staff
) -> None:
    admin = await staff.headers(staff.admin)
    url = f"/v1/users/{staff.admin.id}"
    demoted = await client.patch(url, json={"role": "manager"}, headers=admin)
    assert demoted.status_code == 422
    assert demoted.json()["errors"][0]["code"] == "last_admin"
    gone = await client.post(f"{url}/deactivate", headers=admin)
    assert gone.status_code == 422
    assert (await User.get(id=staff.admin.id)).role is Role.ADMIN


async def test_deactivation_ends_sign_ins_and_activation_allows_them_again(
    client: httpx.AsyncClient, staff: Staff
) -> None:
    token = (await sign_in(client, staff.deep.email))["access_token"]
    assert (await client.get("/v1/me", headers=bearer(token))).status_code == 200
    url = f"/v1/users/{staff.deep.id}"
    refused = await client.post(f"{url}/deactivate", headers=await staff.headers(staff.head))
    assert refused.status_code == 403
    admin = await staff.headers(staff.admin)
    off = await client.post(f"{url}/deactivate", headers=admin)
    assert off.status_code == 200
    assert off.json()["is_active"] is False
    assert (await client.get("/v1/me", headers=bearer(token))).status_code == 401
    login = await client.post(
        "/v1/auth/login", json={"login": staff.deep.email, "password": PASSWORD}
    )
    assert login.status_code == 401
    head = await staff.headers(staff.head)
    assert await _ids(client, head, active="false") == {staff.deep.id}
    on = await client.post(f"{url}/activate", headers=admin)
    assert on.json()["is_active"] is True
    assert (await sign_in(client, staff.deep.email))["access_token"]
    assert (await client.post("/v1/users/99999/activate", headers=admin)).status_code == 404
