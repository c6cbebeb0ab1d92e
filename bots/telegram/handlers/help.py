"""`/help`: the commands, from the same list as the Telegram menu (`texts.COMMANDS`)."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from bots.telegram import texts
from bots.telegram.replies import Replies
from models.text import Text


def help_text() -> Text:
    lines_ru = [texts.HELP_TITLE.ru]
    lines_en = [texts.HELP_TITLE.en]
    for item in texts.COMMANDS:
        lines_ru.append(f"/{item.command} — {item.description.ru}")
        lines_en.append(f"/{item.command} — {item.description.en}")
    lines_ru += ["", texts.HELP_FOOTER.ru]
    lines_en += ["", texts.HELP_FOOTER.en]
    return Text("\n".join(lines_ru), "\n".join(lines_en))


async def show_help(message: Message, replies: Replies) -> None:
    replies.say(help_text())


def build() -> Router:
    router = Router(name="help")
    router.message.register(show_help, Command("help"))
    return router
