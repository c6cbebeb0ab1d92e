"""`/unlink`: disconnect this Telegram account from Voronka, after a confirming button.

The same operation as `DELETE /v1/me/telegram-link` (audited); afterwards the bot treats this
Telegram user as a stranger until a new link is opened.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bots.telegram.replies import Replies
from models.actor import Actor
from models.ops.telegram_link import unlink_telegram
from models.text import Text

ASK = Text(
    "Отключить этот Telegram от Voronka? Бот перестанет отвечать здесь, пока вы не откроете "
    "новую ссылку для привязки из приложения.",
    "Disconnect this Telegram account from Voronka? The bot stops answering here until you "
    "open a new link from the app.",
)
DISCONNECT = Text("Отключить", "Disconnect")
KEEP = Text("Оставить", "Keep")
DONE = Text(
    "Telegram отключён от Voronka. Чтобы подключить снова, откройте ссылку для привязки из "
    "приложения.",
    "Telegram is disconnected from Voronka. To connect again, open a link from the app.",
)
KEPT = Text("Оставили как есть.", "Nothing changed.")


class UnlinkChoice(CallbackData, prefix="unlink"):
    confirm: bool


def _keyboard(language: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=DISCONNECT.get(language), callback_data=UnlinkChoice(confirm=True))
    builder.button(text=KEEP.get(language), callback_data=UnlinkChoice(confirm=False))
    return builder.as_markup()


async def ask(message: Message, replies: Replies) -> None:
    replies.say(ASK, reply_markup=_keyboard(replies.language))


async def choose(
    query: CallbackQuery, callback_data: UnlinkChoice, actor: Actor, replies: Replies
) -> None:
    # The actor is the user linked to whoever pressed: only one's own account is disconnected.
    answer = KEPT
    if callback_data.confirm:
        await unlink_telegram(actor)
        answer = DONE
    replies.notify()
    if query.message is not None:
        replies.edit(query.message.message_id, answer)


def build() -> Router:
    router = Router(name="unlink")
    router.message.register(ask, Command("unlink"))
    router.callback_query.register(choose, UnlinkChoice.filter())
    return router
