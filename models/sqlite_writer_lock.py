"""One writer at a time across the processes that share a SQLite file, without stalling reads.

Every process (each `voronka run` API process, the scheduler child, a `voronka createuser`) opens
the same SQLite file, and every transaction begins with `BEGIN IMMEDIATE` (ADR 0004). Left to
SQLite, waiting for another process's write lock goes wrong twice:

1. SQLite's busy handler polls with sleeps that grow to 100 ms. A waiter in one process keeps
   missing the moments the lock is free while the other process takes it again and again, so
   writes of the losing process starve (p95 of a small write grew 2.5-3.5 times with two API
   processes).
2. Tortoise shares one connection per process behind one `asyncio.Lock`, which every statement
   takes (reads too) and a transaction holds from `BEGIN` to the end. A transaction sitting in the
   busy handler therefore blocks every read of its own process until the other process commits.

So writers queue here first: in an `asyncio.Lock` (FIFO within the process), then on an exclusive
`flock` of `<database file>.writer-lock` that the kernel hands straight to a blocked waiter. Both
waits happen before Tortoise's lock is taken, so the process keeps answering reads meanwhile.
SQLite's `busy_timeout` stays as the backstop for writers that do not come through here
(autocommit statements, the `sqlite3` tool).
"""

from __future__ import annotations

import asyncio
import fcntl
import os

MEMORY_DATABASES = frozenset({":memory:", ""})
SUFFIX = ".writer-lock"


def lock_path(database_file: str) -> str | None:
    """The lock file beside a database file; None for private (in-memory or temporary) ones."""
    if database_file in MEMORY_DATABASES:
        return None
    return database_file + SUFFIX


class WriterLock:
    """Held by a top-level transaction from before `BEGIN IMMEDIATE` until after its end."""

    def __init__(self, database_file: str) -> None:
        self.path = lock_path(database_file)
        # flock belongs to the open file description, which every coroutine of this process
        # would share: the process's writers must queue among themselves first.
        self._local = asyncio.Lock()
        self._fd: int | None = None

    def locked(self) -> bool:
        return self._local.locked()

    async def acquire(self) -> None:
        await self._local.acquire()
        try:
            if self.path is not None:
                self._fd = await self._lock_file(self.path)
        except BaseException:
            self._local.release()
            raise

    def release(self) -> None:
        fd, self._fd = self._fd, None
        try:
            if fd is not None:
                _unlock(fd)
        finally:
            self._local.release()

    @staticmethod
    async def _lock_file(path: str) -> int:
        # A new descriptor each time: one kept open would be inherited by a forked child, which
        # would then share (and could release) this process's lock. Read-only is enough for
        # flock and works whichever user created the file.
        fd = os.open(path, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            pass
        except BaseException:
            os.close(fd)
            raise
        waiting = asyncio.get_running_loop().run_in_executor(None, fcntl.flock, fd, fcntl.LOCK_EX)
        try:
            # Shielded: cancelling the future would not stop the thread, which would then take
            # the lock for nobody. The done-callback lets go of whatever the thread gets.
            await asyncio.shield(waiting)
        except asyncio.CancelledError:
            waiting.add_done_callback(lambda _: _close(fd))
            raise
        except BaseException:
            os.close(fd)
            raise
        return fd


def _unlock(fd: int) -> None:
    try:
        fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _close(fd: int) -> None:
    # Closing the last descriptor of the open file description releases its flock, if taken.
    os.close(fd)
