import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.rules.phones import InvalidPhone, last_digits, normalize_phone


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("8 (916) 123-45-67", "+79161234567"),
        ("+7 916 1234567", "+79161234567"),
        ("9161234567", "+79161234567"),
        ("79161234567", "+79161234567"),
        ("  +7(916)123-45-67  ", "+79161234567"),
        ("8 495 123 45 67", "+74951234567"),
        ("8 800 555-35-35", "+78005553535"),
        ("+1 650 253 0000", "+16502530000"),
        ("+44 20 7946 0958", "+442079460958"),
        ("+375 29 123-45-67", "+375291234567"),
    ],
)
def test_normalize_phone_gives_e164(raw: str, e164: str) -> None:
    assert normalize_phone(raw) == e164


def test_foreign_number_without_plus_is_read_in_the_given_region() -> None:
    assert normalize_phone("(650) 253-0000", region="US") == "+16502530000"


@pytest.mark.parametrize(
    "raw",
    ["", "   ", "abc", "123", "+7 916 123", "8 (916) 123-45-6", "+999 1234", "916123456789012"],
)
def test_garbage_is_invalid_phone(raw: str) -> None:
    with pytest.raises(InvalidPhone):
        normalize_phone(raw)


def test_last_digits() -> None:
    assert last_digits("+79161234567") == "4567"
    assert last_digits("+79161234567", 2) == "67"


_MOBILE_CODES = st.sampled_from(["903", "916", "925", "926", "985", "999"])
_SEPARATORS = st.sampled_from(["", " ", "-", "  "])


@given(
    code=_MOBILE_CODES,
    rest=st.text("0123456789", min_size=7, max_size=7),
    prefix=st.sampled_from(["+7", "8", "7", ""]),
    sep=_SEPARATORS,
    brackets=st.booleans(),
)
def test_every_way_of_writing_a_russian_mobile_gives_one_e164(
    code: str, rest: str, prefix: str, sep: str, brackets: bool
) -> None:
    written_code = f"({code})" if brackets else code
    raw = sep.join([prefix, written_code, rest[:3], rest[3:5], rest[5:]]).strip()
    assert normalize_phone(raw) == f"+7{code}{rest}"


@given(st.text(alphabet="0123456789+()- ", max_size=20))
def test_normalizing_is_idempotent(raw: str) -> None:
    try:
        once = normalize_phone(raw)
    except InvalidPhone:
        return
    assert once.startswith("+")
    assert once[1:].isdigit()
    assert normalize_phone(once) == once
    assert normalize_phone(once, region="US") == once


@given(st.sampled_from(sorted(phonenumbers.SUPPORTED_REGIONS)))
def test_example_numbers_of_every_region_survive_a_second_pass(region: str) -> None:
    example = phonenumbers.example_number(region)
    if example is None:
        return
    national = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.NATIONAL)
    once = normalize_phone(national, region=region)
    assert normalize_phone(once) == once
