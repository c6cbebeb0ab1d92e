"""Tortoise's SQLite backend, with transactions that take the write lock up front and
datetime parameters in UTC.

Tortoise opens transactions with a deferred `BEGIN`. When another process holds the write lock, a
deferred transaction that reads and then writes cannot upgrade its lock and fails at once with
"database is locked", whatever `busy_timeout` says. `BEGIN IMMEDIATE` waits for the lock (up to
`busy_timeout`) before the first read instead. Referenced from the connection config as
`{"engine": "models.sqlite_engine"}`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from tortoise.backends.base.client import TransactionContext
from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
)
from tortoise.exceptions import TransactionManagementError

BUSY_TIMEOUT_MS = 15_000


def _in_utc(values: Sequence[Any] | None) -> Any:
    """Aware datetimes as UTC. SQLite compares the stored text, and rows are stored in UTC, so a
    parameter with another offset ("…+03:00") would compare wrongly against them."""
    if values is None:
        return None
    return [
        v.astimezone(UTC) if isinstance(v, datetime) and v.tzinfo is not None else v for v in values
    ]


class UtcParameters:
    """Normalises query parameters of every statement (mixed into the client and transactions)."""

    async def execute_insert(self, query: str, values: list[Any]) -> int:
        return await super().execute_insert(query, _in_utc(values))  # type: ignore[misc]

    async def execute_many(self, query: str, values: list[list[Any]]) -> None:
        await super().execute_many(query, [_in_utc(v) for v in values])  # type: ignore[misc]

    async def execute_query(self, query: str, values: list[Any] | None = None) -> Any:
        return await super().execute_query(query, _in_utc(values))  # type: ignore[misc]

    async def execute_query_dict(self, query: str, values: list[Any] | None = None) -> Any:
        return await super().execute_query_dict(query, _in_utc(values))  # type: ignore[misc]


class ImmediateTransactionWrapper(UtcParameters, SqliteTransactionWrapper):
    async def begin(self) -> None:
        try:
            await self._connection.commit()
            await self._connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise TransactionManagementError(exc) from exc


class ImmediateSqliteClient(UtcParameters, SqliteClient):
    def __init__(self, file_path: str, **kwargs: Any) -> None:
        kwargs.setdefault("busy_timeout", BUSY_TIMEOUT_MS)
        kwargs.setdefault("synchronous", "NORMAL")
        super().__init__(file_path, **kwargs)

    def _in_transaction(self) -> TransactionContext:
        return SqliteTransactionContext(ImmediateTransactionWrapper(self), self._lock)


client_class = ImmediateSqliteClient
