"""`voronka run` on a fresh data dir: migrates, shows the first admin once, serves, stops."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import httpx

from tests.cli.processes import (
    Output,
    alive,
    free_port,
    start_run,
    stop_run,
    wait_gone,
    wait_healthy,
)

STARTED = r"scheduler process started \(pid (\d+)\)"


def test_run_serves_health_and_stops_cleanly(tmp_path: Path) -> None:
    port = free_port()
    process = start_run(tmp_path, port)
    lines = Output(process)
    try:
        response = wait_healthy(process, port)
        lines.wait_for("scheduler started with")
    finally:
        stop_run(process)
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

    second = start_run(tmp_path, port)
    second_lines = Output(second)
    try:
        wait_healthy(second, port)
    finally:
        stop_run(second)
    again = second_lines.text()
    assert "First administrator created" not in again
    assert second.returncode == 0, again


def test_run_without_its_scheduler_serves_the_api_only(tmp_path: Path) -> None:
    port = free_port()
    process = start_run(tmp_path, port, VORONKA_SCHEDULER="false")
    lines = Output(process)
    try:
        response = wait_healthy(process, port)
    finally:
        stop_run(process)
    output = lines.text()
    assert response.status_code == 200
    assert process.returncode == 0, output
    assert "scheduler is off here" in output
    assert "scheduler process started" not in output
    assert "scheduler started" not in output


def test_a_dead_scheduler_process_is_started_again(tmp_path: Path) -> None:
    port = free_port()
    process = start_run(tmp_path, port)
    output = Output(process)
    try:
        wait_healthy(process, port)
        child = int(output.wait_for(STARTED).group(1))
        assert child != process.pid
        assert "scheduler" in Path(f"/proc/{child}/cmdline").read_text()
        output.wait_for("scheduler started with")
        seen = len(output.lines)

        os.kill(child, signal.SIGKILL)
        output.wait_for(r"scheduler process exited with code -9; starting it again", after=seen)
        again = int(output.wait_for(STARTED, after=seen).group(1))
        assert again != child
        assert alive(again)
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
    finally:
        stop_run(process)
    text = output.text()
    assert process.returncode == 0, text
    assert not alive(again), "the API stops its scheduler process"
    assert "Traceback" not in text


def test_the_scheduler_process_stops_when_the_api_process_is_killed(tmp_path: Path) -> None:
    port = free_port()
    process = start_run(tmp_path, port)
    output = Output(process)
    try:
        wait_healthy(process, port)
        child = int(output.wait_for(STARTED).group(1))
        output.wait_for("scheduler started with")
    finally:
        process.kill()
        process.wait(timeout=20)
    assert wait_gone(child, 20), "an orphaned scheduler process keeps running"
    output.text()
