"""Texts of /find, in Russian and English (rendered with `texts.render`: values are escaped)."""

from __future__ import annotations

from models.text import Text

FIND_ASK = Text(
    "Что найти? Напишите имя, телефон или его последние 4 цифры, ИНН или email.",
    "What should I look for? Send a name, a phone or its last 4 digits, an INN or an email.",
)
FIND_FOUND = Text("Нашлось по запросу «{query}»:", "Found for “{query}”:")
FIND_MORE = Text(
    "Показаны первые {limit}. Уточните запрос: добавьте имя, последние 4 цифры телефона или ИНН.",
    "Showing the first {limit}. Narrow the search: add a first name, the last 4 digits of a "
    "phone or an INN.",
)
FIND_NOTHING = Text(
    "По запросу «{query}» ничего не нашлось. Попробуйте фамилию, последние 4 цифры телефона, "
    "ИНН или email.",
    "Nothing found for “{query}”. Try a last name, the last 4 digits of a phone, an INN or an "
    "email.",
)
INN = Text("ИНН {inn}", "INN {inn}")
CLOSED = Text("закрыта", "closed")
