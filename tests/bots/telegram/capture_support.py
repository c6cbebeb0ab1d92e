"""Helpers of the /new, /log and file tests: people linked to users, pressing the buttons the
bot showed by their labels, reading what the person sees, and messages with files."""

from __future__ import annotations

from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import StorageKey
from aiogram.types import Update

from models.actor import Actor
from models.entities import User
from tests.bots.conftest import BotHarness, link
from tests.doubles.telegram_updates import Person, message_dict

SHOWING = ("sendMessage", "editMessageText")


async def linked(actor: Actor, person: Person, language: str = "ru") -> Person:
    await User.filter(id=actor.user_id).update(language=language)
    await link(await User.get(id=actor.user_id), person)
    return person


def fsm(telegram: BotHarness, person: Person) -> FSMContext:
    key = StorageKey(bot_id=telegram.bot.id, chat_id=person.id, user_id=person.id)
    return FSMContext(storage=telegram.dispatcher.storage, key=key)


def said(telegram: BotHarness, person: Person) -> str:
    """The text of the bot's last message or edit in the person's chat."""
    for call in reversed(telegram.api.calls):
        if call.method in SHOWING and call.ok and call.params.get("chat_id") == person.id:
            return str(call.params["text"])
    raise AssertionError("the bot showed nothing")


def alerts(telegram: BotHarness) -> list[str]:
    """The texts of the answers to pressed buttons (toasts and alerts)."""
    return [
        str(call.params["text"])
        for call in telegram.api.calls_of("answerCallbackQuery")
        if call.params.get("text")
    ]


def _message_ids(telegram: BotHarness, person: Person) -> list[int]:
    ids: list[int] = []
    for call in telegram.api.calls:
        if call.method not in SHOWING or not call.ok or call.params.get("chat_id") != person.id:
            continue
        number = int(
            call.result["message_id"] if call.method == "sendMessage" else call.params["message_id"]
        )
        if number not in ids:
            ids.append(number)
    return ids


def buttons(telegram: BotHarness, person: Person) -> list[str]:
    """The labels of the buttons of the newest message that has any, as it stands now."""
    for number in reversed(_message_ids(telegram, person)):
        message = telegram.api.message(person.id, number)
        if message is not None and message.reply_markup:
            return [b["text"] for row in message.reply_markup["inline_keyboard"] for b in row]
    return []


def find_button(telegram: BotHarness, person: Person, label: str) -> tuple[int, str]:
    """The newest message (as it stands now) with a button whose label starts with `label`: its
    id and the button's callback data."""
    for number in reversed(_message_ids(telegram, person)):
        message = telegram.api.message(person.id, number)
        markup: dict[str, Any] = (message.reply_markup if message is not None else None) or {}
        for row in markup.get("inline_keyboard", []):
            for item in row:
                if str(item["text"]).startswith(label) and "callback_data" in item:
                    return number, str(item["callback_data"])
    raise AssertionError(f"no button {label!r}; last buttons: {buttons(telegram, person)}")


async def tap(telegram: BotHarness, person: Person, label: str) -> None:
    number, data = find_button(telegram, person, label)
    await telegram.press(person, data, message_id=number)


def file_update(
    person: Person,
    *,
    voice: tuple[str, int] | None = None,
    photo: tuple[str, int] | None = None,
    document: tuple[str, int, str, str] | None = None,
    caption: str | None = None,
) -> Update:
    """A message with a voice note (file_id, size), a photo (file_id, size) or a document
    (file_id, size, name, type), as Telegram sends it."""
    update = message_dict(person, "-")
    message = update["message"]
    del message["text"]
    if voice is not None:
        file_id, size = voice
        message["voice"] = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "duration": 4,
            "mime_type": "audio/ogg",
            "file_size": size,
        }
    if photo is not None:
        file_id, size = photo
        small = {"file_id": "small", "file_unique_id": "usmall", "width": 90, "height": 60}
        big = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "width": 1280,
            "height": 853,
            "file_size": size,
        }
        message["photo"] = [small, big]
    if document is not None:
        file_id, size, name, mime = document
        message["document"] = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_name": name,
            "mime_type": mime,
            "file_size": size,
        }
    if caption is not None:
        message["caption"] = caption
    return Update.model_validate(update)


async def send_file(telegram: BotHarness, person: Person, **options: Any) -> Any:
    return await telegram.dispatcher.feed_update(telegram.bot, file_update(person, **options))
