"""`voronka run` on a fresh data dir: migrates, shows the first admin once, serves, stops."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import IO

import httpx

from tests.cli.conftest import cli_command, cli_env

START_LIMIT_S = 60


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(tmp_path: Path, port: int, **settings: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        cli_command("run", "--port", str(port)),
        cwd=tmp_path,
        env=cli_env(tmp_path, **settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_healthy(process: subprocess.Popen[str], port: int) -> httpx.Response:
    deadline = time.monotonic() + START_LIMIT_S
    while time.monotonic() < deadline:
        assert process.poll() is None, "voronka run exited early"
        try:
            return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"no answer on /healthz within {START_LIMIT_S} s")


def _stop(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGINT)
    process.wait(timeout=40)


class _Output:
    """The lines a running process writes, read in a thread so the test can wait for one."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        assert process.stdout is not None
        self._thread = threading.Thread(target=self._read, args=(process.stdout,), daemon=True)
        self._thread.start()

    def _read(self, stream: IO[str]) -> None:
        with stream:
            for line in stream:
                self.lines.append(line)

    def wait_for(
        self, pattern: str, *, after: int = 0, limit_s: float = START_LIMIT_S
    ) -> re.Match[str]:
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline:
            for line in self.lines[after:]:
                if found := re.search(pattern, line):
                    return found
            time.sleep(0.1)
        raise AssertionError(f"no line matching {pattern!r} in:\n{''.join(self.lines)}")

    def text(self) -> str:
        self._thread.join(timeout=20)
        return "".join(self.lines)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def _wait_gone(pid: int, limit_s: float) -> bool:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.1)
    return False


STARTED = r"scheduler process started \(pid (\d+)\)"


def test_run_serves_health_and_stops_cleanly(tmp_path: Path) -> None:
    port = _free_port()
    process = _start(tmp_path, port)
    lines = _Output(process)
    try:
        response = _wait_healthy(process, port)
        lines.wait_for("scheduler started with")
    finally:
        _stop(process)
    output = lines.text()
    assert response.status_code == 200
    assert response.json()["database"] == "ok"
    assert process.returncode == 0, output
    assert "login:    admin@voronka.test" in output
    assert "password: " in output
    assert "Telegram bot is off" in output
    assert "scheduler started" in output
    assert "Traceback" not in output
    assert (tmp_path / "var" / "voronka.sqlite3").exists()

    second = _start(tmp_path, port)
    second_lines = _Output(second)
    try:
        _wait_healthy(second, port)
    finally:
        _stop(second)
    again = second_lines.text()
    assert "First administrator created" not in again
    assert second.returncode == 0, again


def test_run_without_its_scheduler_serves_the_api_only(tmp_path: Path) -> None:
    port = _free_port()
    process = _start(tmp_path, port, VORONKA_SCHEDULER="false")
    lines = _Output(process)
    try:
        response = _wait_healthy(process, port)
    finally:
        _stop(process)
    output = lines.text()
    assert response.status_code == 200
    assert process.returncode == 0, output
    assert "scheduler is off here" in output
    assert "scheduler process started" not in output
    assert "scheduler started" not in output


def test_a_dead_scheduler_process_is_started_again(tmp_path: Path) -> None:
    port = _free_port()
    process = _start(tmp_path, port)
    output = _Output(process)
    try:
        _wait_healthy(process, port)
        child = int(output.wait_for(STARTED).group(1))
        assert child != process.pid
        assert "scheduler" in Path(f"/proc/{child}/cmdline").read_text()
        output.wait_for("scheduler started with")
        seen = len(output.lines)

        os.kill(child, signal.SIGKILL)
        output.wait_for(r"scheduler process exited with code -9; starting it again", after=seen)
        again = int(output.wait_for(STARTED, after=seen).group(1))
        assert again != child
        assert _alive(again)
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
    finally:
        _stop(process)
    text = output.text()
    assert process.returncode == 0, text
    assert not _alive(again), "the API stops its scheduler process"
    assert "Traceback" not in text


def test_the_scheduler_process_stops_when_the_api_process_is_killed(tmp_path: Path) -> None:
    port = _free_port()
    process = _start(tmp_path, port)
    output = _Output(process)
    try:
        _wait_healthy(process, port)
        child = int(output.wait_for(STARTED).group(1))
        output.wait_for("scheduler started with")
    finally:
        process.kill()
        process.wait(timeout=20)
    assert _wait_gone(child, 20), "an orphaned scheduler process keeps running"
    output.text()
