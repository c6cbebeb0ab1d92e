"""Helpers of the /find and card tests: people linked to the org's users, and reading the
messages, edits and buttons the bot sent."""

from __future__ import annotations

from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import StorageKey

from bots.telegram import context
from models.actor import Actor
from models.entities import User
from tests.bots.conftest import BotHarness, link
from tests.doubles.telegram_api import ApiCall
from tests.doubles.telegram_updates import Person


async def linked(actor: Actor, person: Person, language: str | None = None) -> Person:
    user = await User.get(id=actor.user_id)
    if language is not None:
        await User.filter(id=user.id).update(language=language)
    await link(user, person)
    return person


def keyboard(call: ApiCall) -> list[list[dict[str, Any]]]:
    markup = call.params.get("reply_markup") or {}
    return list(markup.get("inline_keyboard", []))


def labels(call: ApiCall) -> list[list[str]]:
    return [[item["text"] for item in row] for row in keyboard(call)]


def data(call: ApiCall, label: str) -> str:
    """The callback data of the button whose label starts with `label`."""
    for row in keyboard(call):
        for item in row:
            if item["text"].startswith(label) and "callback_data" in item:
                return str(item["callback_data"])
    raise AssertionError(f"no button {label!r} in {labels(call)}")


def last_sent(telegram: BotHarness, person: Person) -> ApiCall:
    return telegram.api.sent(person.id)[-1]


def message_id(call: ApiCall) -> int:
    return int(call.result["message_id"])


def calls(telegram: BotHarness, method: str) -> list[ApiCall]:
    return telegram.api.calls_of(method)


def shown(telegram: BotHarness, person: Person, message: int) -> str:
    """The text of a bot message as the person sees it now (after edits)."""
    found = telegram.api.message(person.id, message)
    assert found is not None
    assert found.text is not None
    return found.text


def fsm(telegram: BotHarness, person: Person) -> FSMContext:
    key = StorageKey(bot_id=telegram.bot.id, chat_id=person.id, user_id=person.id)
    return FSMContext(storage=telegram.dispatcher.storage, key=key)


async def in_context(telegram: BotHarness, person: Person) -> context.InContext | None:
    return await context.current(fsm(telegram, person))
