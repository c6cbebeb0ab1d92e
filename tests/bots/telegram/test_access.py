"""Only a linked, active user gets anything from the CRM; everyone else one polite sentence."""

from __future__ import annotations

from aiogram.types import Message

from bots.telegram.callbacks import LanguageChoice
from models.entities import User
from models.errors import FieldError, ValidationFailed
from models.text import Text
from tests.bots.conftest import BotHarness, link
from tests.doubles.telegram_updates import Person
from tests.factories import make_user

STRANGER = Person(6001, "Пётр", "ru")
FOREIGNER = Person(6002, "Jane", "en-GB")
OLGA = Person(6003, "Ольга", "ru")


async def test_an_unlinked_person_gets_one_polite_sentence_and_nothing_else(
    telegram: BotHarness,
) -> None:
    for text in ("/help", "/lang en", "покажи сделки"):
        await telegram.send(STRANGER, text)
    await telegram.send(FOREIGNER, "/help")
    refusal_ru = (
        "Этот Telegram не связан с учётной записью Voronka: откройте ссылку для привязки из "
        "приложения Voronka или попросите её у администратора."
    )
    assert telegram.texts(STRANGER) == [refusal_ru] * 3
    assert telegram.texts(FOREIGNER) == [
        "This Telegram account is not linked to Voronka: open the link from the Voronka app, or "
        "ask your administrator for one."
    ]
    assert {c.method for c in telegram.api.calls} == {"sendMessage"}


async def test_an_unlinked_person_pressing_a_button_gets_the_refusal_as_an_alert(
    telegram: BotHarness,
) -> None:
    await telegram.press(STRANGER, LanguageChoice(language="en").pack(), message_id=1)
    (answer,) = telegram.api.calls
    assert answer.method == "answerCallbackQuery"
    assert answer.params["show_alert"] is True
    assert answer.params["text"].startswith("Этот Telegram не связан")


async def test_a_deactivated_user_loses_access_at_once(telegram: BotHarness) -> None:
    user = await link(await make_user(language="en"), OLGA)
    await telegram.send(OLGA, "/help")
    await User.filter(id=user.id).update(is_active=False)
    await telegram.send(OLGA, "/help")
    await telegram.send(OLGA, "/lang ru")
    await telegram.send(OLGA, "/start")
    texts = telegram.texts(OLGA)
    assert texts[0].startswith("Voronka commands:")
    deactivated = (
        "Ваша учётная запись Voronka отключена, поэтому бот недоступен: обратитесь к "
        "администратору."
    )
    assert texts[1:] == [deactivated] * 3, "their Telegram app speaks Russian"
    assert (await User.get(id=user.id)).language == "en", "/lang did nothing"


async def test_group_chats_get_nothing(telegram: BotHarness) -> None:
    await link(await make_user(), OLGA)
    group = {"id": -100500, "type": "group", "title": "Продажи"}
    result = await telegram.send(OLGA, "/help", chat=group)
    assert result is None
    assert telegram.api.calls == []


async def test_a_linked_user_is_never_left_without_an_answer(telegram: BotHarness) -> None:
    await link(await make_user(), OLGA)
    await telegram.send(OLGA, "что-то непонятное")
    await telegram.press(OLGA, "forged:payload", message_id=1)
    assert telegram.texts(OLGA) == ["Не понял сообщение. Список команд: /help"]
    answer = telegram.api.calls_of("answerCallbackQuery")[0]
    assert answer.params["text"] == "Эта кнопка больше не работает: откройте запись заново."


async def test_a_failing_handler_rolls_back_and_apologises(telegram: BotHarness) -> None:
    user = await link(await make_user(), OLGA)

    async def broken(message: Message) -> None:
        await User.filter(id=user.id).update(full_name="changed")
        raise RuntimeError("bug")

    telegram.dispatcher.message.register(broken)  # the dispatcher's own handlers go first
    await telegram.send(OLGA, "/help")
    assert telegram.texts(OLGA) == [
        "Не получилось: что-то пошло не так на нашей стороне. Попробуйте ещё раз чуть позже."
    ]
    assert (await User.get(id=user.id)).full_name != "changed"


async def test_a_domain_error_rolls_back_and_says_what_is_wrong(telegram: BotHarness) -> None:
    user = await link(await make_user(language="en"), OLGA)

    async def refused(message: Message) -> None:
        await User.filter(id=user.id).update(full_name="changed")
        raise ValidationFailed(
            [
                FieldError("a", "x", Text("Первое.", "Amount must be <= 5 & > 0.")),
                FieldError("b", "y", Text("Второе.", "Second.")),
            ]
        )

    telegram.dispatcher.message.register(refused)
    await telegram.send(OLGA, "/help")
    assert telegram.texts(OLGA) == ["Amount must be <= 5 & > 0. Second."]
    assert "parse_mode" not in telegram.api.calls[0].params, "plain text: shown as written"
    assert (await User.get(id=user.id)).full_name != "changed"
