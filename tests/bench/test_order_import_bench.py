"""bench/order_import.py runs at a tiny size and prints its figures (a smoke: no time asserted)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.sqlite_only

ROOT = Path(__file__).resolve().parents[2]


def test_the_order_import_bench_prints_its_figures() -> None:
    done = subprocess.run(
        [sys.executable, "bench/order_import.py", "--rows", "20"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert re.search(r"first import: [\d.]+ s .*; created 20$", done.stdout, re.MULTILINE)
    assert re.search(r"same file again: .*; unchanged 20$", done.stdout, re.MULTILINE)
    assert re.search(r"status changes: .*; status_changed 20$", done.stdout, re.MULTILINE)
    assert "sqlite: outbox rows 30" in done.stdout
