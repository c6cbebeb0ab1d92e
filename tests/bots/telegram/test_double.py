"""The Bot API double answers a real aiogram Bot the way Telegram does."""

from __future__ import annotations

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)

from tests.bots.conftest import TOKEN
from tests.doubles.telegram_api import BOT_USERNAME, TelegramApiDouble


async def test_a_real_bot_talks_to_the_double(telegram_api: TelegramApiDouble) -> None:
    session = AiohttpSession(api=TelegramAPIServer.from_base(telegram_api.url))
    async with Bot(TOKEN, session=session) as bot:
        me = await bot.get_me()
        markup = InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="Да", callback_data="yes")]]
        )
        sent = await bot.send_message(42, "Привет", reply_markup=markup)
        edited = await bot.edit_message_text("Пока", chat_id=42, message_id=sent.message_id)
        with pytest.raises(TelegramBadRequest, match="not modified"):
            await bot.edit_message_text("Пока", chat_id=42, message_id=sent.message_id)
        photo = await bot.send_photo(42, BufferedInputFile(b"\x89PNG", "a.png"), caption="фото")
        document = await bot.send_document(42, BufferedInputFile(b"%PDF-1.4", "offer.pdf"))
        assert document.document is not None
        file = await bot.get_file(document.document.file_id)
        assert file.file_path is not None
        downloaded = await bot.download_file(file.file_path)
        assert await bot.answer_callback_query("777", text="ok")
        assert await bot.set_my_commands([], language_code="en")
        assert await bot.delete_my_commands()
        assert await bot.set_webhook("https://crm.example/telegram/webhook", secret_token="s" * 16)
        assert await bot.delete_webhook()
    assert me.username == BOT_USERNAME
    assert me.id == bot.id
    assert isinstance(edited, Message)
    assert edited.text == "Пока"
    assert photo.photo
    assert photo.caption == "фото"
    assert downloaded is not None
    assert downloaded.read() == b"%PDF-1.4"
    call = telegram_api.calls_of("sendMessage")[0]
    assert call.params["chat_id"] == 42
    assert call.params["text"] == "Привет"
    assert call.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "yes"
    assert telegram_api.calls_of("sendDocument")[0].files.popitem()[1] == (
        "offer.pdf",
        b"%PDF-1.4",
    )
    assert telegram_api.message(42, sent.message_id).text == "Пока"  # type: ignore[union-attr]
    assert [c.method for c in telegram_api.calls][-1] == "deleteWebhook"


async def test_the_double_refuses_when_told(telegram_api: TelegramApiDouble) -> None:
    telegram_api.rate_limit("sendMessage", retry_after=7)
    telegram_api.server_error("getMe", status=502)
    telegram_api.block(99)
    session = AiohttpSession(api=TelegramAPIServer.from_base(telegram_api.url))
    async with Bot(TOKEN, session=session) as bot:
        with pytest.raises(TelegramRetryAfter) as limited:
            await bot.send_message(1, "a")
        with pytest.raises(TelegramServerError):
            await bot.get_me()
        with pytest.raises(TelegramForbiddenError, match="blocked by the user"):
            await bot.send_message(99, "b")
        await bot.send_message(1, "c")
        with pytest.raises(TelegramBadRequest):
            await bot.get_file("no-such-file")
    assert limited.value.retry_after == 7
    assert [c.status for c in telegram_api.calls] == [429, 502, 403, 200, 400]
    assert telegram_api.texts() == ["c"]


async def test_get_updates_long_polls_for_pushed_updates(telegram_api: TelegramApiDouble) -> None:
    telegram_api.push_update({"update_id": 5, "message": _message("раз")})
    telegram_api.push_update({"update_id": 6, "message": _message("два")})
    session = AiohttpSession(api=TelegramAPIServer.from_base(telegram_api.url))
    async with Bot(TOKEN, session=session) as bot:
        first = await bot.get_updates(offset=0, timeout=1)
        rest = await bot.get_updates(offset=6, timeout=1)
        none = await bot.get_updates(offset=7, timeout=0)
    assert [u.update_id for u in first] == [5, 6]
    assert [u.update_id for u in rest] == [6]
    assert none == []


def _message(text: str) -> dict[str, object]:
    return {
        "message_id": 1,
        "date": 0,
        "chat": {"id": 7, "type": "private"},
        "from": {"id": 7, "is_bot": False, "first_name": "A"},
        "text": text,
    }
