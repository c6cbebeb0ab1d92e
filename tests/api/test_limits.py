"""Bodies are bounded before parsing; big responses are compressed."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx

from api.app import JSON_BODY_LIMIT
from tests.api.v1.conftest import PASSWORD, headers_for
from tests.factories import make_user


async def test_declared_oversized_body_is_refused_before_reading(client: httpx.AsyncClient) -> None:
    body = b'{"login": "' + b"a" * JSON_BODY_LIMIT + b'", "password": "x"}'
    response = await client.post(
        "/v1/auth/login",
        content=body,
        headers={"Content-Type": "application/json", "Accept-Language": "en"},
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "The request is too large: 1.0 MB at most."


async def test_streamed_oversized_body_is_cut_off(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"login": "'
        for _ in range(20):
            yield b"a" * (128 * 1024)
        yield b'", "password": "x"}'

    response = await client.post(
        "/v1/auth/login", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"


async def test_body_under_the_limit_passes(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/auth/login", json={"login": "a@b.test", "password": "x"})
    assert response.status_code == 401


async def test_large_responses_are_gzipped(client: httpx.AsyncClient) -> None:
    user = await make_user(password=PASSWORD)
    headers = await headers_for(client, user)
    for index in range(30):
        await client.post("/v1/contacts", json={"first_name": f"Имя{index}"}, headers=headers)
    response = await client.get("/v1/contacts", headers={**headers, "Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert len(response.json()["items"]) == 30
