"""Two `voronka scheduler` processes on one SQLite file: only the leader's jobs run, and the
other takes over when the leader stops. Bounded: about ten seconds."""

from __future__ import annotations

import contextlib
import itertools
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.cli.conftest import cli_env

pytestmark = pytest.mark.sqlite_only

LIMIT_S = 30


def _start(tmp_path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.schedulers.probe_scheduler", "scheduler"],
        cwd=Path(__file__).resolve().parents[2],
        env=cli_env(tmp_path, VORONKA_LOG_LEVEL="INFO"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _ticks(db: Path) -> list[tuple[str, float]]:
    with sqlite3.connect(db, timeout=10) as conn:
        return list(conn.execute("SELECT holder, at FROM probe_tick ORDER BY at"))


def _wait_for(db: Path, holder: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + LIMIT_S
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[0]
        if any(h == holder for h, _ in _ticks(db)):
            return
        time.sleep(0.1)
    raise AssertionError(f"{holder} did no work within {LIMIT_S} s")


def _stop(process: subprocess.Popen[str], outputs: dict[int, str]) -> None:
    if process.pid in outputs:
        return
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    outputs[process.pid] = process.communicate(timeout=20)[0]


def test_two_scheduler_processes_never_both_work(tmp_path: Path) -> None:
    db = tmp_path / "var" / "voronka.sqlite3"
    db.parent.mkdir(parents=True)
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE probe_tick (holder TEXT NOT NULL, at REAL NOT NULL)")
    first = _start(tmp_path)
    second: subprocess.Popen[str] | None = None
    outputs: dict[int, str] = {}
    try:
        _wait_for(db, f"pid{first.pid}", first)
        second = _start(tmp_path)
        time.sleep(3)  # the second process is up, its lease job ticks every 0.3 s
        assert second.poll() is None, second.communicate()[0]
        assert {h for h, _ in _ticks(db)} == {f"pid{first.pid}"}, "the follower did work"
        stopped_at = time.time()
        _stop(first, outputs)
        _wait_for(db, f"pid{second.pid}", second)
    finally:
        _stop(first, outputs)
        if second is not None:
            _stop(second, outputs)
    assert first.returncode == 0, outputs
    assert second is not None
    assert second.returncode == 0, outputs
    ticks = _ticks(db)
    holders = [h for h, _ in ticks]
    switches = sum(1 for a, b in itertools.pairwise(holders) if a != b)
    assert switches == 1, "one hand-over, no interleaving"
    assert min(at for h, at in ticks if h == f"pid{second.pid}") >= stopped_at
    for output in outputs.values():
        assert output.count("scheduler leader: this process") == 1, output
        assert "Traceback" not in output, output
    assert "scheduler follower" in outputs[first.pid]


def test_ctrl_c_stops_the_scheduler_and_releases_the_lease(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "scheduler"],
        cwd=tmp_path,
        env=cli_env(tmp_path, VORONKA_LOG_LEVEL="INFO"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    db = tmp_path / "var" / "voronka.sqlite3"
    deadline = time.monotonic() + LIMIT_S
    holder: list[tuple[str]] = []
    while time.monotonic() < deadline and not holder:
        assert process.poll() is None, process.communicate()[0]
        time.sleep(0.2)
        if db.exists():
            with contextlib.suppress(sqlite3.OperationalError):  # not migrated yet
                with sqlite3.connect(db, timeout=10) as conn:
                    holder = list(conn.execute("SELECT holder FROM scheduler_lease"))
    assert holder, "no lease taken"
    process.send_signal(signal.SIGINT)
    output = process.communicate(timeout=20)[0]
    assert process.returncode == 0, output
    assert "Traceback" not in output, output
    assert "scheduler follower" in output
    with sqlite3.connect(db) as conn:
        ((expires_at,),) = conn.execute("SELECT expires_at FROM scheduler_lease")
    assert datetime.fromisoformat(expires_at) <= datetime.now(UTC), "released on the way out"
