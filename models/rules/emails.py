"""Email addresses: checked for shape and lowercased (no DNS look-up: the CRM works offline)."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email


class InvalidEmail(ValueError):
    pass


def normalize_email(raw: str) -> str:
    try:
        result = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError:
        raise InvalidEmail(raw) from None
    return result.normalized.lower()
