"""Every sentence the Telegram bot shows, in Russian and English, and how it picks the language.

Texts are `models.text.Text` pairs rendered as Telegram HTML: `render` escapes the values put
into them, so a client called `<Ромашка & Co>` shows as typed. A feature adds its texts here (or
in a `texts_<feature>.py` beside its router when there are many) and its commands to `COMMANDS`.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass

from models.text import Text

# Telegram languages whose speakers more likely read Russian than English.
_RUSSIAN_READERS = ("ru", "uk", "be", "kk", "ky", "uz", "tg", "hy", "az")


def telegram_language(language_code: str | None, default: str = "ru") -> str:
    """The language for someone Voronka does not know yet, from their Telegram app's language."""
    if not language_code:
        return default
    code = language_code.lower().split("-", 1)[0]
    return "ru" if code in _RUSSIAN_READERS else "en"


def render(
    text: Text, language: str, values: Mapping[str, object] | None = None, *, markup: bool = True
) -> str:
    """The text in `language` with `values` put in: Telegram HTML with every value escaped, or
    plain text (`markup=False`, for button answers and sentences that come from the domain)."""
    if not values:
        return text.get(language)
    if markup:
        values = {name: html.escape(str(value), quote=False) for name, value in values.items()}
    return text.get(language).format(**values)


@dataclass(frozen=True, slots=True)
class BotCommandText:
    command: str
    description: Text


# The menu of commands (setMyCommands) and the body of /help, in this order.
COMMANDS: tuple[BotCommandText, ...] = (
    BotCommandText(
        "today", Text("Мой день: просроченное и задачи на сегодня", "My day: overdue and due today")
    ),
    BotCommandText("tasks", Text("Мои открытые задачи", "My open tasks")),
    BotCommandText("deals", Text("Мои открытые сделки по этапам", "My open deals by stage")),
    BotCommandText(
        "order",
        Text("Заказ по номеру: статус, смена статуса", "An order by number: its status, change it"),
    ),
    BotCommandText(
        "kpi",
        Text(
            "Мои KPI за месяц (руководителям — и офиса)",
            "My KPIs this month (heads: the office's too)",
        ),
    ),
    BotCommandText(
        "find",
        Text(
            "Найти клиента или сделку: имя, телефон, ИНН, email",
            "Find a client or deal: name, phone, INN, email",
        ),
    ),
    BotCommandText(
        "new", Text("Создать контакт, компанию или сделку", "Create a contact, company or deal")
    ),
    BotCommandText(
        "log",
        Text("Записать звонок, встречу, визит или заметку", "Log a call, meeting, visit or note"),
    ),
    BotCommandText(
        "digest", Text("Утренняя сводка: время, вкл/выкл", "Morning digest: time, on/off")
    ),
    BotCommandText("cancel", Text("Отменить начатое", "Cancel what is in progress")),
    BotCommandText("help", Text("Что умеет бот", "What the bot can do")),
    BotCommandText("lang", Text("Язык: русский или English", "Language: English or Russian")),
    BotCommandText(
        "unlink", Text("Отключить этот Telegram от Voronka", "Disconnect this Telegram account")
    ),
)

# Access
NOT_LINKED = Text(
    "Этот Telegram не связан с учётной записью Voronka: откройте ссылку для привязки из "
    "приложения Voronka или попросите её у администратора.",
    "This Telegram account is not linked to Voronka: open the link from the Voronka app, or "
    "ask your administrator for one.",
)
DEACTIVATED = Text(
    "Ваша учётная запись Voronka отключена, поэтому бот недоступен: обратитесь к администратору.",
    "Your Voronka account is deactivated, so the bot is not available: please contact your "
    "administrator.",
)

# Linking (/start)
LINKED = Text(
    "Здравствуйте, {name}! Telegram привязан к Voronka. Список команд: /help",
    "Hello, {name}! Your Telegram is now linked to Voronka. Commands: /help",
)
WELCOME_BACK = Text(
    "Здравствуйте, {name}! Список команд: /help",
    "Hello, {name}! Commands: /help",
)
LINK_INVALID = Text(
    "Ссылка не сработала: она устарела (действует 10 минут), уже использована или неверна. "
    "Получите новую в приложении Voronka или у администратора.",
    "This link does not work: it has expired (links last 10 minutes), was already used, or is "
    "wrong. Get a new one in the Voronka app or from your administrator.",
)

# /help
HELP_TITLE = Text("Команды Voronka:", "Voronka commands:")
HELP_FOOTER = Text(
    "Язык бота меняется командой /lang.",
    "Change the bot's language with /lang.",
)

# /lang
LANGUAGE_PROMPT = Text("Выберите язык:", "Choose the language:")
LANGUAGE_SET = Text("Готово: бот говорит по-русски.", "Done: the bot now speaks English.")
LANGUAGE_UNKNOWN = Text(
    "Такого языка нет: напишите /lang ru или /lang en.",
    "No such language: send /lang ru or /lang en.",
)
LANGUAGE_NAMES = {"ru": "Русский", "en": "English"}

# Anything the bot did not understand, and failures
NOT_UNDERSTOOD = Text(
    "Не понял сообщение. Список команд: /help",
    "I did not understand that. Commands: /help",
)
STALE_BUTTON = Text(
    "Эта кнопка больше не работает: откройте запись заново.",
    "This button no longer works: open the record again.",
)
FAILED = Text(
    "Не получилось: что-то пошло не так на нашей стороне. Попробуйте ещё раз чуть позже.",
    "That did not work: something went wrong on our side. Please try again in a moment.",
)
