"""Running a coroutine as a command: on uvloop where it exists."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any


def run_async(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Run on uvloop where it exists: its event loop and thread hand-offs (every aiosqlite query
    is one) cost a fraction of asyncio's, which bench/api.py shows in the API's throughput."""
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        return runner.run(coroutine)


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:  # Windows has no uvloop
        return None
    return uvloop.new_event_loop
