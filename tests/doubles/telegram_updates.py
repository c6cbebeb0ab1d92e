"""Builders of Telegram updates as a person's app would produce them: a message in a private
chat, a pressed inline button. `*_dict` give the JSON Telegram POSTs to a webhook; the others
give aiogram `Update` objects for `Dispatcher.feed_update`."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from typing import Any

from aiogram.types import Update

_update_ids = itertools.count(10_000)
_message_ids = itertools.count(1)


@dataclass(frozen=True)
class Person:
    """A Telegram account: its id is also its private chat's id."""

    id: int
    first_name: str = "Иван"
    language_code: str | None = "ru"
    username: str | None = None

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.language_code is not None:
            data["language_code"] = self.language_code
        if self.username is not None:
            data["username"] = self.username
        return data

    def chat(self) -> dict[str, Any]:
        return {"id": self.id, "type": "private", "first_name": self.first_name}


def next_update_id() -> int:
    return next(_update_ids)


def message_dict(
    person: Person,
    text: str,
    *,
    update_id: int | None = None,
    chat: dict[str, Any] | None = None,
) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": next(_message_ids),
        "date": int(time.time()),
        "chat": chat or person.chat(),
        "from": person.as_dict(),
        "text": text,
    }
    if text.startswith("/"):
        command = text.split(maxsplit=1)[0]
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    return {"update_id": update_id or next_update_id(), "message": message}


def callback_dict(
    person: Person,
    data: str,
    *,
    message_id: int,
    message_text: str = "…",
    update_id: int | None = None,
) -> dict[str, Any]:
    return {
        "update_id": update_id or next_update_id(),
        "callback_query": {
            "id": str(next_update_id() * 7),
            "from": person.as_dict(),
            "chat_instance": f"ci{person.id}",
            "data": data,
            "message": {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": person.chat(),
                "from": {"id": 123456, "is_bot": True, "first_name": "Voronka"},
                "text": message_text,
            },
        },
    }


def message_update(person: Person, text: str, **options: Any) -> Update:
    return Update.model_validate(message_dict(person, text, **options))


def callback_update(person: Person, data: str, **options: Any) -> Update:
    return Update.model_validate(callback_dict(person, data, **options))
