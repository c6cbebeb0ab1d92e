"""`voronka run` serving the API from two processes on one port (ADR 0027).

The kernel spreads connections over the processes by a hash of the client's port, so the tests
send each request on a connection of its own and look up which process accepted it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx

from tests.cli.processes import (
    Output,
    Served,
    alive,
    free_port,
    get_served,
    start_run,
    stop_run,
    wait_gone,
    wait_healthy,
    wait_listening,
)

SECOND = r"API 2 process started \(pid (\d+)\)"
LIMIT = 1000
# Each connection lands on either process, so this many tries all miss one with odds of 2**-39.
TRIES = 40


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
    wait_listening(port, 2)
    return process, output, second


def _until_served_by(
    pid: int, port: int, pids: list[int], headers: dict[str, str] | None = None
) -> list[Served]:
    """Requests for /v1/me (or /healthz without `headers`) until `pid` has answered one."""
    path = "/v1/me" if headers else "/healthz"
    answers: list[Served] = []
    while len(answers) < TRIES:
        answers.append(get_served(port, path, pids, headers or {}))
        if answers[-1].pid == pid:
            return answers
    raise AssertionError(f"process {pid} answered none of {len(answers)} requests")


def _sign_in(port: int, output: Output) -> dict[str, str]:
    password = output.wait_for(r"password: (\S+)").group(1)
    response = httpx.post(
        f"http://127.0.0.1:{port}/v1/auth/login",
        json={"login": "admin@voronka.test", "password": password},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _same_minute_ahead(seconds: float) -> None:
    """Wait for a new minute when fewer than `seconds` are left: the rate limit's window is the
    minute, and a test that straddles two windows counts from zero halfway through."""
    if 60 - time.time() % 60 < seconds:
        time.sleep(60 - time.time() % 60 + 0.5)


def test_both_processes_serve_the_port_and_count_one_rate_limit(tmp_path: Path) -> None:
    port = free_port()
    process, output, second = _start_two(tmp_path, port)
    pids = [process.pid, second]
    try:
        headers = _sign_in(port, output)
        _same_minute_ahead(30)
        answers = _until_served_by(second, port, pids, headers)
        answers += _until_served_by(process.pid, port, pids, headers)
    finally:
        stop_run(process)
    text = output.text()
    assert process.returncode == 0, text
    assert {a.pid for a in answers} == set(pids)
    assert [a.status for a in answers] == [200] * len(answers)
    remaining = [int(a.headers["ratelimit-remaining"]) for a in answers]
    assert remaining == list(range(LIMIT - 1, LIMIT - 1 - len(answers), -1))
    assert wait_gone(second, 30), "the second API process stops with the first"
    assert "Traceback" not in text
    assert "API: 2 process(es)" in text


def test_a_dead_api_process_is_started_again(tmp_path: Path) -> None:
    port = free_port()
    process, output, second = _start_two(tmp_path, port)
    try:
        seen = len(output.lines)
        os.kill(second, signal.SIGKILL)
        output.wait_for(r"API 2 process exited with code -9; starting it again", after=seen)
        again = int(output.wait_for(SECOND, after=seen).group(1))
        wait_listening(port, 2)
        _until_served_by(again, port, [process.pid, again])
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
