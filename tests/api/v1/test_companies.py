"""/v1/companies: requisites checked, duplicates by INN, search by INN, versions."""

from __future__ import annotations

import httpx
import pytest

from models.entities import User
from tests.api.v1.conftest import PASSWORD, headers_for
from tests.factories import make_office, make_user


@pytest.fixture
async def headers(client: httpx.AsyncClient) -> dict[str, str]:
    manager: User = await make_user(await make_office(), password=PASSWORD)
    return await headers_for(client, manager)


async def test_create_checks_every_requisite_at_once(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.post(
        "/v1/companies",
        json={"name": "ООО Ромашка", "inn": "7707083894", "kpp": "77", "ogrn": "1027700132194"},
        headers={**headers, "Accept-Language": "en"},
    )
    assert response.status_code == 422
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert set(errors) == {"inn", "kpp", "ogrn"}
    assert errors["inn"].startswith("Invalid INN")


async def test_duplicate_inn_conflicts_and_search_finds_it(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    body = {
        "name": "ПАО Сбербанк",
        "inn": "7707083893",
        "kpp": "773601001",
        "ogrn": "1027700132195",
    }
    created = await client.post("/v1/companies", json=body, headers=headers)
    assert created.status_code == 201
    assert created.headers["etag"] == '"1"'
    duplicate = await client.post("/v1/companies", json={**body, "name": "Сбер"}, headers=headers)
    assert duplicate.status_code == 409
    assert duplicate.json()["candidates"][0]["matched_on"] == "inn:7707083893"
    branch = await client.post(
        "/v1/companies", json={**body, "name": "Сбер, филиал", "kpp": "784201001"}, headers=headers
    )
    assert branch.status_code == 201, "same INN with another KPP is a branch, not a duplicate"
    found = await client.get(
        "/v1/companies", params={"q": "7707083893", "sort": "id"}, headers=headers
    )
    assert [c["name"] for c in found.json()["items"]] == ["ПАО Сбербанк", "Сбер, филиал"]


async def test_patch_with_if_match(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    created = (
        await client.post("/v1/companies", json={"name": "ООО Вектор"}, headers=headers)
    ).json()
    url = f"/v1/companies/{created['id']}"
    ok = await client.patch(
        url, json={"website": "vektor.test"}, headers={**headers, "If-Match": '"1"'}
    )
    assert ok.status_code == 200
    assert ok.json()["website"] == "vektor.test"
    stale = await client.patch(url, json={"name": "X"}, headers={**headers, "If-Match": 'W/"1"'})
    assert stale.status_code == 412
    blank = await client.patch(url, json={"name": ""}, headers={**headers, "If-Match": '"2"'})
    assert blank.status_code == 422
    assert blank.json()["errors"][0]["field"] == "name"
