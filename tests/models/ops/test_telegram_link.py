"""One-time Telegram deep links: consumed once, within ten minutes, by an active user."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

from tortoise.transactions import in_transaction

from models.actor import Actor
from models.clock import FrozenClock, now, use_clock
from models.entities import AuditEntry, User
from models.ops.org import set_user_active
from models.ops.telegram_link import consume_telegram_link, issue_telegram_link
from tests.factories import actor_for, make_user

TELEGRAM_ID = 700_100_200


async def test_link_binds_the_account_once(db: str) -> None:
    user = await make_user()
    link = await issue_telegram_link(await actor_for(user), "voronka_bot")
    assert re.fullmatch(r"https://t\.me/voronka_bot\?start=[A-Za-z0-9_-]{32}", link.url)
    assert link.url.endswith(link.token)
    linked = await consume_telegram_link(link.token, TELEGRAM_ID)
    assert linked is not None
    assert linked.id == user.id
    assert (await User.get(id=user.id)).telegram_user_id == TELEGRAM_ID
    assert await consume_telegram_link(link.token, TELEGRAM_ID + 1) is None
    assert (await User.get(id=user.id)).telegram_user_id == TELEGRAM_ID
    assert (
        await AuditEntry.filter(entity="user", entity_id=user.id, field="telegram_user_id").count()
        == 1
    )


async def test_expired_unknown_and_deactivated_links_do_nothing(db: str) -> None:
    user = await make_user()
    with use_clock(FrozenClock(now())) as clock:
        link = await issue_telegram_link(await actor_for(user), "voronka_bot")
        clock.advance(timedelta(minutes=10, seconds=1))
        assert await consume_telegram_link(link.token, TELEGRAM_ID) is None
    assert await consume_telegram_link("not-a-token", TELEGRAM_ID) is None
    fresh = await issue_telegram_link(await actor_for(user), "voronka_bot")
    await set_user_active(Actor.system(), user.id, False)
    assert await consume_telegram_link(fresh.token, TELEGRAM_ID) is None
    assert (await User.get(id=user.id)).telegram_user_id is None


async def test_raced_consumption_succeeds_once(db: str) -> None:
    user = await make_user()
    link = await issue_telegram_link(await actor_for(user), "voronka_bot")

    async def consume(telegram_id: int) -> User | None:
        async with in_transaction():
            return await consume_telegram_link(link.token, telegram_id)

    results = await asyncio.gather(*(consume(TELEGRAM_ID + i) for i in range(5)))
    assert sum(r is not None for r in results) == 1


async def test_relinking_moves_the_telegram_account(db: str) -> None:
    first, second = await make_user(), await make_user()
    await consume_telegram_link(
        (await issue_telegram_link(await actor_for(first), "b0t_x")).token, TELEGRAM_ID
    )
    await consume_telegram_link(
        (await issue_telegram_link(await actor_for(second), "b0t_x")).token, TELEGRAM_ID
    )
    assert (await User.get(id=first.id)).telegram_user_id is None
    assert (await User.get(id=second.id)).telegram_user_id == TELEGRAM_ID
