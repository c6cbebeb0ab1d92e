"""What a handler wants to say, collected while the update's transaction is open and sent after
it has committed.

Handlers never call the Bot API themselves: they add to `Replies`. The update middleware sends
the collected methods once the transaction is over, so no database lock (on SQLite, the whole
database's write lock) is held while Telegram answers, paces or rate-limits us. A rolled-back
update sends nothing of what its handler collected, only the error sentence.
"""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError
from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage, TelegramMethod
from aiogram.types import CallbackQuery, InlineKeyboardMarkup

from bots.telegram.texts import render
from models.text import Text

log = logging.getLogger(__name__)


class Replies:
    """The answers to one update, in the language of the person who sent it."""

    def __init__(
        self, chat_id: int, language: str, *, callback_query_id: str | None = None
    ) -> None:
        self.chat_id = chat_id
        self.language = language
        self.callback_query_id = callback_query_id
        self._methods: list[TelegramMethod[Any]] = []

    @property
    def methods(self) -> list[TelegramMethod[Any]]:
        return list(self._methods)

    def render(self, text: Text, /, **values: object) -> str:
        return render(text, self.language, values)

    def say(
        self, text: Text, /, *, reply_markup: InlineKeyboardMarkup | None = None, **values: object
    ) -> None:
        """Send a new message to the chat."""
        self.add(
            SendMessage(
                chat_id=self.chat_id, text=self.render(text, **values), reply_markup=reply_markup
            )
        )

    def edit(
        self,
        message_id: int,
        text: Text,
        /,
        *,
        reply_markup: InlineKeyboardMarkup | None = None,
        **values: object,
    ) -> None:
        """Replace the text (and buttons) of a message the bot sent: cards update in place."""
        self.add(
            EditMessageText(
                chat_id=self.chat_id,
                message_id=message_id,
                text=self.render(text, **values),
                reply_markup=reply_markup,
            )
        )

    def show(
        self,
        message_id: int | None,
        text: Text,
        /,
        *,
        reply_markup: InlineKeyboardMarkup | None = None,
        **values: object,
    ) -> None:
        """In place of the pressed message when there is one, else as a new message."""
        if message_id is None:
            self.say(text, reply_markup=reply_markup, **values)
        else:
            self.edit(message_id, text, reply_markup=reply_markup, **values)

    def notify(self, text: Text | None = None, /, *, alert: bool = False, **values: object) -> None:
        """Answer the pressed button: a toast (or an alert box) over the chat. Without a button
        (the update is a message) the sentence is sent as a message. Either way it is plain
        text, not HTML, so a sentence from the domain shows as written."""
        plain = render(text, self.language, values, markup=False) if text is not None else None
        if self.callback_query_id is None:
            if plain is not None:
                self.add(SendMessage(chat_id=self.chat_id, text=plain, parse_mode=None))
            return
        self.add(
            AnswerCallbackQuery(
                callback_query_id=self.callback_query_id, text=plain, show_alert=alert or None
            )
        )

    def add(self, method: TelegramMethod[Any]) -> None:
        self._methods.append(method)

    def discard(self) -> None:
        """Forget everything collected (the update was rolled back)."""
        self._methods.clear()

    def _in_sending_order(self) -> list[TelegramMethod[Any]]:
        # A pressed button shows a spinner until answered: answer it first, always, once.
        answers = [m for m in self._methods if isinstance(m, AnswerCallbackQuery)]
        others = [m for m in self._methods if not isinstance(m, AnswerCallbackQuery)]
        if self.callback_query_id is not None and not answers:
            answers = [AnswerCallbackQuery(callback_query_id=self.callback_query_id)]
        return answers[:1] + others

    async def flush(self, bot: Bot) -> None:
        """Send what was collected, in order. A refused method is logged and the rest still go,
        except after a 403: the user has blocked the bot, and the session middleware marked
        them."""
        methods = self._in_sending_order()
        self._methods.clear()
        for method in methods:
            try:
                await bot(method)
            except TelegramForbiddenError:
                log.info("chat %s refuses messages: %d left unsent", self.chat_id, len(methods))
                return
            except TelegramAPIError as error:
                log.warning("%s to chat %s failed: %s", method.__api_method__, self.chat_id, error)


def pressed_message(query: CallbackQuery) -> int | None:
    """The id of the message whose button was pressed (None when Telegram no longer has it)."""
    return query.message.message_id if query.message is not None else None
