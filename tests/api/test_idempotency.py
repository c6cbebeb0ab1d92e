"""Idempotency-Key: a retried POST runs once; misuse and races are refused, never run twice."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from models.entities import Contact
from tests.api.v1.conftest import PASSWORD, headers_for
from tests.factories import make_user


@pytest.fixture
async def headers(client: httpx.AsyncClient) -> dict[str, str]:
    return await headers_for(client, await make_user(password=PASSWORD))


async def test_a_retry_replays_the_first_response(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    keyed = {**headers, "Idempotency-Key": "create-ivan-1"}
    first = await client.post("/v1/contacts", json={"first_name": "Иван"}, headers=keyed)
    again = await client.post("/v1/contacts", json={"first_name": "Иван"}, headers=keyed)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert await Contact.all().count() == 1


async def test_same_key_with_another_body_is_refused(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    keyed = {**headers, "Idempotency-Key": "k-2"}
    await client.post("/v1/contacts", json={"first_name": "Иван"}, headers=keyed)
    other = await client.post("/v1/contacts", json={"first_name": "Пётр"}, headers=keyed)
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert await Contact.all().count() == 1


async def test_concurrent_duplicates_run_once(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    keyed = {**headers, "Idempotency-Key": "tap-tap-tap"}
    responses = await asyncio.gather(
        *(client.post("/v1/contacts", json={"first_name": "Анна"}, headers=keyed) for _ in range(5))
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(201) >= 1
    assert set(statuses) <= {201, 409}
    assert await Contact.all().count() == 1


async def test_keys_are_per_user_and_errors_replay_too(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    keyed = {**headers, "Idempotency-Key": "shared-key"}
    invalid = await client.post("/v1/contacts", json={"first_name": ""}, headers=keyed)
    assert invalid.status_code == 422
    replayed = await client.post("/v1/contacts", json={"first_name": ""}, headers=keyed)
    assert replayed.status_code == 422
    assert replayed.headers["idempotent-replayed"] == "true"
    colleague = await headers_for(client, await make_user(password=PASSWORD))
    theirs = await client.post(
        "/v1/contacts",
        json={"first_name": ""},
        headers={**colleague, "Idempotency-Key": "shared-key"},
    )
    assert "idempotent-replayed" not in theirs.headers


async def test_a_malformed_key_is_422(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    response = await client.post(
        "/v1/contacts", json={"first_name": "x"}, headers={**headers, "Idempotency-Key": "k" * 300}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_idempotency_key"
    assert await Contact.all().count() == 0
