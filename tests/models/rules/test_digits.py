"""Whole numbers typed as text: ASCII digits, within a maximum, whatever their length."""

from __future__ import annotations

import pytest

from models.rules.digits import MAX_ID, ascii_digits, whole_number


@pytest.mark.parametrize(
    ("text", "number"),
    [("0", 0), ("42", 42), ("0042", 42), ("0" * 5000 + "7", 7), (str(MAX_ID), MAX_ID)],
)
def test_a_number_within_the_maximum(text: str, number: int) -> None:
    assert whole_number(text, MAX_ID) == number


@pytest.mark.parametrize(
    "text",
    # int() refuses "²" and more than 4,300 digits; "٣" it would read as 3.
    ["", " 1", "-1", "1.0", "²", "٣", str(MAX_ID + 1), "9" * 30, "9" * 5000],
)
def test_anything_else_is_none(text: str) -> None:
    assert whole_number(text, MAX_ID) is None


def test_ascii_digits_only() -> None:
    assert ascii_digits("0123456789")
    assert not any(ascii_digits(text) for text in ("", "²", "٣", "1 2", "１"))
