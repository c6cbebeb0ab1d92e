"""/help, /lang and the command menus, in Russian and English."""

from __future__ import annotations

from bots.telegram.app import configure_commands
from bots.telegram.callbacks import LanguageChoice
from bots.telegram.texts import COMMANDS
from models.entities import AuditEntry, User
from tests.bots.conftest import BotHarness, link
from tests.doubles.telegram_updates import Person
from tests.factories import make_user

OLGA = Person(7001, "Ольга", "en")  # her Telegram app is in English, her account in Russian


async def test_help_lists_the_commands_in_the_users_language(telegram: BotHarness) -> None:
    user = await link(await make_user(language="ru"), OLGA)
    await telegram.send(OLGA, "/help")
    await User.filter(id=user.id).update(language="en")
    await telegram.send(OLGA, "/help")
    russian, english = telegram.texts(OLGA)
    # Every command of the menu, in its order; features add theirs to texts.COMMANDS.
    assert russian.splitlines() == [
        "Команды Voronka:",
        *(f"/{item.command} — {item.description.ru}" for item in COMMANDS),
        "",
        "Язык бота меняется командой /lang.",
    ]
    assert "/help — Что умеет бот" in russian.splitlines()
    assert "/lang — Язык: русский или English" in russian.splitlines()
    assert english.splitlines()[0] == "Voronka commands:"
    assert "/lang — Language: English or Russian" in english


async def test_lang_with_an_argument_switches_at_once_and_is_audited(telegram: BotHarness) -> None:
    user = await link(await make_user(language="ru"), OLGA)
    await telegram.send(OLGA, "/lang en")
    await telegram.send(OLGA, "/help")
    await telegram.send(OLGA, "/lang de")
    await telegram.send(OLGA, "/lang RU")
    texts = telegram.texts(OLGA)
    assert texts[0] == "Done: the bot now speaks English."
    assert texts[1].startswith("Voronka commands:")
    assert texts[2] == "No such language: send /lang ru or /lang en."
    assert texts[3] == "Готово: бот говорит по-русски."
    audit = await AuditEntry.filter(entity="user", entity_id=user.id, field="language")
    assert [(a.old_value, a.new_value) for a in audit] == [("ru", "en"), ("en", "ru")]
    assert all(a.actor_id == user.id for a in audit)


async def test_lang_buttons_switch_and_update_the_message_in_place(telegram: BotHarness) -> None:
    user = await link(await make_user(language="ru"), OLGA)
    await telegram.send(OLGA, "/lang")
    (prompt,) = telegram.api.sent(OLGA.id)
    buttons = prompt.params["reply_markup"]["inline_keyboard"][0]
    assert [b["text"] for b in buttons] == ["✓ Русский", "English"]
    assert prompt.params["text"] == "Выберите язык:"
    message_id = prompt.result["message_id"]
    await telegram.press(OLGA, buttons[1]["callback_data"], message_id=message_id)
    assert (await User.get(id=user.id)).language == "en"
    answer, edit = telegram.api.calls[-2:]
    assert answer.method == "answerCallbackQuery"
    assert answer.params["text"] == "Done: the bot now speaks English."
    assert edit.method == "editMessageText"
    assert edit.params["message_id"] == message_id
    shown = telegram.api.message(OLGA.id, message_id)
    assert shown is not None
    assert shown.text == "Done: the bot now speaks English."
    assert shown.reply_markup is None


async def test_a_forged_language_button_changes_nothing(telegram: BotHarness) -> None:
    user = await link(await make_user(language="ru"), OLGA)
    await telegram.press(OLGA, LanguageChoice(language="xx").pack(), message_id=5)
    assert (await User.get(id=user.id)).language == "ru"
    (answer,) = telegram.api.calls
    assert answer.params["text"] == "Эта кнопка больше не работает: откройте запись заново."


async def test_command_menus_are_set_for_both_languages_and_the_default(
    telegram: BotHarness,
) -> None:
    await configure_commands(telegram.bot, "ru")
    menus = {
        call.params.get("language_code"): call.params
        for call in telegram.api.calls_of("setMyCommands")
    }
    assert set(menus) == {None, "ru", "en"}
    assert all(m["scope"] == {"type": "default"} for m in menus.values())
    assert menus["en"]["commands"] == [
        {"command": item.command, "description": item.description.en} for item in COMMANDS
    ]
    assert {"command": "help", "description": "What the bot can do"} in menus["en"]["commands"]
    assert {"command": "lang", "description": "Language: English or Russian"} in menus["en"][
        "commands"
    ]
    assert {"command": "help", "description": "Что умеет бот"} in menus["ru"]["commands"]
    assert menus[None]["commands"] == menus["ru"]["commands"]
