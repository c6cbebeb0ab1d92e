"""`voronka run` serving the API from two processes on one port (ADR 0027).

A process under SIGSTOP accepts nothing, so while one of the two is stopped every answer comes
from the other: that is how these tests tell the processes apart from outside.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.cli.processes import (
    START_LIMIT_S,
    Output,
    alive,
    free_port,
    start_run,
    stop_run,
    wait_gone,
    wait_healthy,
)

SECOND = r"API 2 process started \(pid (\d+)\)"
LIMIT = 4


@contextmanager
def paused(pid: int) -> Iterator[None]:
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


def _start_two(tmp_path: Path, port: int) -> tuple[subprocess.Popen[str], Output, int]:
    """`voronka run` with two API processes, its output and its second process's pid."""
    process = start_run(
        tmp_path,
        port,
        VORONKA_API_WORKERS="2",
        VORONKA_SCHEDULER="false",
        VORONKA_RATE_LIMIT_PER_MINUTE=str(LIMIT),
    )
    output = Output(process)
    wait_healthy(process, port)
    second = int(output.wait_for(SECOND).group(1))
    _wait_serving_without(process.pid, port)
    return process, output, second


def _wait_serving_without(pid: int, port: int) -> None:
    """Until the other process answers while `pid` is stopped: it is up and serving."""
    deadline = time.monotonic() + START_LIMIT_S
    with paused(pid):
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
    raise AssertionError(f"no answer without process {pid} within {START_LIMIT_S} s")


def _sign_in(port: int, output: Output) -> dict[str, str]:
    password = output.wait_for(r"password: (\S+)").group(1)
    response = httpx.post(
        f"http://127.0.0.1:{port}/v1/auth/login",
        json={"login": "admin@voronka.test", "password": password},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _me(port: int, headers: dict[str, str]) -> httpx.Response:
    """On a connection of its own, which either process may accept."""
    return httpx.get(f"http://127.0.0.1:{port}/v1/me", headers=headers, timeout=10)


def _same_minute_ahead(seconds: float) -> None:
    """Wait for a new minute when fewer than `seconds` are left: the rate limit's window is the
    minute, and a test that straddles two windows counts from zero halfway through."""
    if 60 - time.time() % 60 < seconds:
        time.sleep(60 - time.time() % 60 + 0.5)


def test_both_processes_serve_the_port_and_count_one_rate_limit(tmp_path: Path) -> None:
    port = free_port()
    process, output, second = _start_two(tmp_path, port)
    parent = process.pid
    try:
        headers = _sign_in(port, output)
        _same_minute_ahead(30)
        with paused(parent):
            from_second = [_me(port, headers) for _ in range(2)]
        with paused(second):
            from_parent = [_me(port, headers) for _ in range(2)]
            over = _me(port, headers)
        with paused(parent):
            over_again = _me(port, headers)
    finally:
        stop_run(process)
    text = output.text()
    assert process.returncode == 0, text
    assert [r.status_code for r in from_second + from_parent] == [200] * 4, text
    assert [int(r.headers["RateLimit-Remaining"]) for r in from_second + from_parent] == [
        3,
        2,
        1,
        0,
    ]
    assert (over.status_code, over_again.status_code) == (429, 429)
    assert over.headers["content-type"] == "application/problem+json"
    assert int(over_again.headers["Retry-After"]) > 0
    assert wait_gone(second, 30), "the second API process stops with the first"
    assert "Traceback" not in text
    assert re.search(r"API: 2 process\(es\)", text)


def test_a_dead_api_process_is_started_again(tmp_path: Path) -> None:
    port = free_port()
    process = start_run(tmp_path, port, VORONKA_API_WORKERS="2", VORONKA_SCHEDULER="false")
    output = Output(process)
    try:
        wait_healthy(process, port)
        second = int(output.wait_for(SECOND).group(1))
        seen = len(output.lines)
        os.kill(second, signal.SIGKILL)
        output.wait_for(r"API 2 process exited with code -9; starting it again", after=seen)
        again = int(output.wait_for(SECOND, after=seen).group(1))
        _wait_serving_without(process.pid, port)
    finally:
        stop_run(process)
    text = output.text()
    assert process.returncode == 0, text
    assert not alive(again)
    assert "Traceback" not in text


def test_api_processes_stop_when_the_first_is_killed(tmp_path: Path) -> None:
    port = free_port()
    process = start_run(tmp_path, port, VORONKA_API_WORKERS="2")
    output = Output(process)
    try:
        wait_healthy(process, port)
        second = int(output.wait_for(SECOND).group(1))
        scheduler = int(output.wait_for(r"scheduler process started \(pid (\d+)\)").group(1))
    finally:
        process.kill()
        process.wait(timeout=20)
    assert wait_gone(second, 20), "an orphaned API process keeps serving the port"
    assert wait_gone(scheduler, 20)
    output.text()
