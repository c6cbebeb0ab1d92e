"""`/lang`: the language the bot speaks to this user, stored on the user (audited)."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message

from bots.telegram import texts
from bots.telegram.callbacks import LanguageChoice
from bots.telegram.keyboards import language_keyboard
from bots.telegram.replies import Replies
from models.actor import Actor
from models.ops.profile import set_my_language
from models.text import LANGUAGES


async def ask_language(
    message: Message, command: CommandObject, actor: Actor, replies: Replies
) -> None:
    wanted = (command.args or "").strip().lower()
    if not wanted:
        replies.say(texts.LANGUAGE_PROMPT, reply_markup=language_keyboard(replies.language))
        return
    if wanted not in LANGUAGES:
        replies.say(texts.LANGUAGE_UNKNOWN)
        return
    user = await set_my_language(actor, wanted)
    replies.language = user.language
    replies.say(texts.LANGUAGE_SET)


async def choose_language(
    query: CallbackQuery, callback_data: LanguageChoice, actor: Actor, replies: Replies
) -> None:
    if callback_data.language not in LANGUAGES:
        replies.notify(texts.STALE_BUTTON, alert=True)
        return
    user = await set_my_language(actor, callback_data.language)
    replies.language = user.language
    replies.notify(texts.LANGUAGE_SET)
    if query.message is not None:
        replies.edit(query.message.message_id, texts.LANGUAGE_SET)


def build() -> Router:
    router = Router(name="language")
    router.message.register(ask_language, Command("lang"))
    router.callback_query.register(choose_language, LanguageChoice.filter())
    return router
