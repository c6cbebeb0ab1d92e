"""Entity docstrings become table comments, and Tortoise's SQLite migration runner splits
statements on ';' — a semicolon in a docstring breaks the migration (see ADR 0009)."""

from __future__ import annotations

from tortoise.models import Model

from models import entities


def test_no_entity_docstring_contains_a_semicolon() -> None:
    offenders = [
        name
        for name in entities.__all__
        if isinstance(model := getattr(entities, name), type)
        and issubclass(model, Model)
        and ";" in (model.__doc__ or "")
    ]
    assert offenders == []
