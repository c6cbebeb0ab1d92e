from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest_asyncio
from fastapi import FastAPI

from api.app import create_app
from models.settings import Settings


@pytest_asyncio.fixture
async def app(db: str) -> FastAPI:
    return create_app(Settings(database_url=db), manage_database=False)


@pytest_asyncio.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://voronka.test") as client:
        yield client
