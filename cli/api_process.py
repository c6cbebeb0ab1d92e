"""The API's processes under `voronka run` (ADR 0027): the parent binds the port and serves on it,
and `api_process_count - 1` children serve on the same listening socket, each connection taken
by whichever process accepts it first.

One event loop is one core: routing, dependency solving, the ORM and uvicorn are Python work, so
at 20 concurrent phones requests queued behind each other while the second core idled (the list
of 50 contacts: p95 about 100 ms from one process, about 45 ms from two). The bots and the
scheduler stay single: the polling bot in the parent, the scheduler in its own child.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from api.app import create_app
from cli.child import ChildProcess, wait_for_parent_exit
from cli.database import database
from models.settings import Settings

API_WORKER_COMMAND = (sys.executable, "-m", "cli.main", "api-worker")


class ApiServer(uvicorn.Server):
    """Uvicorn whose shutdown is driven by the host.

    Uvicorn re-raises a caught Ctrl-C after it stops serving; that KeyboardInterrupt would cut
    through the host's own clean-up (scheduler, bots, database connections) and leave the process
    hanging on an open SQLite thread. The host installs its own signal handlers instead.
    """

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    def request_exit(self) -> None:
        if self.should_exit:
            self.force_exit = True
        self.should_exit = True


def api_config(app: FastAPI, settings: Settings) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        lifespan="on",
    )


def shared_counters_path(settings: Settings) -> Path | None:
    """Where the API processes count requests for the rate limits when Redis does not: one
    process counts in its memory."""
    if settings.api_process_count == 1:
        return None
    folder = settings.data_dir / "run"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / "rate-limits"


def api_workers(
    settings: Settings, listener: socket.socket, counters: Path | None
) -> list[ChildProcess]:
    """The parent's sibling API processes, not started yet."""
    fd = listener.fileno()
    command = [*API_WORKER_COMMAND, "--fd", str(fd)]
    if counters is not None:
        command += ["--counters", str(counters)]
    return [
        ChildProcess(f"API {number}", command, pass_fds=(fd,))
        for number in range(2, settings.api_process_count + 1)
    ]


async def serve_api_worker(settings: Settings, fd: int, counters: Path | None) -> None:
    """One of `voronka run`'s extra API processes: serves on the parent's listening socket until
    SIGINT or SIGTERM, or until the parent is gone. The parent registers the Telegram webhook."""
    async with database(settings.database, migrate=False):
        app = create_app(
            settings, manage_database=False, shared_counters=counters, register_webhook=False
        )
        server = ApiServer(api_config(app, settings))
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, server.request_exit)
        orphaned = asyncio.create_task(wait_for_parent_exit())
        orphaned.add_done_callback(lambda _: server.request_exit())
        try:
            await server.serve(sockets=[socket.socket(fileno=fd)])
        finally:
            orphaned.cancel()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(signum)
