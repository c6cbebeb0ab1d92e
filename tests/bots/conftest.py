"""The bot under test: the real Dispatcher and a real aiogram Bot whose Bot API is a loopback
double (`tests/doubles/telegram_api.py`), on the test database.

`telegram` gives a `BotHarness`: `await telegram.send(person, "/help")` feeds a message through
`Dispatcher.feed_update` and returns when the bot has answered; `telegram.api` is the double
with every request it received. Telegram's pacing runs on virtual time (`telegram.time`), so
tests never wait for real seconds. The harness fails a test whose bot called the Bot API while a
database transaction was open.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest_asyncio
from aiogram import Bot, Dispatcher
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType
from tortoise import connections
from tortoise.backends.base.client import TransactionalDBClient

from bots.telegram.app import build_bot, build_dispatcher, mark_unreachable
from bots.telegram.limits import TelegramLimits
from models.entities import User
from models.settings import Settings
from tests.doubles.telegram_api import BOT_USERNAME, TelegramApiDouble
from tests.doubles.telegram_updates import Person, callback_update, message_update

TOKEN = "123456:TEST-token-of-the-double"


class VirtualTime:
    """A monotonic clock that moves only when someone sleeps on it."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)


class TransactionGuard(BaseRequestMiddleware):
    """Records Bot API calls made while a database transaction is open in the caller's context."""

    def __init__(self) -> None:
        self.violations: list[str] = []

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if isinstance(connections.get("default"), TransactionalDBClient):
            self.violations.append(method.__api_method__)
        return await make_request(bot, method)


def bot_settings(database_url: str, api_url: str, **values: Any) -> Settings:
    return Settings(
        database_url=database_url,
        telegram_token=TOKEN,  # type: ignore[arg-type]
        telegram_api_base=api_url,
        telegram_bot_username=BOT_USERNAME,
        **values,
    )


@dataclass
class BotHarness:
    api: TelegramApiDouble
    bot: Bot
    dispatcher: Dispatcher
    settings: Settings
    time: VirtualTime
    limits: TelegramLimits
    guard: TransactionGuard = field(default_factory=TransactionGuard)

    async def send(self, person: Person, text: str, **options: Any) -> Any:
        return await self.dispatcher.feed_update(self.bot, message_update(person, text, **options))

    async def press(self, person: Person, data: str, *, message_id: int, **options: Any) -> Any:
        update = callback_update(person, data, message_id=message_id, **options)
        return await self.dispatcher.feed_update(self.bot, update)

    def texts(self, person: Person) -> list[str]:
        return self.api.texts(person.id)


async def link(user: User, person: Person) -> User:
    """Link a Telegram account the way a consumed deep link does."""
    await User.filter(id=user.id).update(telegram_user_id=person.id)
    user.telegram_user_id = person.id
    return user


async def _close_quickly(bot: Bot) -> None:
    """`AiohttpSession.close` sleeps 250 ms for TLS connections to wind down: loopback has none."""
    client = getattr(bot.session, "_session", None)
    if client is not None:
        await client.close()


@pytest_asyncio.fixture
async def telegram_api() -> AsyncIterator[TelegramApiDouble]:
    async with TelegramApiDouble() as double:
        yield double


@asynccontextmanager
async def bot_harness(settings: Settings, api: TelegramApiDouble) -> AsyncIterator[BotHarness]:
    """The bot of `settings` talking to `api`, its pacing on virtual time; fails the test when
    the bot called the Bot API inside a database transaction."""
    time = VirtualTime()
    api.clock = time
    limits = TelegramLimits(on_unreachable=mark_unreachable, clock=time, sleep=time.sleep)
    bot = build_bot(settings, limits=limits)
    harness = BotHarness(api, bot, build_dispatcher(settings), settings, time, limits)
    bot.session.middleware(harness.guard)
    try:
        yield harness
    finally:
        await harness.dispatcher.fsm.close()
        await _close_quickly(bot)
    assert harness.guard.violations == [], "Bot API called inside a database transaction"


@pytest_asyncio.fixture
async def telegram(
    db: str, telegram_api: TelegramApiDouble, data_dir: Path
) -> AsyncIterator[BotHarness]:
    async with bot_harness(
        bot_settings(db, telegram_api.url, data_dir=data_dir), telegram_api
    ) as harness:
        yield harness
