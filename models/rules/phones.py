"""Phone numbers: normalised to E.164 with `phonenumbers`, Russia the default region."""

from __future__ import annotations

import phonenumbers

DEFAULT_REGION = "RU"


class InvalidPhone(ValueError):
    pass


def normalize_phone(raw: str, region: str = DEFAULT_REGION) -> str:
    """The E.164 form of `raw` ("8 (916) 123-45-67" → "+79161234567"); raises InvalidPhone."""
    text = raw.strip()
    if not text:
        raise InvalidPhone(raw)
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise InvalidPhone(raw) from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(raw)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def last_digits(e164: str, count: int = 4) -> str:
    return e164[-count:]
