"""Database configuration, start-up, shutdown and migrations for every process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tortoise import Tortoise, connections
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.context import TortoiseContext
from tortoise.migrations.api.migrate import migrate as tortoise_migrate
from tortoise.migrations.autodetector import MigrationAutodetector
from tortoise.migrations.writer import MigrationWriter

APP = "voronka"
ENTITY_MODULES = [
    "models.entities.org",
    "models.entities.clients",
    "models.entities.sales",
    "models.entities.work",
    "models.entities.audit",
    "models.entities.auth",
    "models.entities.search",
    "models.entities.telegram",
    "models.entities.messaging",
    "models.entities.scheduling",
    "models.entities.campaigns",
    "models.entities.automation",
    "models.entities.kpi",
]
MIGRATIONS_MODULE = "models.migrations"


def connection_config(url: str) -> dict[str, Any]:
    config: dict[str, Any] = expand_db_url(url)
    if config["engine"] == "tortoise.backends.sqlite":
        config["engine"] = "models.sqlite_engine"
        file_path = config["credentials"]["file_path"]
        if file_path != ":memory:":
            Path(file_path).parent.mkdir(parents=True, exist_ok=True)
    return config


def tortoise_config(url: str) -> dict[str, Any]:
    return {
        "connections": {"default": connection_config(url)},
        "apps": {
            APP: {
                "models": ENTITY_MODULES,
                "default_connection": "default",
                "migrations": MIGRATIONS_MODULE,
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def open_database(url: str) -> None:
    await Tortoise.init(config=tortoise_config(url))


async def close_database() -> None:
    await Tortoise.close_connections()


async def migrate_database(url: str) -> None:
    """Apply every pending migration; safe to call on every start."""
    await tortoise_migrate(config=tortoise_config(url))


def dialect() -> str:
    return str(connections.get("default").capabilities.dialect)


async def ping() -> bool:
    try:
        await connections.get("default").execute_query("SELECT 1")
    except Exception:
        return False
    return True


async def pending_model_changes(url: str = "sqlite://:memory:") -> list[MigrationWriter]:
    """Migrations needed for the migration files to match the entities (none, ideally).

    Apps are loaded without connecting: a connected context would rebind the entities' base
    queries to its dialect, breaking every later query of a process that runs on PostgreSQL.
    """
    config = tortoise_config(url)
    async with TortoiseContext() as ctx:
        await ctx.init(config=config, init_connections=False)
        assert ctx.apps is not None
        return await MigrationAutodetector(ctx.apps, config["apps"]).changes()
