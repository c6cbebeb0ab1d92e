from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.errors import FieldErrors
from models.rules.money import CURRENCIES, MAX_AMOUNT, from_minor, parse_amount, to_minor
from tests.models.expect import assert_bilingual


def parse(raw: object, currency: str = "RUB") -> tuple[int | None, list[tuple[str, str]]]:
    errors = FieldErrors()
    minor = parse_amount(raw, currency, errors)  # type: ignore[arg-type]
    for error in errors.items:
        assert_bilingual(error)
    return minor, [(e.field, e.code) for e in errors.items]


@pytest.mark.parametrize(
    ("raw", "minor"),
    [
        ("1 500,50", 150050),
        ("1500.5", 150050),
        ("0", 0),
        ("0,01", 1),
        (" 12 000 000 ", 1200000000),
        (Decimal("99.99"), 9999),
        (Decimal("1E+3"), 100000),
        (250, 25000),
        (MAX_AMOUNT, int(MAX_AMOUNT) * 100),
    ],
)
def test_parse_amount_in_minor_units(raw: object, minor: int) -> None:
    assert parse(raw) == (minor, [])


@pytest.mark.parametrize("raw", [None, ""])
def test_no_amount_is_none_without_errors(raw: object) -> None:
    assert parse(raw) == (None, [])


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("-1", "negative"),
        (-5, "negative"),
        (Decimal("-0.01"), "negative"),
        ("1,005", "too_precise"),
        (Decimal("10.001"), "too_precise"),
        ("сто рублей", "not_a_number"),
        ("1.2.3", "not_a_number"),
        (MAX_AMOUNT + 1, "too_large"),
    ],
)
def test_bad_amounts_are_reported_under_the_field(raw: object, code: str) -> None:
    assert parse(raw) == (None, [("amount", code)])


def test_the_field_name_is_the_callers() -> None:
    errors = FieldErrors()
    parse_amount("-1", "RUB", errors, field="budget")
    assert [e.field for e in errors.items] == ["budget"]


def test_unknown_currency_names_the_currency_field() -> None:
    minor, errors = parse("100", "XYZ")
    assert minor is None
    assert errors == [("currency", "unknown_currency")]


@pytest.mark.parametrize("raw", [1.5, 0.0, 100.0])
def test_floats_are_refused(raw: float) -> None:
    with pytest.raises(TypeError):
        parse_amount(raw, "RUB", FieldErrors())  # type: ignore[arg-type]


@given(
    st.decimals(min_value=0, max_value=MAX_AMOUNT, places=2, allow_nan=False),
    st.sampled_from(sorted(CURRENCIES)),
)
def test_minor_units_round_trip(amount: Decimal, currency: str) -> None:
    minor = to_minor(amount, currency)
    assert isinstance(minor, int)
    assert from_minor(minor, currency) == amount


@given(st.integers(min_value=0, max_value=int(MAX_AMOUNT) * 100))
def test_parsing_a_formatted_amount_gives_back_its_minor_units(minor: int) -> None:
    amount = from_minor(minor, "RUB")
    written = f"{amount:,.2f}".replace(",", " ").replace(".", ",")  # "1 500,50"
    assert parse(written) == (minor, [])


@pytest.mark.parametrize("raw", ["1\u00a0500,50", "1\u202f500,50", "1 500,50\t"])
def test_amounts_copied_with_russian_thousands_separators_are_read(raw: str) -> None:
    # Russian number formatting (Excel, 1C, bank statements) groups thousands with a no-break space.
    assert parse(raw) == (150050, [])


@pytest.mark.parametrize("raw", ["NaN", "Infinity", "-Infinity", "sNaN"])
def test_not_a_number_is_not_called_negative(raw: str) -> None:
    assert parse(raw) == (None, [("amount", "not_a_number")])
