"""Texts of the absence buttons (Take back · Leave) in Russian and English. Values are escaped
by `texts.render`; button answers are plain text."""

from __future__ import annotations

from models.text import Text

TAKEN_BACK = Text(
    "Вернули вам: {returned}. Остались у коллег (закрыты или переданы дальше): {gone}.",
    "Back with you: {returned}. Left with colleagues (closed or passed on): {gone}.",
)
LEFT = Text(
    "Хорошо, работа остаётся у коллег: {kept}.",
    "Fine, the work stays with your colleagues: {kept}.",
)
TAKEN_BACK_TOAST = Text("Работа возвращена", "The work is back with you")
LEFT_TOAST = Text("Оставлено у коллег", "Left with your colleagues")
GONE = Text(
    "Это предложение не найдено: оно не ваше или его отменили.",
    "This offer was not found: it is not yours or it was withdrawn.",
)
