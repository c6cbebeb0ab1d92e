"""Tortoise's SQLite backend, with transactions that take the write lock up front and
datetime parameters in UTC.

Tortoise opens transactions with a deferred `BEGIN`. When another process holds the write lock, a
deferred transaction that reads and then writes cannot upgrade its lock and fails at once with
"database is locked", whatever `busy_timeout` says. `BEGIN IMMEDIATE` waits for the lock (up to
`busy_timeout`) before the first read instead. Before that, a top-level transaction queues for
the cross-process writer lock (models/sqlite_writer_lock.py), so that it neither starves in SQLite's
busy handler nor blocks its own process's reads while it waits. Referenced from the connection
config as `{"engine": "models.sqlite_engine"}`.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from tortoise.backends.base.client import TransactionalDBClient, TransactionContext
from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
)
from tortoise.connection import get_connections
from tortoise.exceptions import TransactionManagementError

from models.sqlite_writer_lock import WriterLock

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
        _, rows = await self.execute_query(query, values)
        return rows_as_dicts(rows)


def rows_as_dicts(rows: Sequence[sqlite3.Row]) -> list[dict[str, Any]]:
    """Rows as dicts keyed by column name, in column order.

    Tortoise's `dict(row)` looks every column up by name, comparing it with each column name in
    turn: on a list page of 50 rows that was a tenth of the request's CPU time (py-spy). The
    names are read once here instead. A name given twice keeps its first column's value, as
    `dict(row)` does.
    """
    if not rows:
        return []
    names = rows[0].keys()
    if len(set(names)) != len(names):
        return [dict(row) for row in rows]
    return [dict(zip(names, row, strict=True)) for row in rows]


class ImmediateTransactionWrapper(UtcParameters, SqliteTransactionWrapper):
    async def begin(self) -> None:
        try:
            await self._connection.commit()
            await self._connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise TransactionManagementError(exc) from exc


class WriterLockedTransactionContext(SqliteTransactionContext):
    """A top-level transaction: the writer lock, then Tortoise's connection lock and `BEGIN
    IMMEDIATE`; released in reverse order. Nested transactions are savepoints made by the
    wrapper (`NestedTransactionContext`) and never come here, so they do not queue again.

    `__aenter__` is Tortoise's, plus cleanup: Tortoise's keeps its connection lock when `BEGIN`
    fails or is cancelled (`async with` calls no `__aexit__` then), and every later statement of
    the process would wait for it forever.
    """

    def __init__(
        self, connection: ImmediateTransactionWrapper, trxlock: asyncio.Lock, writer: WriterLock
    ) -> None:
        super().__init__(connection, trxlock)
        self._writer = writer

    async def __aenter__(self) -> TransactionalDBClient:
        await self._writer.acquire()
        try:
            await self._trxlock.acquire()
            try:
                await self._begin()
            except BaseException:
                self._trxlock.release()
                raise
        except BaseException:
            self._writer.release()
            raise
        return self.connection

    async def _begin(self) -> None:
        await self.ensure_connection()
        self.token = get_connections().set(self.connection_name, self.connection)
        try:
            await self.connection.begin()
        except BaseException:
            get_connections().reset(self.token)
            # A cancelled BEGIN still runs on aiosqlite's thread and may open a transaction that
            # nobody owns; the rollback queues behind it on the same thread. Its own failure
            # would only hide the error that matters.
            with contextlib.suppress(Exception):
                await asyncio.shield(self.connection._connection.rollback())
            raise

    async def __aexit__(self, exc_type: Any, exc_val: Any, exc_tb: Any) -> None:
        try:
            await super().__aexit__(exc_type, exc_val, exc_tb)
        finally:
            self._writer.release()


class ImmediateSqliteClient(UtcParameters, SqliteClient):
    def __init__(self, file_path: str, **kwargs: Any) -> None:
        kwargs.setdefault("busy_timeout", BUSY_TIMEOUT_MS)
        kwargs.setdefault("synchronous", "NORMAL")
        super().__init__(file_path, **kwargs)
        self._writer_lock = WriterLock(file_path)

    def _in_transaction(self) -> TransactionContext:
        return WriterLockedTransactionContext(
            ImmediateTransactionWrapper(self), self._lock, self._writer_lock
        )


client_class = ImmediateSqliteClient
