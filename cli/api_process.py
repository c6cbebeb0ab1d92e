"""The API's processes under `voronka run` (ADR 0027): the parent and `api_process_count - 1`
children each listen on the port with SO_REUSEPORT, and the kernel spreads new connections over
them by a hash of the client's address and port.

One event loop is one core: routing, dependency solving, the ORM and uvicorn are Python work, so
at 20 concurrent phones requests queued behind each other while the second core idled (the list
of 50 contacts: p95 about 100 ms from one process, about 45 ms from two). One socket shared by
all was the first try: whichever process woke first accepted every waiting connection, so 20
phones connecting at once could end up 17 to 3 (p95 45–91 ms against 46–57 ms with SO_REUSEPORT).
The bots and the scheduler stay single: the polling bot in the parent, the scheduler in its own
child.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
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

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        # What is alive once the app has started (modules, routes, schemas: some 170,000
        # objects) lives as long as the process. Frozen, the collector stops walking it: a full
        # collection paused the event loop for about 30 ms, every request in flight with it. What
        # startup left as garbage is collected first, or it would be kept for good.
        gc.collect()
        gc.freeze()


def listen(settings: Settings, *, shared: bool, first: bool = True) -> socket.socket:
    """A process's listening socket on the port, which the API processes share when `shared`.

    SO_REUSEPORT would also let this `voronka run` share the port with another one left running
    by mistake, which fails with "address in use" otherwise: the `first` process binds once
    without it, to fail the same way."""
    address = (settings.host, settings.port)
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    if shared and first:
        with socket.socket(family) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    sock = socket.socket(family)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if shared:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(address)
    return sock


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


def api_workers(settings: Settings, counters: Path | None) -> list[ChildProcess]:
    """The parent's sibling API processes, not started yet: the same settings from the same
    environment, and the host and port as `voronka run` was given them."""
    command = [*API_WORKER_COMMAND, "--host", settings.host, "--port", str(settings.port)]
    if counters is not None:
        command += ["--counters", str(counters)]
    return [
        ChildProcess(f"API {number}", command)
        for number in range(2, settings.api_process_count + 1)
    ]


async def serve_api_worker(settings: Settings, counters: Path | None) -> None:
    """One of `voronka run`'s extra API processes: serves on the shared port until SIGINT or
    SIGTERM, or until the parent is gone. The parent registers the Telegram webhook."""
    listener = listen(settings, shared=True, first=False)
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
            await server.serve(sockets=[listener])
        finally:
            orphaned.cancel()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(signum)
