"""Money: `Decimal` in the domain, integer minor units (kopecks, cents) in storage."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from models.errors import FieldErrors
from models.text import Text

CURRENCIES = {"RUB": 2, "USD": 2, "EUR": 2, "CNY": 2, "KZT": 2, "BYN": 2}
MAX_AMOUNT = Decimal("1000000000000")  # one trillion: above it a typo is far likelier than a deal


def to_minor(amount: Decimal, currency: str) -> int:
    return int(amount.scaleb(CURRENCIES[currency]))


def from_minor(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-CURRENCIES.get(currency, 2))


def parse_amount(
    raw: Decimal | int | str | None, currency: str, errors: FieldErrors, field: str = "amount"
) -> int | None:
    """Validate an amount and return it in minor units; problems go to `errors`."""
    if currency not in CURRENCIES:
        errors.add(
            "currency",
            "unknown_currency",
            Text(
                "Неизвестная валюта; допустимы: {codes}.", "Unknown currency; use one of: {codes}."
            ).format(codes=", ".join(CURRENCIES)),
        )
        return None
    if raw is None or raw == "":
        return None
    if isinstance(raw, float):
        raise TypeError("money is never a float")
    try:
        # split() also drops the no-break spaces Russian formatting puts between thousands.
        amount = Decimal("".join(str(raw).split()).replace(",", "."))
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite():
        errors.add(
            field, "not_a_number", Text("Сумма должна быть числом.", "Amount must be a number.")
        )
        return None
    if amount < 0:
        errors.add(
            field,
            "negative",
            Text("Сумма не может быть отрицательной.", "Amount cannot be negative."),
        )
        return None
    if amount > MAX_AMOUNT:
        errors.add(field, "too_large", Text("Слишком большая сумма.", "The amount is too large."))
        return None
    exponent = CURRENCIES[currency]
    if amount != amount.quantize(Decimal(1).scaleb(-exponent)):
        errors.add(
            field,
            "too_precise",
            Text(
                "Не больше {n} знаков после запятой.", "At most {n} digits after the decimal point."
            ).format(n=exponent),
        )
        return None
    return to_minor(amount, currency)
