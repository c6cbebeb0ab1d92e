"""The schema: migrations match the entities and upgrade a database that has data; SQLite runs
with the pragmas we rely on."""

import asyncio
import json
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite
import asyncpg
import pytest
from tortoise import connections
from tortoise.exceptions import IntegrityError, OperationalError

import models.db
from models.entities import Office, User
from tests.conftest import PG_ADMIN_DSN
from tests.factories import make_contact, make_deal, make_org, make_pipeline


async def test_models_and_migrations_agree() -> None:
    changes = await models.db.pending_model_changes()
    assert changes == [], "run `python -m tortoise makemigrations` and commit the result"


# Migrating runs in a child process: Tortoise keeps its connections in process-wide state, which
# the session's test database holds.
_MIGRATE_TO = """
import asyncio, sys
from tortoise import Tortoise
from tortoise.migrations.api.migrate import migrate
from models.db import tortoise_config

async def main() -> None:
    try:
        await migrate(config=tortoise_config(sys.argv[1]), target=sys.argv[2] or None)
    finally:
        await Tortoise.close_connections()

asyncio.run(main())
"""


async def _migrate(url: str, target: str = "") -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _MIGRATE_TO,
        url,
        target,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, output.decode()


@pytest.fixture
async def empty_database(db_dialect: str, tmp_path: Path) -> AsyncIterator[str]:
    """A database of the dialect under test with no tables, apart from the session's."""
    if db_dialect == "sqlite":
        yield f"sqlite://{tmp_path / 'upgrade.sqlite3'}"
        return
    name = f"voronka_upgrade_{uuid.uuid4().hex[:12]}"
    admin_dsn = PG_ADMIN_DSN.replace("postgres://", "postgresql://", 1)
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    yield f"{PG_ADMIN_DSN.rsplit('/', 1)[0]}/{name}"
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def _sql(url: str, statement: str) -> list[tuple[object, ...]]:
    if url.startswith("sqlite://"):
        async with aiosqlite.connect(url.removeprefix("sqlite://")) as connection:
            cursor = await connection.execute(statement)
            rows = [tuple(row) for row in await cursor.fetchall()]
            await connection.commit()
            return rows
    connection = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        return [tuple(row) for row in await connection.fetch(statement)]
    finally:
        await connection.close()


async def test_0017_gives_the_templates_already_there_empty_content_variables(
    empty_database: str,
) -> None:
    await _migrate(empty_database, "voronka.0016_early_receipts")
    await _sql(
        empty_database,
        "INSERT INTO message_template (purpose, channel, language, consent_purpose, subject, "
        "body, text_body, content_sid, is_active, version, created_at, updated_at) VALUES "
        "('order_status.shipped', 'whatsapp', 'ru', 'service', '', 'Заказ отправлен', '', "
        "'HX0123456789abcdef0123456789abcdef', TRUE, 1, "
        "'2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00')",
    )
    await _migrate(empty_database)
    [(purpose, variables)] = await _sql(
        empty_database, "SELECT purpose, content_variables FROM message_template"
    )
    assert purpose == "order_status.shipped"
    assert json.loads(str(variables)) == {}


async def test_a_database_with_people_and_absences_upgrades_from_0011(
    empty_database: str,
) -> None:
    """0012 and 0014 add NOT NULL columns to tables every installation has rows in (users) or
    may have (absences): without a column default the upgrade fails on both databases."""
    await _migrate(empty_database, "voronka.0011_client_subscriptions")
    stamp = "'2026-01-01 00:00:00+00:00'"
    for statement in (
        "INSERT INTO office (id, name, kind, timezone, path, created_at, updated_at) "
        f"VALUES (1, 'Офис', 'company', 'Europe/Moscow', '/1/', {stamp}, {stamp})",
        "INSERT INTO app_user (id, email, full_name, role, language, is_active, office_id, "
        f"created_at, updated_at) VALUES (1, 'a@b.test', 'Анна', 'manager', 'ru', TRUE, 1, "
        f"{stamp}, {stamp})",
        "INSERT INTO absence (user_id, starts_at, ends_at, reason, created_at, updated_at) "
        f"VALUES (1, {stamp}, {stamp}, 'отпуск', {stamp}, {stamp})",
    ):
        await _sql(empty_database, statement)
    await _migrate(empty_database)
    [(digest_enabled,)] = await _sql(empty_database, "SELECT digest_enabled FROM app_user")
    [(sudden,)] = await _sql(empty_database, "SELECT sudden FROM absence")
    assert (bool(digest_enabled), bool(sudden)) == (True, False)


@pytest.mark.sqlite_only
@pytest.mark.usefixtures("db")
async def test_sqlite_pragmas_are_in_force() -> None:
    connection = connections.get("default")

    async def pragma(name: str) -> object:
        _, rows = await connection.execute_query(f"PRAGMA {name}")
        return rows[0][0]

    assert await pragma("foreign_keys") == 1
    assert await pragma("journal_mode") == "wal"
    assert int(await pragma("busy_timeout")) >= 5000  # type: ignore[call-overload]


@pytest.mark.usefixtures("db")
async def test_the_dialect_is_the_one_asked_for(db_dialect: str) -> None:
    assert models.db.dialect() == db_dialect
    assert await models.db.ping()


@pytest.mark.usefixtures("db")
async def test_deleting_a_user_or_office_with_business_data_is_refused() -> None:
    org = await make_org()
    await make_pipeline()
    contact = await make_contact(org.manager)
    await make_deal(org.manager, contact_id=contact.id)
    with pytest.raises((IntegrityError, OperationalError)):
        await User.filter(id=org.manager.user_id).delete()
    with pytest.raises((IntegrityError, OperationalError)):
        await Office.filter(id=org.north.id).delete()
    assert await User.exists(id=org.manager.user_id)
    assert await Office.exists(id=org.north.id)


# Foreign keys nothing looks rows up by: references to small catalogues (sources, segments, loss
# reasons, stages of an interaction) and to people recorded for history. Every other foreign key
# leads some index, or each card, list or cascade would scan its table.
_UNINDEXED_FOREIGN_KEYS = {
    ("absence", "deputy_id"),
    ("company", "source_id"),
    ("company", "segment_id"),
    ("contact", "source_id"),
    ("contact", "segment_id"),
    ("consent", "recorded_by_id"),
    ("deal", "source_id"),
    ("deal", "loss_reason_id"),
    ("interaction", "stage_id"),
    ("lead", "source_id"),
    ("lead", "converted_deal_id"),
    ("lead", "converted_contact_id"),
    ("lead", "converted_company_id"),
    ("client_order", "company_id"),
    ("order_status_change", "by_id"),
    ("stage_transition", "stage_id"),
    ("stage_transition", "from_stage_id"),
    ("stage_transition", "by_id"),
    ("task", "author_id"),
}


@pytest.mark.sqlite_only
@pytest.mark.usefixtures("db")
async def test_foreign_keys_lead_an_index() -> None:
    connection = connections.get("default")
    _, tables = await connection.execute_query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%REFERENCES%'"
    )
    missing = []
    for (table,) in tables:
        _, keys = await connection.execute_query(f"PRAGMA foreign_key_list('{table}')")
        _, indexes = await connection.execute_query(f"PRAGMA index_list('{table}')")
        leading = set()
        for index in indexes:
            _, columns = await connection.execute_query(f"PRAGMA index_info('{index[1]}')")
            leading.add(columns[0][2])
        missing += [
            (table, key[3])
            for key in keys
            if key[3] not in leading and (table, key[3]) not in _UNINDEXED_FOREIGN_KEYS
        ]
    assert missing == [], "index these foreign keys (entity Meta.indexes) or say why not"
