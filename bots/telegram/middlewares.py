"""The outer middleware every update passes through: one transaction, the actor, the gate.

For each update from a person in a private chat:

1. Open ONE transaction (`in_transaction()`). In webhook mode, first claim the update id
   (`claim_telegram_update`), so a redelivered update is not acted on twice: the claim commits
   together with what the update changed.
2. Resolve the actor from the Telegram user id: only a linked, active user is an actor.
   Handlers receive `actor` (an `Actor`, or None for the linking command), `user` (the linked
   `User`, or None) and `replies` (a `Replies` in the person's language).
3. The gate: someone who is not an actor gets one polite sentence and nothing else (a client
   subscribed to notifications hears how to unsubscribe). The updates that pass without an
   actor are `/start <token>` (the deep links) and `/stop` (a client unsubscribing).
4. Run the handler. A `DomainError` rolls the transaction back and answers its sentence; any
   other exception rolls back, is logged, and answers a short apology. The bot never shows a
   traceback and never stays silent.
5. After the transaction is over, send the collected replies (`Replies.flush`): no network
   I/O while the database lock is held.

Updates without a person (channel posts) and from group chats are ignored: CRM data is shown
only in a private chat with its user.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.types import Chat, TelegramObject, Update
from aiogram.types import User as TelegramUser
from tortoise.transactions import in_transaction

from bots.telegram import texts, texts_clients
from bots.telegram.replies import Replies
from models.actor import actor_from
from models.entities import User
from models.errors import DomainError, ValidationFailed
from models.ops.subscriptions import subscribed_contacts
from models.ops.telegram_account import claim_telegram_update, telegram_account
from models.text import Text

log = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
# Set in the update's data once its transaction has committed, for the outer middlewares that run
# before this one (`staging.StageFiles` keeps the files an update stored only if it did).
COMMITTED = "update_committed"
_START_WITH_TOKEN = re.compile(r"^/start(@\w+)?\s+\S")
_STOP = re.compile(r"^/stop(@\w+)?\s*$")


def is_link_request(update: Update) -> bool:
    """Only `/start <token>` may come from someone Voronka does not know (or no longer lets in):
    the token is how they become known."""
    message = update.message
    return (
        message is not None
        and bool(message.text)
        and bool(_START_WITH_TOKEN.match(message.text or ""))
    )


def is_client_command(update: Update) -> bool:
    """`/stop` comes from clients subscribed to notifications, whom Voronka knows only by their
    chat: the handler looks the chat up."""
    message = update.message
    return message is not None and bool(_STOP.match(message.text or ""))


def _error_sentence(error: DomainError) -> Text:
    if isinstance(error, ValidationFailed) and error.errors:
        joined_ru = " ".join(e.message.ru for e in error.errors)
        joined_en = " ".join(e.message.en for e in error.errors)
        return Text(joined_ru, joined_en)
    return error.message


AccountLookup = Callable[[int], Awaitable[User | None]]


class UpdateContext(BaseMiddleware):
    """Registered on `dispatcher.update.outer_middleware` (see `app.build_dispatcher`)."""

    def __init__(self, default_language: str = "ru", account: AccountLookup = telegram_account):
        self.default_language = default_language
        # Who a Telegram user is: the linked user, or the one `voronka chat --as` speaks for.
        self.account = account

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        person: TelegramUser | None = data.get("event_from_user")
        chat: Chat | None = data.get("event_chat")
        if person is None or person.is_bot or (chat is not None and chat.type != "private"):
            return None
        bot: Bot = data["bot"]
        callback = event.callback_query
        replies = Replies(
            chat.id if chat is not None else person.id,
            texts.telegram_language(person.language_code, self.default_language),
            callback_query_id=callback.id if callback is not None else None,
        )
        data["replies"] = replies
        deduplicate = bool(data.get("deduplicate"))
        result: Any = None
        try:
            async with in_transaction():
                if deduplicate and not await claim_telegram_update(bot.id, event.update_id):
                    log.info("update %s was already acted on: ignored", event.update_id)
                    return None
                result = await self._handle(handler, event, data, person, replies)
            data[COMMITTED] = True
        except DomainError as error:
            replies.discard()
            await self._claim_after_rollback(deduplicate, bot, event)
            replies.notify(_error_sentence(error), alert=True)
        except Exception:
            log.exception("update %s failed", event.update_id)
            replies.discard()
            await self._claim_after_rollback(deduplicate, bot, event)
            replies.notify(texts.FAILED, alert=True)
        await replies.flush(bot)
        return result

    async def _handle(
        self,
        handler: Handler,
        update: Update,
        data: dict[str, Any],
        person: TelegramUser,
        replies: Replies,
    ) -> Any:
        user = await self.account(person.id)
        actor = actor_from(user, user.office) if user is not None and user.is_active else None
        if actor is not None:
            replies.language = actor.language
        data["user"] = user if actor is not None else None
        data["actor"] = actor
        if actor is None and not (is_link_request(update) or is_client_command(update)):
            if user is None and (clients := await subscribed_contacts(replies.chat_id)):
                # A subscribed client: the bot only sends them notifications.
                replies.language = clients[0].language or self.default_language
                replies.notify(texts_clients.CLIENT_INFO, alert=True)
                return None
            replies.notify(texts.DEACTIVATED if user is not None else texts.NOT_LINKED, alert=True)
            return None
        return await handler(update, data)

    async def _claim_after_rollback(self, deduplicate: bool, bot: Bot, update: Update) -> None:
        """The failed update's claim was rolled back with it: claim it again on its own, so that
        a redelivery does not repeat the failure and its apology."""
        if deduplicate:
            async with in_transaction():
                await claim_telegram_update(bot.id, update.update_id)
