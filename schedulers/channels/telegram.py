"""Telegram through the company's bot (aiogram `Bot`), to the chat id of the contact's identity.

The Bot comes from `bots.telegram.app.build_bot`: the same Bot API server
(`VORONKA_TELEGRAM_API_BASE`), Telegram HTML by default, and the same pacing as the bot's own
replies (`bots/telegram/limits.py`: 1 message a second per chat, 20 a minute per group, 30 a
second overall, shared by everything this process sends). The pacing middleware already waits
out a short 429 and tries again; what reaches this adapter is what it gave up on.

A message's payload may carry inline buttons, as rows: `{"buttons": [[{"text": "Оплатить",
"url": "https://…"}, {"text": "Да", "callback_data": "confirm:7"}]]}`.

How Bot API answers become results:

- ok → sent, the provider id is `<chat id>:<message id>` (message ids are per chat);
- 429 (`TelegramRetryAfter`) → retry after Telegram's `retry_after`;
- 5xx, a network error, a timeout → retry (the message may have arrived: at least once);
- 403 (blocked by the user, deactivated) and 400 (chat not found, a bad chat id, markup or text
  Telegram refuses) → permanent: this chat will never take it, the outbox tries the next
  channel. A chat id that is not a number (or `@channel`) fails the same way without a call;
- 401/404 (a wrong token or API base) and anything else → retry: ours to fix, then it goes.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bots.telegram.app import build_bot
from bots.telegram.limits import TelegramLimits
from models.channels import DeliveryResult, Outgoing
from models.entities import Channel
from models.settings import Settings

log = logging.getLogger(__name__)

_CHAT_ID = re.compile(r"-?\d{1,20}")
_CHANNEL_NAME = re.compile(r"@[A-Za-z][A-Za-z0-9_]{4,31}")
CALLBACK_DATA_LIMIT = 64  # bytes, Telegram's limit


class InvalidMessage(ValueError):
    """The chat id or the buttons cannot be sent as they are."""


def chat_id_of(address: str) -> int | str:
    """The chat to send to: a numeric chat id, or a public channel's `@name`."""
    address = address.strip()
    if _CHAT_ID.fullmatch(address):
        return int(address)
    if _CHANNEL_NAME.fullmatch(address):
        return address
    raise InvalidMessage(f"invalid chat id {address!r}")


def keyboard(payload: Mapping[str, Any]) -> InlineKeyboardMarkup | None:
    """Inline buttons from the payload's `buttons`: rows of `{text, callback_data | url}`."""
    rows = payload.get("buttons")
    if not rows:
        return None
    if not isinstance(rows, Sequence) or isinstance(rows, str):
        raise InvalidMessage("buttons: a list of rows")
    markup: list[list[InlineKeyboardButton]] = []
    for row in rows:
        if not isinstance(row, Sequence) or isinstance(row, str) or not row:
            raise InvalidMessage("buttons: each row is a non-empty list")
        markup.append([_button(button) for button in row])
    return InlineKeyboardMarkup(inline_keyboard=markup)


def _button(button: Any) -> InlineKeyboardButton:
    if not isinstance(button, Mapping) or not str(button.get("text") or "").strip():
        raise InvalidMessage("buttons: each button has a text")
    text = str(button["text"])
    url, data = button.get("url"), button.get("callback_data")
    if (url is None) == (data is None):
        raise InvalidMessage(f"button {text!r}: either url or callback_data")
    if url is not None:
        if not str(url).startswith(("https://", "http://", "tg://")):
            raise InvalidMessage(f"button {text!r}: the url must be http(s):// or tg://")
        return InlineKeyboardButton(text=text, url=str(url))
    if not 1 <= len(str(data).encode()) <= CALLBACK_DATA_LIMIT:
        raise InvalidMessage(f"button {text!r}: callback_data is 1 to 64 bytes")
    return InlineKeyboardButton(text=text, callback_data=str(data))


class TelegramChannel:
    channel = Channel.TELEGRAM

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    @classmethod
    def from_settings(
        cls, settings: Settings, *, limits: TelegramLimits | None = None
    ) -> TelegramChannel | None:
        """The channel when `VORONKA_TELEGRAM_TOKEN` is set, else None."""
        if settings.telegram_token is None:
            return None
        return cls(build_bot(settings, limits=limits))

    async def close(self) -> None:
        await self.bot.session.close()

    async def deliver(self, message: Outgoing) -> DeliveryResult:
        try:
            chat_id = chat_id_of(message.address)
            markup = keyboard(message.payload)
        except InvalidMessage as error:
            return DeliveryResult.permanent(str(error))
        if not message.body.strip():
            return DeliveryResult.permanent("the message text is empty")
        try:
            sent = await self.bot.send_message(chat_id, message.body, reply_markup=markup)
        except TelegramRetryAfter as error:
            return DeliveryResult.retry(
                f"Telegram 429: retry after {error.retry_after} s",
                retry_after=float(error.retry_after),
            )
        except TelegramForbiddenError as error:
            return DeliveryResult.permanent(f"Telegram 403: {error.message}")
        except TelegramMigrateToChat as error:
            return DeliveryResult.permanent(
                f"Telegram: the group moved to chat {error.migrate_to_chat_id}"
            )
        except TelegramBadRequest as error:
            return DeliveryResult.permanent(f"Telegram 400: {error.message}")
        except TelegramServerError as error:
            return DeliveryResult.retry(f"Telegram 5xx: {error.message}")
        except (TelegramNetworkError, TimeoutError, OSError) as error:
            return DeliveryResult.retry(f"Telegram unreachable: {type(error).__name__}: {error}")
        except TelegramAPIError as error:
            log.warning("Telegram refused the bot's request: %s", error)
            return DeliveryResult.retry(f"Telegram: {type(error).__name__}: {error.message}")
        return DeliveryResult.sent(f"{sent.chat.id}:{sent.message_id}")
