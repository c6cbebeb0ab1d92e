"""Long polling inside `voronka run`: the mode for a single process without a public address."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiogram import Dispatcher
from aiogram.exceptions import TelegramAPIError

from bots.telegram.app import TelegramRuntime, configure_commands
from models.settings import Settings

log = logging.getLogger(__name__)
SETUP_RETRY_SECONDS = 30.0


async def run_polling(settings: Settings, runtime: TelegramRuntime | None = None) -> None:
    """Poll until cancelled. Until Telegram answers (network down at start) retry the set-up
    every `SETUP_RETRY_SECONDS` instead of stopping the bot for good."""
    runtime = runtime or TelegramRuntime(settings)
    bot, dispatcher = runtime.bot, runtime.dispatcher
    try:
        while True:
            try:
                # Polling and a webhook exclude each other: getUpdates answers 409 while one is set.
                await bot.delete_webhook()
                await configure_commands(bot, settings.language)
                break
            except TelegramAPIError as error:
                log.warning("Telegram is not reachable (%s): retrying", error)
                await asyncio.sleep(SETUP_RETRY_SECONDS)
        polling = asyncio.create_task(
            dispatcher.start_polling(
                bot,
                handle_signals=False,
                close_bot_session=False,
                allowed_updates=dispatcher.resolve_used_update_types(),
            )
        )
        try:
            await asyncio.shield(polling)
        except asyncio.CancelledError:
            await _stop(dispatcher, polling)
            raise
    finally:
        await runtime.close()


async def _stop(dispatcher: Dispatcher, polling: asyncio.Task[None]) -> None:
    """Stop polling for good. Cancelling `start_polling` itself would leave its inner polling
    task running (it waits on `asyncio.wait`, which does not cancel what it waits for)."""
    if not polling.done():
        try:
            await dispatcher.stop_polling()
        except RuntimeError:  # not started yet
            polling.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await polling
