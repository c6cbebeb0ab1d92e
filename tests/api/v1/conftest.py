from __future__ import annotations

import httpx
import pytest_asyncio

from models.entities import User
from tests.factories import make_user

PASSWORD = "correct-horse-battery"


@pytest_asyncio.fixture
async def user() -> User:
    return await make_user(password=PASSWORD, phone="+79161234567")


async def sign_in(client: httpx.AsyncClient, login: str, password: str = PASSWORD) -> dict:
    response = await client.post("/v1/auth/login", json={"login": login, "password": password})
    assert response.status_code == 200, response.text
    return response.json()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def headers_for(
    client: httpx.AsyncClient, user: User, password: str = PASSWORD
) -> dict[str, str]:
    return bearer((await sign_in(client, user.email, password))["access_token"])
