"""What text a record is found by, and how a search box text becomes search terms. Pure.

Four digits look up the last four digits of a phone, a longer number the whole phone, text with
"@" an email, 10 or 12 digits also an INN; words are matched by prefix.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
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


_WORD = re.compile(r"[^\W_]+")  # letters and digits: what the full-text tokenizers keep
MAX_TERMS = 8


def normalize(text: str) -> str:
    """Lower case, and ё read as е (Russian writers use them interchangeably)."""
    return text.lower().replace("ё", "е")


def phone_words(e164: str) -> list[str]:
    """A phone is found by its full digits, its national digits and its last four digits."""
    digits = e164.lstrip("+")
    words = [digits, digits[-4:]]
    if digits.startswith("7") and len(digits) == 11:
        words.append(digits[1:])
    return words


def document(parts: Iterable[str | None], phones: Iterable[str] = ()) -> str:
    """Plain words only: punctuation would make the dialects' parsers disagree (PostgreSQL
    keeps "ivan@corp.test" as one token where SQLite's FTS5 sees three words)."""
    words = [word for p in parts if p for word in _WORD.findall(normalize(p))]
    for phone in phones:
        words.extend(phone_words(phone))
    return " ".join(words)


def search_terms(raw: str) -> list[str]:
    """Word prefixes that must all be present. A phone in any format becomes its digits."""
    terms = parse_search(raw)
    if terms.phone:
        return [terms.phone.lstrip("+")]
    return _WORD.findall(normalize(raw))[:MAX_TERMS]
