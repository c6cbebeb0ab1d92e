"""Primary keys reserved up front, so bulk-inserted rows can be referenced before they exist.

Tortoise's bulk_create does not report generated ids. Reserving them keeps the seed to one insert
per table: on PostgreSQL from the table's own sequence (safe beside concurrent writers), on SQLite
above the current maximum (the caller's `BEGIN IMMEDIATE` transaction holds the write lock).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tortoise.models import Model


async def reserve_ids(model: type[Model], count: int) -> list[int]:
    if count <= 0:
        return []
    db = model._meta.db
    table = model._meta.db_table
    if db.capabilities.dialect == "postgres":
        rows: Sequence[Any] = (
            await db.execute_query(
                "SELECT nextval(pg_get_serial_sequence($1, 'id')) AS id "
                "FROM generate_series(1, $2) ORDER BY 1",
                [table, count],
            )
        )[1]
        return [int(row["id"]) for row in rows]
    rows = (await db.execute_query(f'SELECT COALESCE(MAX("id"), 0) AS top FROM "{table}"'))[1]
    start = int(rows[0]["top"]) + 1
    return list(range(start, start + count))
