"""Email addresses: checked for shape and lowercased (no DNS look-up: the CRM works offline)."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email


class InvalidEmail(ValueError):
    pass


def normalize_email(raw: str) -> str:
    try:
        # test_environment admits the reserved ".test" domain used by demo accounts and fixtures.
        result = validate_email(raw.strip(), check_deliverability=False, test_environment=True)
    except EmailNotValidError:
        raise InvalidEmail(raw) from None
    return result.normalized.lower()
