"""The language of a response, from Accept-Language (Russian unless English is preferred)."""

from __future__ import annotations

from models.text import LANGUAGES


def language_from_header(header: str | None, default: str = "ru") -> str:
    """The first supported language in Accept-Language order of preference (q values honoured)."""
    if not header:
        return default
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((-quality, position, tag.strip().lower().split("-")[0]))
    for negative_quality, _, language in sorted(ranked):
        if negative_quality < 0 and language in LANGUAGES:
            return language
    return default
