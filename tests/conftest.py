"""Test database: SQLite by default, PostgreSQL with `--db postgres` or VORONKA_TEST_DB=postgres.

The schema is built once per session by the real migrations; each test starts from empty tables.
PostgreSQL that cannot be reached fails the session: it is never skipped.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from tortoise.contrib.test import truncate_all_models

from api.app import create_app
from models.db import close_database, migrate_database, open_database
from models.settings import Settings

PG_ADMIN_DSN = os.environ.get("VORONKA_TEST_PG", "postgres://postgres@127.0.0.1:5432/postgres")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        choices=("sqlite", "postgres"),
        default=os.environ.get("VORONKA_TEST_DB", "sqlite"),
        help="database the suite runs on",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    dialect = config.getoption("--db")
    other = "postgres_only" if dialect == "sqlite" else "sqlite_only"
    for item in items:
        if item.get_closest_marker(other):
            item.add_marker(pytest.mark.skip(reason=f"{other} test; this run is on {dialect}"))


@pytest.fixture(scope="session")
def db_dialect(request: pytest.FixtureRequest) -> str:
    return str(request.config.getoption("--db"))


@pytest_asyncio.fixture(scope="session")
async def database_url(
    db_dialect: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    if db_dialect == "sqlite":
        yield f"sqlite://{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        return
    name = f"voronka_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(PG_ADMIN_DSN.replace("postgres://", "postgresql://", 1))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    base = PG_ADMIN_DSN.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    admin = await asyncpg.connect(PG_ADMIN_DSN.replace("postgres://", "postgresql://", 1))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest_asyncio.fixture(scope="session")
async def _schema(database_url: str) -> AsyncIterator[str]:
    await migrate_database(database_url)
    await close_database()
    await open_database(database_url)
    yield database_url
    await close_database()


@pytest_asyncio.fixture
async def db(_schema: str) -> AsyncIterator[str]:
    """A clean, migrated database for one test; yields its URL."""
    await truncate_all_models()
    yield _schema


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "var"


@pytest_asyncio.fixture
async def app(db: str, data_dir: Path) -> FastAPI:
    """The API over the test database; files go under the test's own data dir."""
    return create_app(Settings(database_url=db, data_dir=data_dir), manage_database=False)


@pytest_asyncio.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://voronka.test") as client:
        yield client
