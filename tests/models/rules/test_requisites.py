import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.errors import FieldErrors, ValidationFailed
from models.rules.requisites import check_requisites, valid_inn, valid_kpp, valid_ogrn
from tests.factories import VALID_INNS
from tests.models.expect import error_fields

_W10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_W11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_W12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def _check(digits: str, weights: tuple[int, ...]) -> str:
    return str(sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11 % 10)


def inn10(body: str) -> str:
    return body + _check(body, _W10)


def inn12(body: str) -> str:
    with_11 = body + _check(body, _W11)
    return with_11 + _check(with_11, _W12)


def checksum_ok(inn: str) -> bool:
    if len(inn) == 10:
        return inn10(inn[:9]) == inn
    return inn12(inn[:10]) == inn


@pytest.mark.parametrize("inn", VALID_INNS)
def test_known_inns_are_valid(inn: str) -> None:
    assert valid_inn(inn) == inn


def test_inn_may_be_written_with_spaces() -> None:
    assert valid_inn(" 7707 083 893 ") == "7707083893"


@pytest.mark.parametrize(
    "inn",
    [
        "7707083894",  # wrong check digit
        "500100732258",  # wrong last check digit of a 12-digit INN
        "500100732269",  # wrong first check digit
        "770708389",  # 9 digits
        "77070838931",  # 11 digits
        "7707O83893",  # a letter O
        "",
    ],
)
def test_invalid_inns(inn: str) -> None:
    assert valid_inn(inn) is None


_DIGITS = "0123456789"


@given(st.text(_DIGITS, min_size=9, max_size=9))
def test_any_10_digit_inn_with_a_correct_checksum_is_accepted(body: str) -> None:
    assert valid_inn(inn10(body)) == inn10(body)


@given(st.text(_DIGITS, min_size=10, max_size=10))
def test_any_12_digit_inn_with_correct_checksums_is_accepted(body: str) -> None:
    assert valid_inn(inn12(body)) == inn12(body)


@given(
    st.one_of(
        st.text(_DIGITS, min_size=9, max_size=9).map(inn10),
        st.text(_DIGITS, min_size=10, max_size=10).map(inn12),
    ),
    st.integers(min_value=1, max_value=9),
)
def test_changing_the_check_digit_makes_an_inn_invalid(inn: str, delta: int) -> None:
    changed = inn[:-1] + str((int(inn[-1]) + delta) % 10)
    assert valid_inn(changed) is None


@given(
    st.one_of(
        st.text(_DIGITS, min_size=9, max_size=9).map(inn10),
        st.text(_DIGITS, min_size=10, max_size=10).map(inn12),
    ),
    st.data(),
)
def test_changing_any_digit_is_caught_unless_the_checksum_happens_to_match(
    inn: str, data: st.DataObject
) -> None:
    position = data.draw(st.integers(min_value=0, max_value=len(inn) - 1))
    delta = data.draw(st.integers(min_value=1, max_value=9))
    changed = inn[:position] + str((int(inn[position]) + delta) % 10) + inn[position + 1 :]
    # The mod-11-mod-10 checksum maps remainders 0 and 10 to the same digit, so a few one-digit
    # changes keep a valid checksum; every other change must be rejected.
    assert (valid_inn(changed) is not None) == checksum_ok(changed)


@pytest.mark.parametrize(
    ("kpp", "normal"),
    [("773601001", "773601001"), ("7736AB001", "7736AB001"), ("7736ab001", "7736AB001")],
)
def test_valid_kpp(kpp: str, normal: str) -> None:
    assert valid_kpp(kpp) == normal


@pytest.mark.parametrize(
    "kpp",
    ["77360100", "7736010011", "ABCD01001", "7736ЖЖ001", "7736-1001", "77360100X", "", "²" * 9],
)
def test_invalid_kpp(kpp: str) -> None:
    assert valid_kpp(kpp) is None


def _ogrn13(body: str) -> str:
    return body + str(int(body) % 11 % 10)


@pytest.mark.parametrize("ogrn", ["1027700132195", _ogrn13("102770013219"), "304500116000157"])
def test_valid_ogrn(ogrn: str) -> None:
    assert valid_ogrn(ogrn) == ogrn


@pytest.mark.parametrize(
    "ogrn",
    [
        "1027700132196",  # check digit
        "0027700132195",  # an OGRN does not start with 0
        "102770013219",  # 12 digits
        "10277001321950",  # 14 digits
        "304500116000158",  # OGRNIP check digit
        "504500116000157",  # an OGRNIP starts with 3 or 4
        "1" + "²" * 12,  # str.isdigit() takes "²", int() does not
    ],
)
def test_invalid_ogrn(ogrn: str) -> None:
    assert valid_ogrn(ogrn) is None


def test_check_requisites_normalises_valid_values() -> None:
    errors = FieldErrors()
    assert check_requisites("7707083893", "773601001", "1027700132195", errors) == (
        "7707083893",
        "773601001",
        "1027700132195",
    )
    assert errors.items == []


def test_check_requisites_reports_every_bad_field_at_once() -> None:
    errors = FieldErrors()
    assert check_requisites("123", "12", "1", errors) == (None, None, None)
    assert [(e.field, e.code) for e in errors.items] == [
        ("inn", "invalid_inn"),
        ("kpp", "invalid_kpp"),
        ("ogrn", "invalid_ogrn"),
    ]


def test_a_sole_trader_has_no_kpp() -> None:
    errors = FieldErrors()
    check_requisites("500100732259", "773601001", None, errors)
    assert [(e.field, e.code) for e in errors.items] == [("kpp", "kpp_for_sole_trader")]
    with pytest.raises(ValidationFailed) as raised:
        errors.raise_if_any()
    assert error_fields(raised.value) == ["kpp"]


def test_empty_requisites_are_fine() -> None:
    errors = FieldErrors()
    assert check_requisites(None, "", None, errors) == (None, None, None)
    assert errors.items == []


def test_ogrnip_whose_remainder_is_ten_or_more_is_valid() -> None:
    # 30450011600005 % 13 == 10, so the check digit is 10 % 10 == 0 (python-stdnum refuses it).
    assert valid_ogrn("304500116000050") == "304500116000050"
    assert valid_ogrn("304500116000051") is None
    assert valid_ogrn("0000000000000") is None
