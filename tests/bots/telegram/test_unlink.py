"""/unlink: disconnect this Telegram account after a confirming button; audited; then a stranger."""

from __future__ import annotations

from bots.telegram.handlers.unlink import DONE, KEPT
from bots.telegram.texts import NOT_LINKED
from models.entities import AuditEntry, User
from tests.bots.conftest import BotHarness, link
from tests.doubles.telegram_updates import Person
from tests.factories import make_user

IVAN = Person(7101, "Иван", "ru")


async def _ask(telegram: BotHarness) -> tuple[int, list[dict[str, str]]]:
    await telegram.send(IVAN, "/unlink")
    prompt = telegram.api.sent(IVAN.id)[-1]
    buttons = prompt.params["reply_markup"]["inline_keyboard"][0]
    return prompt.result["message_id"], buttons


async def test_keep_changes_nothing_and_disconnect_unlinks_once(telegram: BotHarness) -> None:
    user = await link(await make_user(language="ru"), IVAN)
    message_id, buttons = await _ask(telegram)
    assert [b["text"] for b in buttons] == ["Отключить", "Оставить"]
    await telegram.press(IVAN, buttons[1]["callback_data"], message_id=message_id)
    assert (await User.get(id=user.id)).telegram_user_id == IVAN.id
    assert telegram.api.message(IVAN.id, message_id).text == KEPT.ru  # type: ignore[union-attr]

    message_id, buttons = await _ask(telegram)
    await telegram.press(IVAN, buttons[0]["callback_data"], message_id=message_id)
    assert (await User.get(id=user.id)).telegram_user_id is None
    assert telegram.api.message(IVAN.id, message_id).text == DONE.ru  # type: ignore[union-attr]
    audit = await AuditEntry.filter(entity="user", entity_id=user.id, field="telegram_user_id")
    assert [(a.actor_id, a.old_value, a.new_value) for a in audit] == [
        (user.id, str(IVAN.id), None)
    ]

    await telegram.send(IVAN, "/help")
    assert telegram.texts(IVAN)[-1] == NOT_LINKED.ru
