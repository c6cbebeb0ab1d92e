"""`voronka run`'s child processes, its scheduler (ADR 0026) and its extra API processes (ADR 0027):
started with the API, restarted when they die, stopped with the API, and gone when the API
process is gone.

The relay's sends, the campaign feeder and the reminders are event-loop work: in the API's
process they queued in front of its requests, and the API's p95 during a fan-out was 1.6× its
idle p95. In a process of its own the scheduler takes the other core instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Sequence

log = logging.getLogger("voronka")

# The scheduler gives jobs in flight 10 s to finish (Clock.stop) before it releases its lease.
STOP_GRACE_S = 20.0
FIRST_RESTART_DELAY_S = 1.0
MAX_RESTART_DELAY_S = 60.0
# A child that ran this long before dying is restarted after the first delay again, not the
# grown one: it was healthy, this is a new failure.
HEALTHY_RUN_S = 60.0


SCHEDULER_COMMAND = (sys.executable, "-m", "cli.main", "scheduler", "--as-child")


class ChildProcess:
    """One command kept running until `stop`: a child that exits on its own, or cannot be
    started, is started again after 1 s, 2 s, 4 s … up to a minute while it keeps failing."""

    def __init__(self, name: str, command: Sequence[str]) -> None:
        self.name = name
        self.command = list(command)
        self.process: asyncio.subprocess.Process | None = None
        self._keeper: asyncio.Task[None] | None = None
        self._stopping = False

    async def start(self) -> None:
        await self._spawn()
        self._keeper = asyncio.create_task(self._keep_running(), name=f"{self.name}-keeper")

    def stop_restarting(self) -> None:
        """From the moment shutdown begins: a child that exits now (a service manager signals
        the whole group) is not started again behind the host's back."""
        self._stopping = True

    async def _spawn(self) -> None:
        # Its own session: a Ctrl-C at the terminal reaches the API, which stops the child in
        # order, rather than both at once racing for the database. Its stdin is a pipe this
        # process never writes to: when this process dies, even by SIGKILL, the pipe closes and
        # the child stops (`wait_for_parent_exit`).
        self.process = await asyncio.create_subprocess_exec(
            *self.command, stdin=asyncio.subprocess.PIPE, start_new_session=True
        )
        log.info("%s process started (pid %d)", self.name, self.process.pid)

    async def _keep_running(self) -> None:
        delay = FIRST_RESTART_DELAY_S
        loop = asyncio.get_running_loop()
        while not self._stopping:
            if self.process is not None:
                started = loop.time()
                code = await self.process.wait()
                if self._stopping:
                    return
                if loop.time() - started >= HEALTHY_RUN_S:
                    delay = FIRST_RESTART_DELAY_S
                log.warning(
                    "%s process exited with code %s; starting it again in %.0f s",
                    self.name,
                    code,
                    delay,
                )
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_RESTART_DELAY_S)
            if self._stopping:
                return
            try:
                await self._spawn()
            except OSError as error:
                # Out of processes or memory for a moment: try again, never give up silently.
                self.process = None
                log.error(
                    "%s process could not be started (%s); trying again in %.0f s",
                    self.name,
                    error,
                    delay,
                )

    async def stop(self) -> None:
        """SIGTERM, then SIGKILL if it has not finished within `STOP_GRACE_S`."""
        self.stop_restarting()
        if self._keeper is not None:
            self._keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._keeper
        process = self.process
        if process is None or process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), STOP_GRACE_S)
        except TimeoutError:
            log.warning("%s process did not stop in %.0f s: killed", self.name, STOP_GRACE_S)
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()


async def wait_for_parent_exit() -> None:
    """Return when standard input closes: `ChildProcess` gives its child a pipe it never writes
    to, which the kernel closes when the parent is gone however it died. PR_SET_PDEATHSIG is
    Linux-only and fires on the death of the parent's thread; polling the parent pid wakes up
    for nothing every second."""
    loop = asyncio.get_running_loop()
    closed: asyncio.Future[None] = loop.create_future()

    class _Watch(asyncio.Protocol):
        def connection_lost(self, exc: Exception | None) -> None:
            if not closed.done():
                closed.set_result(None)

    transport, _ = await loop.connect_read_pipe(_Watch, sys.stdin)
    try:
        await closed
    finally:
        transport.close()
