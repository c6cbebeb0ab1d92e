"""SQL built for the hand-written reads (models/queries/rows.py)."""

from __future__ import annotations

import pytest

from models.entities import User
from models.queries.rows import sqlite_json_object


async def test_a_field_without_a_json_form_on_sqlite_is_refused_by_name(db: str) -> None:
    # A boolean is stored as 0 or 1 and would be written as a number, not as true or false.
    with pytest.raises(TypeError, match="is_active"):
        sqlite_json_object(User, '"app_user"', ["id", "is_active"], {})
