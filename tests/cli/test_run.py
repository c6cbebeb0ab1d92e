"""`voronka run` on a fresh data dir: migrates, shows the first admin once, serves, stops."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from pathlib import Path

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


def _stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=20)
    return output


def test_run_serves_health_and_stops_cleanly(tmp_path: Path) -> None:
    port = _free_port()
    process = _start(tmp_path, port)
    try:
        response = _wait_healthy(process, port)
    finally:
        output = _stop(process)
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
    try:
        _wait_healthy(second, port)
    finally:
        again = _stop(second)
    assert "First administrator created" not in again
    assert second.returncode == 0, again


def test_run_without_its_scheduler_serves_the_api_only(tmp_path: Path) -> None:
    port = _free_port()
    process = _start(tmp_path, port, VORONKA_SCHEDULER="false")
    try:
        response = _wait_healthy(process, port)
    finally:
        output = _stop(process)
    assert response.status_code == 200
    assert process.returncode == 0, output
    assert "scheduler is off here" in output
    assert "scheduler started" not in output
