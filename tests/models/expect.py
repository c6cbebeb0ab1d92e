"""Assertions shared by the domain tests."""

from __future__ import annotations

from models.errors import FieldError, ValidationFailed


def error_fields(exc: ValidationFailed) -> list[str]:
    """The fields a ValidationFailed names, in order; each must say what is wrong in ru and en."""
    for error in exc.errors:
        assert_bilingual(error)
    return [e.field for e in exc.errors]


def error_codes(exc: ValidationFailed) -> dict[str, str]:
    return {e.field: e.code for e in exc.errors}


def assert_bilingual(error: FieldError) -> None:
    assert error.message.ru.strip(), error
    assert error.message.en.strip(), error
    assert error.message.ru != error.message.en, error
    assert any("а" <= ch.lower() <= "я" for ch in error.message.ru), error
