"""Starting the Telegram bot in long-polling mode inside `voronka run`."""

from __future__ import annotations

import logging

from aiogram import Bot, Dispatcher

log = logging.getLogger(__name__)


def build_dispatcher() -> Dispatcher:
    """The dispatcher with every feature router of the bot."""
    return Dispatcher()


async def run_polling(token: str) -> None:
    bot = Bot(token)
    try:
        await build_dispatcher().start_polling(bot, handle_signals=False, close_bot_session=False)
    finally:
        await bot.session.close()
