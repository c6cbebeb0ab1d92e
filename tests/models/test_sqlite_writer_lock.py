"""The cross-process writer lock of SQLite transactions (models/sqlite_writer_lock.py).

Another OS process holds the lock through a real transaction of models.sqlite_engine; this
process uses its own ImmediateSqliteClient on the same file. Every wait is bounded, so a lock that
leaks fails the test instead of hanging it.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import sqlite3
import sys
import time
from asyncio.subprocess import Process
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from tortoise.exceptions import TransactionManagementError

from models.sqlite_engine import ImmediateSqliteClient
from models.sqlite_writer_lock import lock_path

ROOT = Path(__file__).resolve().parents[2]
HOLD_S = 2.0
BOUND_S = 30.0

HOLDER = """
import asyncio, sys
from tortoise.transactions import in_transaction
from models.db import close_database, open_database

async def main(url, hold):
    await open_database(url)
    async with in_transaction():
        print("held", flush=True)
        await asyncio.sleep(float(hold))
    await close_database()

asyncio.run(main(*sys.argv[1:]))
"""


@pytest.fixture
async def database(db: str, tmp_path: Path) -> AsyncIterator[ImmediateSqliteClient]:
    """A client of our own on a fresh file (`db` only provides Tortoise's context)."""
    client = ImmediateSqliteClient(str(tmp_path / "shared.sqlite3"), connection_name="lock_test")
    await client.execute_script("CREATE TABLE t (n INTEGER)")
    yield client
    await client.close()


async def hold_writer_lock(path: str) -> Process:
    """Another process inside a transaction for HOLD_S seconds from when this returns."""
    holder = await asyncio.create_subprocess_exec(
        *(sys.executable, "-c", HOLDER, f"sqlite://{path}", str(HOLD_S)),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert holder.stdout is not None
    try:
        line = await asyncio.wait_for(holder.stdout.readline(), BOUND_S)
    except BaseException:
        holder.kill()
        raise
    if line != b"held\n":
        await finish(holder)
        raise AssertionError(line)
    return holder


async def finish(holder: Process) -> None:
    try:
        output, _ = await asyncio.wait_for(holder.communicate(), BOUND_S)
    except BaseException:
        holder.kill()
        raise
    assert holder.returncode == 0, output.decode()


async def write_one(client: ImmediateSqliteClient, n: int = 1) -> None:
    async with client._in_transaction() as connection:
        await connection.execute_query("INSERT INTO t VALUES (?)", [n])


async def count(client: ImmediateSqliteClient) -> int:
    _, rows = await asyncio.wait_for(client.execute_query("SELECT count(*) AS c FROM t"), BOUND_S)
    return int(rows[0]["c"])


def files_in(directory: Path) -> list[str]:
    return sorted(os.listdir(directory))


def nobody_holds(path: str) -> bool:
    lock_file = lock_path(path)
    assert lock_file is not None
    fd = os.open(lock_file, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


@pytest.mark.sqlite_only
async def test_reads_go_on_while_a_transaction_waits_for_another_process(
    database: ImmediateSqliteClient,
) -> None:
    holder = await hold_writer_lock(database.filename)
    waiting = asyncio.create_task(write_one(database))
    try:
        await asyncio.sleep(0.2)
        assert not waiting.done()

        started = time.monotonic()
        for _ in range(5):
            assert await count(database) == 0
        elapsed = time.monotonic() - started

        # Before the lock, the waiting transaction held the process's connection lock in SQLite's
        # busy handler and these reads waited for the other process (about HOLD_S).
        assert not waiting.done()
        assert elapsed < 1.0
        await asyncio.wait_for(waiting, BOUND_S)
    finally:
        waiting.cancel()
        await finish(holder)
    assert await count(database) == 1


@pytest.mark.sqlite_only
async def test_a_transaction_cancelled_while_waiting_leaves_no_lock_behind(
    database: ImmediateSqliteClient,
) -> None:
    holder = await hold_writer_lock(database.filename)
    try:
        cancelled = asyncio.create_task(write_one(database, 1))
        await asyncio.sleep(0.3)  # it is now blocked on the other process's lock, in a thread
        assert database._writer_lock.locked()
        cancelled.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(cancelled, BOUND_S)
        assert not database._writer_lock.locked()

        # The abandoned thread gets the file lock once the holder lets go, and must give it up.
        await asyncio.wait_for(write_one(database, 2), BOUND_S)
    finally:
        await finish(holder)
    _, rows = await database.execute_query("SELECT n FROM t")
    assert [row["n"] for row in rows] == [2]
    assert not database._writer_lock.locked()
    assert not database._lock.locked()
    assert nobody_holds(database.filename)


@pytest.mark.sqlite_only
async def test_a_failed_begin_releases_every_lock(db: str, tmp_path: Path) -> None:
    """A writer outside the lock (the sqlite3 tool) outlasts busy_timeout."""
    path = str(tmp_path / "shared.sqlite3")
    client = ImmediateSqliteClient(path, connection_name="lock_test", busy_timeout=100)
    await client.execute_script("CREATE TABLE t (n INTEGER)")
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(TransactionManagementError, match="locked"):
            await asyncio.wait_for(write_one(client), BOUND_S)
        other.execute("ROLLBACK")

        await asyncio.wait_for(write_one(client), BOUND_S)
        assert await count(client) == 1
        assert nobody_holds(path)
    finally:
        other.close()
        await client.close()


@pytest.mark.sqlite_only
async def test_a_begin_cancelled_in_sqlites_busy_handler_leaves_no_transaction_open(
    db: str, tmp_path: Path
) -> None:
    path = str(tmp_path / "shared.sqlite3")
    client = ImmediateSqliteClient(path, connection_name="lock_test", busy_timeout=5_000)
    await client.execute_script("CREATE TABLE t (n INTEGER)")
    other = sqlite3.connect(path, isolation_level=None, timeout=0)
    try:
        other.execute("BEGIN IMMEDIATE")
        cancelled = asyncio.create_task(write_one(client))
        await asyncio.sleep(0.3)  # past the writer lock, in BEGIN IMMEDIATE
        cancelled.cancel()
        await asyncio.sleep(0.1)
        other.execute("ROLLBACK")  # now the abandoned BEGIN IMMEDIATE succeeds
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(cancelled, BOUND_S)

        assert not client._writer_lock.locked()
        assert not client._lock.locked()
        other.execute("BEGIN IMMEDIATE")  # SQLite's write lock is free: fails at once if not
        other.execute("ROLLBACK")
        await asyncio.wait_for(write_one(client), BOUND_S)
        assert await count(client) == 1
    finally:
        other.close()
        await client.close()


@pytest.mark.sqlite_only
async def test_nested_transactions_do_not_queue_for_the_lock_again(
    database: ImmediateSqliteClient,
) -> None:
    async def nested() -> None:
        async with database._in_transaction() as outer:
            await outer.execute_query("INSERT INTO t VALUES (1)")
            async with outer._in_transaction() as inner:
                await inner.execute_query("INSERT INTO t VALUES (2)")

    await asyncio.wait_for(nested(), BOUND_S)
    assert await count(database) == 2
    assert nobody_holds(database.filename)


async def test_in_memory_databases_need_no_lock_file(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    client = ImmediateSqliteClient(":memory:", connection_name="lock_test")
    try:
        await client.execute_script("CREATE TABLE t (n INTEGER)")
        await asyncio.wait_for(write_one(client), BOUND_S)
        await asyncio.wait_for(write_one(client), BOUND_S)
        assert await count(client) == 2
    finally:
        await client.close()
    assert lock_path(":memory:") is None
    assert files_in(tmp_path) == []
