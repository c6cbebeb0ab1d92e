"""Inline keyboards, built from the `CallbackData` classes in `callbacks.py`."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bots.telegram.callbacks import LanguageChoice
from bots.telegram.texts import LANGUAGE_NAMES


def language_keyboard(current: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for code, name in LANGUAGE_NAMES.items():
        label = f"✓ {name}" if code == current else name
        builder.button(text=label, callback_data=LanguageChoice(language=code))
    return builder.as_markup()
