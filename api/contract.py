"""The committed OpenAPI document in mobile_contracts/, generated from the app itself."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from api.app import create_app
from models.settings import Settings

CONTRACT = Path(__file__).resolve().parents[1] / "mobile_contracts" / "openapi.json"


def current_contract() -> dict[str, Any]:
    """The spec as the code describes it, independent of local settings."""
    app = create_app(Settings(database_url="sqlite://:memory:"), manage_database=False)
    spec: dict[str, Any] = app.openapi()
    return spec


def render(spec: dict[str, Any]) -> str:
    return json.dumps(spec, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def write_contract(path: str | Path = CONTRACT) -> None:
    Path(path).write_text(render(current_contract()), encoding="utf-8")
