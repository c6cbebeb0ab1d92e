"""Turning a search box text into conditions on indexed columns.

Four digits look up the last four digits of a phone; a longer number the whole phone; text with
"@" an email; 10 or 12 digits also an INN; anything else a name prefix.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.rules.emails import InvalidEmail, normalize_email
from models.rules.phones import InvalidPhone, normalize_phone


@dataclass(frozen=True, slots=True)
class SearchTerms:
    text: str
    last4: str | None = None
    phone: str | None = None
    email: str | None = None
    email_prefix: str | None = None
    inn: str | None = None


def parse_search(raw: str) -> SearchTerms:
    text = " ".join(raw.split())
    digits = "".join(ch for ch in text if ch.isdigit())
    numeric = digits and all(ch.isdigit() or ch in " +-()" for ch in text)
    last4 = digits if numeric and len(digits) == 4 else None
    phone = None
    if numeric and len(digits) >= 7:
        try:
            phone = normalize_phone(text)
        except InvalidPhone:
            phone = None
    inn = digits if numeric and len(digits) in (10, 12) else None
    email = email_prefix = None
    if "@" in text:
        try:
            email = normalize_email(text)
        except InvalidEmail:
            email_prefix = text.lower()
    return SearchTerms(text, last4, phone, email, email_prefix, inn)
