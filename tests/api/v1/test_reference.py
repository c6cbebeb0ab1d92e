"""/v1/loss-reasons, /v1/sources, /v1/segments: read by everyone, kept by admins."""

from __future__ import annotations

import httpx
import pytest

from models.entities import AuditEntry, LossReason, Segment, Source
from tests.api.v1.staff import Staff, make_staff


@pytest.fixture
async def staff(client: httpx.AsyncClient) -> Staff:
    return await make_staff(client)


@pytest.mark.parametrize(
    ("path", "model", "flag"),
    [
        ("/v1/loss-reasons", LossReason, True),
        ("/v1/sources", Source, True),
        ("/v1/segments", Segment, False),
    ],
)
async def test_admins_keep_the_list_everyone_reads(
    client: httpx.AsyncClient, staff: Staff, path: str, model: type, flag: bool
) -> None:
    admin = await staff.headers(staff.admin)
    manager = await staff.headers(staff.manager)
    assert (await client.post(path, json={"name": "Дорого"}, headers=manager)).status_code == 403
    first = await client.post(path, json={"name": " Яндекс "}, headers=admin)
    assert first.status_code == 201, first.text
    second = await client.post(path, json={"name": "Авито"}, headers=admin)
    row_id = first.json()["id"]
    assert first.json()["name"] == "Яндекс"
    assert ("is_active" in first.json()) is flag

    listed = (await client.get(path, headers=manager)).json()
    assert [r["name"] for r in listed["items"]] == ["Авито", "Яндекс"]
    assert listed["next_cursor"] is None

    taken = await client.post(path, json={"name": "яндекс"}, headers=admin)
    assert taken.status_code == 422
    assert taken.json()["errors"][0]["field"] == "name"
    renamed_to_taken = await client.patch(
        f"{path}/{second.json()['id']}", json={"name": "ЯНДЕКС"}, headers=admin
    )
    assert renamed_to_taken.status_code == 422
    same = await client.patch(f"{path}/{row_id}", json={"name": "Яндекс"}, headers=admin)
    assert same.status_code == 200
    assert (
        await client.patch(f"{path}/{row_id}", json={"name": "x"}, headers=manager)
    ).status_code == 403
    assert (
        await client.patch(f"{path}/99999", json={"name": "x"}, headers=admin)
    ).status_code == 404
    assert (
        await client.post(path, json={"name": "Новый", "id": 5}, headers=admin)
    ).status_code == 422
    assert await model.all().count() == 2

    if flag:
        retired = await client.patch(f"{path}/{row_id}", json={"is_active": False}, headers=admin)
        assert retired.json()["is_active"] is False
        active = (await client.get(path, params={"active": "true"}, headers=manager)).json()
        assert [r["name"] for r in active["items"]] == ["Авито"]
        audited = await AuditEntry.filter(entity_id=row_id, action="update", field="is_active")
        assert [(a.old_value, a.new_value) for a in audited] == [("True", "False")]
    else:
        no_flag = await client.patch(f"{path}/{row_id}", json={"is_active": False}, headers=admin)
        assert no_flag.status_code == 422
        assert no_flag.json()["errors"][0]["field"] == "is_active"


async def test_lists_need_a_sign_in(client: httpx.AsyncClient) -> None:
    for path in ("/v1/loss-reasons", "/v1/sources", "/v1/segments", "/v1/pipelines"):
        response = await client.get(path)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
