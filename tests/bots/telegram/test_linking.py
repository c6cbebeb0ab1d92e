"""`/start <token>`: a one-time deep link binds a Telegram account to a user."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from models.clock import FrozenClock, use_clock
from models.entities import AuditEntry, User
from models.ops.telegram_link import issue_telegram_link
from tests.bots.conftest import BotHarness, link
from tests.doubles.telegram_api import BOT_USERNAME
from tests.doubles.telegram_updates import Person
from tests.factories import T0, actor_for, make_user

OLGA = Person(5001, "Ольга", "ru")
JOHN = Person(5002, "John", "en")


async def _token_for(user: User) -> str:
    link = await issue_telegram_link(await actor_for(user), BOT_USERNAME)
    assert link.url == f"https://t.me/{BOT_USERNAME}?start={link.token}"
    return link.token


async def test_a_valid_link_binds_and_greets_by_name_in_the_users_language(
    telegram: BotHarness,
) -> None:
    user = await make_user(full_name="Ольга Смирнова", language="ru")
    english = await make_user(full_name="Anna Brown", language="en")
    await telegram.send(OLGA, f"/start {await _token_for(user)}")
    # The app says English, the account says Russian... and the other way round: the account wins.
    await telegram.send(Person(5003, "Anna", "ru"), f"/start {await _token_for(english)}")
    assert telegram.texts(OLGA) == [
        "Здравствуйте, Ольга Смирнова! Telegram привязан к Voronka. Список команд: /help"
    ]
    assert telegram.api.texts(5003) == [
        "Hello, Anna Brown! Your Telegram is now linked to Voronka. Commands: /help"
    ]
    assert (await User.get(id=user.id)).telegram_user_id == OLGA.id
    audit = await AuditEntry.filter(entity="user", entity_id=user.id, field="telegram_user_id")
    assert [(a.old_value, a.new_value) for a in audit] == [(None, str(OLGA.id))]


async def test_names_are_escaped_for_telegram_html(telegram: BotHarness) -> None:
    user = await make_user(full_name="<b>Ромашка</b> & Co")
    await telegram.send(OLGA, f"/start {await _token_for(user)}")
    assert "&lt;b&gt;Ромашка&lt;/b&gt; &amp; Co" in telegram.texts(OLGA)[0]


async def test_an_expired_link_is_refused_in_the_persons_language(telegram: BotHarness) -> None:
    user = await make_user()
    with use_clock(FrozenClock(T0)) as clock:
        token = await _token_for(user)
        clock.advance(timedelta(minutes=10, seconds=1))  # type: ignore[attr-defined]
        await telegram.send(JOHN, f"/start {token}")
    assert telegram.texts(JOHN) == [
        "This link does not work: it has expired (links last 10 minutes), was already used, or "
        "is wrong. Get a new one in the Voronka app or from your administrator."
    ]
    assert (await User.get(id=user.id)).telegram_user_id is None


async def test_a_link_works_once_and_an_unknown_one_never(telegram: BotHarness) -> None:
    user = await make_user()
    token = await _token_for(user)
    await telegram.send(OLGA, f"/start {token}")
    await telegram.send(JOHN, f"/start {token}")
    await telegram.send(JOHN, "/start not-a-token-at-all")
    assert (await User.get(id=user.id)).telegram_user_id == OLGA.id
    assert [t.startswith("This link does not work") for t in telegram.texts(JOHN)] == [True, True]


async def test_two_racing_starts_with_one_token_link_exactly_one(telegram: BotHarness) -> None:
    user = await make_user()
    token = await _token_for(user)
    await asyncio.gather(
        telegram.send(OLGA, f"/start {token}"), telegram.send(JOHN, f"/start {token}")
    )
    linked = (await User.get(id=user.id)).telegram_user_id
    assert linked in (OLGA.id, JOHN.id)
    winner, loser = (OLGA, JOHN) if linked == OLGA.id else (JOHN, OLGA)
    assert telegram.texts(winner)[0].startswith(("Здравствуйте", "Hello"))
    assert telegram.texts(loser)[0].startswith(("Ссылка не сработала", "This link does not"))
    assert await AuditEntry.filter(entity_id=user.id, field="telegram_user_id").count() == 1


async def test_start_without_a_token(telegram: BotHarness) -> None:
    user = await link(await make_user(full_name="Ольга"), OLGA)
    assert user.telegram_user_id == OLGA.id
    await telegram.send(OLGA, "/start")
    await telegram.send(JOHN, "/start")
    assert telegram.texts(OLGA) == ["Здравствуйте, Ольга! Список команд: /help"]
    assert telegram.texts(JOHN)[0].startswith("This Telegram account is not linked to Voronka")


async def test_relinking_moves_the_telegram_account_to_the_new_user(telegram: BotHarness) -> None:
    first = await link(await make_user(), OLGA)
    second = await make_user()
    await telegram.send(OLGA, f"/start {await _token_for(second)}")
    assert (await User.get(id=first.id)).telegram_user_id is None
    assert (await User.get(id=second.id)).telegram_user_id == OLGA.id
