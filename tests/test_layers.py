"""The dependency rule: models/ imports nothing from the edges (bots, api, schedulers, cli)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EDGES = {"api", "bots", "schedulers", "cli"}


def _imported_top_levels(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_models_import_no_edge() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imported_top_levels(path) & EDGES)
        for path in (ROOT / "models").rglob("*.py")
    }
    assert {p: e for p, e in offenders.items() if e} == {}


def test_the_walker_sees_imports(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("import api.app\nfrom schedulers.clock import x\nfrom . import y\n")
    assert _imported_top_levels(probe) == {"api", "schedulers"}
