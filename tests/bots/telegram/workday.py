"""Helpers of the working-day tests (/today, /tasks, /deals): the frozen moment, and reading the
messages and buttons the bot sent."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.bots.conftest import BotHarness
from tests.doubles.telegram_api import ApiCall
from tests.doubles.telegram_updates import Person

# Monday 3 March 2025, 12:00 in Moscow (09:00 UTC).
MONDAY_NOON = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def keyboard(call: ApiCall) -> list[list[dict[str, Any]]]:
    markup = call.params.get("reply_markup") or {}
    return list(markup.get("inline_keyboard", []))


def labels(call: ApiCall) -> list[list[str]]:
    return [[button["text"] for button in row] for row in keyboard(call)]


def button(call: ApiCall, text: str) -> str:
    """The callback data of the button labelled `text`."""
    for row in keyboard(call):
        for item in row:
            if item["text"] == text:
                return str(item["callback_data"])
    raise AssertionError(f"no button {text!r} in {labels(call)}")


def last_message(telegram: BotHarness, person: Person) -> ApiCall:
    return telegram.api.sent(person.id)[-1]


def message_id(call: ApiCall) -> int:
    return int(call.result["message_id"])


def answers(telegram: BotHarness) -> list[ApiCall]:
    return telegram.api.calls_of("answerCallbackQuery")


def edits(telegram: BotHarness) -> list[ApiCall]:
    return telegram.api.calls_of("editMessageText")
