"""/digest: how the morning digest is set, moving it, turning it off and on, a bad time."""

from __future__ import annotations

from models.entities import User
from tests.bots.conftest import BotHarness, link
from tests.doubles.telegram_updates import Person
from tests.factories import make_user

OLGA = Person(8401, "Ольга", "ru")


async def test_digest_is_shown_moved_stopped_and_started(telegram: BotHarness) -> None:
    user = await link(await make_user(), OLGA)
    await telegram.send(OLGA, "/digest")
    assert telegram.texts(OLGA)[-1].startswith("Утренняя сводка приходит каждый день в 09:00")

    await telegram.send(OLGA, "/digest 7:15")
    assert telegram.texts(OLGA)[-1].startswith("Утренняя сводка приходит каждый день в 07:15")
    await telegram.send(OLGA, "/digest off")
    assert telegram.texts(OLGA)[-1] == "Утренняя сводка выключена. Включить: /digest on"
    stored = await User.get(id=user.id)
    assert (stored.digest_enabled, stored.digest_minute) == (False, 7 * 60 + 15)

    await telegram.send(OLGA, "/digest on")
    assert "в 07:15" in telegram.texts(OLGA)[-1]


async def test_a_bad_time_gets_one_sentence_and_changes_nothing(telegram: BotHarness) -> None:
    user = await link(await make_user(), OLGA)
    await telegram.send(OLGA, "/digest в обед")
    assert telegram.texts(OLGA)[-1] == (
        "Не понял: напишите время, например /digest 08:30, или /digest on, /digest off."
    )
    stored = await User.get(id=user.id)
    assert (stored.digest_enabled, stored.digest_minute) == (True, None)
