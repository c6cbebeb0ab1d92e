"""Opening the database for one CLI command."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from models.db import close_database, migrate_database, open_database


@asynccontextmanager
async def database(url: str, *, migrate: bool = True) -> AsyncIterator[None]:
    """Migrate (unless told not to), connect, and always close, so the process can exit."""
    if migrate:
        try:
            await migrate_database(url)
        finally:
            await close_database()
    await open_database(url)
    try:
        yield
    finally:
        await close_database()
