"""`voronka chat --as <login>`: the Telegram bot in a terminal, without Telegram.

The real Dispatcher with every router and middleware handles what is typed, as updates from the
chosen user; a Bot whose session prints instead of calling the Bot API shows the answers. Type
text and commands; type a button's number to press it. For trying Voronka offline and for demos.
"""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.fsm.storage.memory import MemoryStorage, SimpleEventIsolation
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageReplyMarkup,
    EditMessageText,
    GetMe,
    SendMessage,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType
from aiogram.types import (
    CallbackQuery,
    Chat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from aiogram.types import User as TelegramUser

from bots.telegram.app import build_dispatcher
from models.entities import User
from models.errors import DomainError
from models.ops.sessions import find_user
from models.rules.digits import whole_number
from models.settings import Settings
from models.text import Text

# The console's bot and, for users who never linked Telegram, their stand-in Telegram id: real
# ids are positive, so these never meet one.
CONSOLE_BOT = TelegramUser(id=42, is_bot=True, first_name="Voronka", username="voronka_console")
UNLINKED_ID = -1

Read = Callable[[str], Awaitable[str | None]]
Write = Callable[[str], None]

_TAG = re.compile(r"<a href=\"([^\"]*)\">(.*?)</a>|<[^>]+>", re.S)

HINT = Text(
    "Пишите команды и текст как в Telegram; номер кнопки — нажать её (число со знаком = впереди, "
    "например =3, уходит текстом); /quit — выйти.",
    "Type commands and text as in Telegram; a button's number presses it (a number after =, "
    "such as =3, goes as text); /quit leaves.",
)
NO_SUCH_BUTTON = Text("Нет кнопки с таким номером.", "No button has that number.")
OPENS = Text("Открывает", "Opens")


class ConsoleRefused(DomainError):
    code = "console_refused"
    message = Text("Нет активного пользователя с таким логином.", "No active user has that login.")


class CannotDownload(DomainError):
    code = "console_cannot_download"
    message = Text(
        "В консоли нельзя отправлять файлы: это работает только в Telegram.",
        "Files cannot be sent from the console: that works in Telegram only.",
    )


def _inline(markup: object) -> InlineKeyboardMarkup | None:
    return markup if isinstance(markup, InlineKeyboardMarkup) else None


def plain(text: str) -> str:
    """Telegram HTML as terminal text: links as `text (url)`, other tags dropped."""

    def replace(match: re.Match[str]) -> str:
        if match[1] is None:
            return ""
        return match[2] if match[1] == match[2] else f"{match[2]} ({match[1]})"

    return html.unescape(_TAG.sub(replace, text))


@dataclass
class Screen:
    """What the person sees: every message by id, and the buttons last shown."""

    write: Write
    language: str
    messages: dict[int, Message] = field(default_factory=dict)
    buttons: list[InlineKeyboardButton] = field(default_factory=list)
    pressed_on: Message | None = None
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def next_id(self) -> int:
        return next(self._ids)

    def show(self, message: Message, *, edited: bool = False) -> None:
        self.messages[message.message_id] = message
        prefix = "✎ " if edited else ""
        self.write(f"{prefix}{plain(message.text or '')}")
        markup = message.reply_markup
        if isinstance(markup, InlineKeyboardMarkup) and markup.inline_keyboard:
            self.buttons = [button for row in markup.inline_keyboard for button in row]
            self.pressed_on = message
            for row in markup.inline_keyboard:
                self.write(
                    "  ".join(f"[{self.buttons.index(button) + 1}] {button.text}" for button in row)
                )
        self.write("")


class ConsoleSession(BaseSession):
    """A Bot API that prints: each answer is shown and returned as Telegram would return it."""

    def __init__(self, screen: Screen, chat: Chat) -> None:
        super().__init__()
        self.screen = screen
        self.chat = chat

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 (aiogram's signature)
    ) -> TelegramType:
        return cast(TelegramType, self._answer(method))

    def _answer(self, method: TelegramMethod[Any]) -> Any:
        if isinstance(method, SendMessage):
            message = Message(
                message_id=self.screen.next_id(),
                date=datetime.now(UTC),
                chat=self.chat,
                from_user=CONSOLE_BOT,
                text=method.text,
                reply_markup=_inline(method.reply_markup),
            )
            self.screen.show(message)
            return message
        if isinstance(method, EditMessageText | EditMessageReplyMarkup):
            return self._edit(method)
        if isinstance(method, AnswerCallbackQuery):
            if method.text:
                self.screen.write(f"» {plain(method.text)}\n")
            return True
        if isinstance(method, GetMe):
            return CONSOLE_BOT
        # Menus, webhooks, chat actions: nothing to show in a terminal.
        return True

    def _edit(self, method: EditMessageText | EditMessageReplyMarkup) -> Any:
        shown = self.screen.messages.get(method.message_id or 0)
        if shown is None:
            return True
        changes: dict[str, Any] = {"reply_markup": method.reply_markup}
        if isinstance(method, EditMessageText):
            changes["text"] = method.text
        edited = shown.model_copy(update=changes)
        self.screen.show(edited, edited=True)
        return edited

    async def close(self) -> None:
        return None

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,  # noqa: ASYNC109 (aiogram's signature)
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        raise CannotDownload()
        yield b""  # a generator, as the interface says


async def chat_as(settings: Settings, login: str, read: Read, write: Write) -> None:
    """Feed what is typed to the bot as the user with `login` until /quit or the end of input.
    The database must be open."""
    user = await find_user(login)
    if user is None or not user.is_active:
        raise ConsoleRefused()
    person = TelegramUser(
        id=user.telegram_user_id or UNLINKED_ID,
        is_bot=False,
        first_name=user.full_name or login,
        language_code=user.language,
    )
    chat = Chat(id=person.id, type="private")
    screen = Screen(write, user.language)
    bot = Bot("42:console", session=ConsoleSession(screen, chat))

    async def account(_: int) -> User | None:
        # Read again for every update, so a deactivation stops the console at once.
        return await User.get_or_none(id=user.id).select_related("office")

    dispatcher = build_dispatcher(
        settings,
        storage=MemoryStorage(),
        events_isolation=SimpleEventIsolation(),
        account=account,
    )
    write(HINT.get(user.language) + "\n")
    updates = itertools.count(1)
    while (line := await read("> ")) is not None:
        text = line.strip()
        if text in ("/quit", "/exit"):
            break
        if not text:
            continue
        if whole_number(text, len(screen.buttons)) is not None:
            update = _press(screen, person, text)
        else:
            update = _typed(screen, person, text.removeprefix("="))
        if update is not None:
            await dispatcher.feed_update(
                bot, update.model_copy(update={"update_id": next(updates)})
            )


def _typed(screen: Screen, person: TelegramUser, text: str) -> Update:
    message = Message(
        message_id=screen.next_id(),
        date=datetime.now(UTC),
        chat=Chat(id=person.id, type="private"),
        from_user=person,
        text=text,
    )
    return Update(update_id=0, message=message)


def _press(screen: Screen, person: TelegramUser, text: str) -> Update | None:
    number = int(text)
    if number < 1 or screen.pressed_on is None:
        screen.write(NO_SUCH_BUTTON.get(screen.language) + "\n")
        return None
    button = screen.buttons[number - 1]
    if button.callback_data is None:
        screen.write(f"{OPENS.get(screen.language)}: {button.url or button.text}\n")
        return None
    query = CallbackQuery(
        id=str(screen.next_id()),
        from_user=person,
        chat_instance="console",
        message=screen.pressed_on,
        data=button.callback_data,
    )
    return Update(update_id=0, callback_query=query)
