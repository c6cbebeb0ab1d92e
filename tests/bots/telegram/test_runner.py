"""Long polling: what `voronka run` starts when a token is set and webhook mode is off."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from bots.telegram import runner
from bots.telegram.app import TelegramRuntime
from bots.telegram.runner import run_polling
from tests.bots.conftest import bot_settings, link
from tests.doubles.telegram_api import TelegramApiDouble
from tests.doubles.telegram_updates import Person, message_dict
from tests.factories import make_user

OLGA = Person(9101, "Ольга")


async def test_polling_sets_up_the_bot_and_answers_updates(
    db: str, telegram_api: TelegramApiDouble
) -> None:
    await link(await make_user(), OLGA)
    telegram_api.webhook_url = "https://old.example/telegram/webhook"
    settings = bot_settings(db, telegram_api.url)
    task = asyncio.create_task(run_polling(settings, TelegramRuntime(settings)))
    try:
        telegram_api.push_update(message_dict(OLGA, "/help"))
        await telegram_api.wait_until(lambda: bool(telegram_api.texts(OLGA.id)))
    finally:
        await _cancel(task)
    methods = [c.method for c in telegram_api.calls]
    assert methods[:4] == ["deleteWebhook", "setMyCommands", "setMyCommands", "setMyCommands"]
    assert "getUpdates" in methods
    assert telegram_api.webhook_url == "", "polling and a webhook exclude each other"
    assert telegram_api.texts(OLGA.id)[0].startswith("Команды Voronka")
    allowed = telegram_api.calls_of("getUpdates")[0].params["allowed_updates"]
    assert set(allowed) == {"message", "callback_query"}


async def test_polling_waits_for_telegram_to_come_back(
    db: str, telegram_api: TelegramApiDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "SETUP_RETRY_SECONDS", 0.01)
    telegram_api.fail("deleteWebhook", 401, "Unauthorized")
    settings = bot_settings(db, telegram_api.url)
    task = asyncio.create_task(run_polling(settings, TelegramRuntime(settings)))
    await telegram_api.wait_until(lambda: len(telegram_api.calls_of("setMyCommands")) == 3)
    await _cancel(task)
    statuses = [c.status for c in telegram_api.calls_of("deleteWebhook")]
    assert statuses == [401, 200]


async def test_cancelling_stops_polling_for_good(db: str, telegram_api: TelegramApiDouble) -> None:
    settings = bot_settings(db, telegram_api.url)
    task = asyncio.create_task(run_polling(settings, TelegramRuntime(settings)))
    await telegram_api.wait_until(lambda: len(telegram_api.calls_of("setMyCommands")) == 3)
    await asyncio.sleep(0.05)  # polling has started
    await _cancel(task)
    await asyncio.sleep(0.05)
    assert _polling_tasks() == [], "aiogram's inner polling task was left running"


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert task.cancelled()


def _polling_tasks() -> list[asyncio.Task[object]]:
    return [
        t
        for t in asyncio.all_tasks()
        if not t.done() and getattr(t.get_coro(), "__qualname__", "") == "Dispatcher._polling"
    ]
