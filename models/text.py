"""Texts people read, in every supported language (Russian first)."""

from __future__ import annotations

from dataclasses import dataclass

LANGUAGES = ("ru", "en")


@dataclass(frozen=True, slots=True)
class Text:
    ru: str
    en: str

    def get(self, language: str) -> str:
        return self.en if language == "en" else self.ru

    def format(self, **values: object) -> Text:
        return Text(self.ru.format(**values), self.en.format(**values))
