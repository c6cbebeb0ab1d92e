from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

Voronka = Callable[..., subprocess.CompletedProcess[str]]


def cli_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A clean environment: no VORONKA_* from the developer's shell, data under tmp_path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VORONKA_")}
    env["VORONKA_DATA_DIR"] = str(tmp_path / "var")
    env.update(extra)
    return env


def cli_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "cli.main", *args]


@pytest.fixture
def voronka(tmp_path: Path) -> Voronka:
    def run(*args: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            cli_command(*args),
            cwd=tmp_path,
            env=cli_env(tmp_path, **env),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    return run
