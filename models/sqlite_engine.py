"""Tortoise's SQLite backend, with transactions that take the write lock up front.

Tortoise opens transactions with a deferred `BEGIN`. When another process holds the write lock, a
deferred transaction that reads and then writes cannot upgrade its lock and fails at once with
"database is locked", whatever `busy_timeout` says. `BEGIN IMMEDIATE` waits for the lock (up to
`busy_timeout`) before the first read instead. Referenced from the connection config as
`{"engine": "models.sqlite_engine"}`.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from tortoise.backends.base.client import TransactionContext
from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
)
from tortoise.exceptions import TransactionManagementError

BUSY_TIMEOUT_MS = 15_000


class ImmediateTransactionWrapper(SqliteTransactionWrapper):
    async def begin(self) -> None:
        try:
            await self._connection.commit()
            await self._connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise TransactionManagementError(exc) from exc


class ImmediateSqliteClient(SqliteClient):
    def __init__(self, file_path: str, **kwargs: Any) -> None:
        kwargs.setdefault("busy_timeout", BUSY_TIMEOUT_MS)
        kwargs.setdefault("synchronous", "NORMAL")
        super().__init__(file_path, **kwargs)

    def _in_transaction(self) -> TransactionContext:
        return SqliteTransactionContext(ImmediateTransactionWrapper(self), self._lock)


client_class = ImmediateSqliteClient
