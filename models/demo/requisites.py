"""Made-up Russian requisites with valid check digits: INN (10 and 12 digits), KPP, OGRN(IP)."""

from __future__ import annotations

import random

_INN10_WEIGHTS = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_WEIGHTS_11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_WEIGHTS_12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def _check_digit(digits: str, weights: tuple[int, ...]) -> str:
    return str(sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11 % 10)


def _digits(rng: random.Random, count: int) -> str:
    return "".join(str(rng.randrange(10)) for _ in range(count))


def organisation_inn(rng: random.Random, tax_office: str) -> str:
    """A 10-digit INN of an organisation registered at `tax_office` (4 digits, e.g. "7705")."""
    body = tax_office + _digits(rng, 5)
    return body + _check_digit(body, _INN10_WEIGHTS)


def person_inn(rng: random.Random, tax_office: str) -> str:
    """A 12-digit INN of a person (a sole trader)."""
    body = tax_office + _digits(rng, 6)
    body += _check_digit(body, _INN12_WEIGHTS_11)
    return body + _check_digit(body, _INN12_WEIGHTS_12)


def kpp(tax_office: str) -> str:
    """The KPP of an organisation's head office: tax office, reason 01 (registered there), 001."""
    return f"{tax_office}01001"


def ogrn(rng: random.Random, year: int, region: str) -> str:
    """A 13-digit OGRN: sign 1, the registration year, region, tax office, record number."""
    body = f"1{year % 100:02d}{region}{_digits(rng, 7)}"
    return body + str(int(body) % 11 % 10)


def ogrnip(rng: random.Random, year: int, region: str) -> str:
    """A 15-digit OGRNIP of a sole trader: sign 3, year, region, record number.

    The check digit is the last digit of the remainder mod 13. python-stdnum (and so
    models.rules.requisites) rejects remainders 10-12, so only numbers with a one-digit remainder
    are made.
    """
    while True:
        body = f"3{year % 100:02d}{region}{_digits(rng, 9)}"
        remainder = int(body) % 13
        if remainder < 10:
            return body + str(remainder)
