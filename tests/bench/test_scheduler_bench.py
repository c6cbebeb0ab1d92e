"""bench/scheduler.py runs at a tiny size and prints its figures (a smoke: no time is asserted)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.sqlite_only

ROOT = Path(__file__).resolve().parents[2]


def test_the_scheduler_bench_prints_its_figures() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "bench/scheduler.py",
            "--burst",
            "300",
            "--steady",
            "120",
            "--steady-seconds",
            "3",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert re.search(r"burst: 300 reminders due in one minute → outbox in [\d.]+ s", done.stdout)
    assert re.search(r"steady: 6/6 reminders .* p50 [\d.]+ s, p99 [\d.]+ s", done.stdout)
