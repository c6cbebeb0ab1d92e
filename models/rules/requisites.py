"""Russian company requisites: INN, KPP, OGRN (OGRNIP), checked with python-stdnum."""

from __future__ import annotations

from stdnum.exceptions import ValidationError as StdnumError
from stdnum.ru import inn as stdnum_inn

from models.errors import FieldErrors
from models.rules.digits import ascii_digits
from models.text import Text

_INN_BAD = Text(
    "ИНН неверен: нужно 10 цифр (организация) или 12 (ИП) с верной контрольной суммой.",
    "Invalid INN: 10 digits (organisation) or 12 (sole trader) with a valid checksum.",
)
_KPP_BAD = Text(
    "КПП неверен: 9 символов — 4 цифры, 2 цифры или латинские буквы, 3 цифры.",
    "Invalid KPP: 9 characters — 4 digits, 2 digits or Latin letters, 3 digits.",
)
_OGRN_BAD = Text(
    "ОГРН неверен: 13 цифр (ОГРН) или 15 (ОГРНИП) с верной контрольной цифрой.",
    "Invalid OGRN: 13 digits (OGRN) or 15 (OGRNIP) with a valid check digit.",
)
_KPP_FOR_PERSON = Text("У ИП (ИНН из 12 цифр) нет КПП.", "A sole trader (12-digit INN) has no KPP.")


def _digits(raw: str) -> str:
    return "".join(raw.split())


def valid_inn(raw: str) -> str | None:
    value = _digits(raw)
    try:
        return str(stdnum_inn.validate(value))
    except StdnumError:
        return None


def valid_kpp(raw: str) -> str | None:
    value = _digits(raw).upper()
    if len(value) != 9 or not (ascii_digits(value[:4]) and ascii_digits(value[6:])):
        return None
    middle = value[4:6]
    if not all(ascii_digits(ch) or "A" <= ch <= "Z" for ch in middle):
        return None
    return value


def valid_ogrn(raw: str) -> str | None:
    """OGRN (13 digits: the first 12 mod 11, then mod 10) or OGRNIP (15 digits: the first 14
    mod 13, then mod 10). Checked here because python-stdnum skips the final mod 10 for OGRNIP
    and so refuses about a quarter of real ones."""
    value = _digits(raw)
    if not ascii_digits(value) or len(value) not in (13, 15) or value[0] == "0":
        return None
    modulus = 11 if len(value) == 13 else 13
    check = int(value[:-1]) % modulus % 10
    return value if check == int(value[-1]) else None


def check_requisites(
    inn: str | None, kpp: str | None, ogrn: str | None, errors: FieldErrors
) -> tuple[str | None, str | None, str | None]:
    """Normalise INN/KPP/OGRN; every invalid value is reported to `errors` under its field name."""
    clean_inn = clean_kpp = clean_ogrn = None
    if inn:
        clean_inn = valid_inn(inn)
        if clean_inn is None:
            errors.add("inn", "invalid_inn", _INN_BAD)
    if kpp:
        clean_kpp = valid_kpp(kpp)
        if clean_kpp is None:
            errors.add("kpp", "invalid_kpp", _KPP_BAD)
        elif clean_inn is not None and len(clean_inn) == 12:
            errors.add("kpp", "kpp_for_sole_trader", _KPP_FOR_PERSON)
    if ogrn:
        clean_ogrn = valid_ogrn(ogrn)
        if clean_ogrn is None:
            errors.add("ogrn", "invalid_ogrn", _OGRN_BAD)
    return clean_inn, clean_kpp, clean_ogrn
