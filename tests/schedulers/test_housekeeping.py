"""Idempotency keys, sign-in leftovers, Telegram update ids and expired Telegram deep links
(staff and client) are forgotten once they are no longer needed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from models.clock import FrozenClock, use_clock
from models.entities import (
    AuditEntry,
    ChannelIdentity,
    IdempotencyRecord,
    LoginFailure,
    TelegramLinkToken,
    TelegramSubscriptionToken,
    TelegramUpdate,
    User,
)
from models.ops.idempotency import Claimed, claim_key, complete_key
from models.ops.subscriptions import (
    SUBSCRIPTION_TTL,
    issue_subscription,
    subscribe_telegram_chat,
)
from models.ops.telegram_account import claim_telegram_update
from models.ops.telegram_link import LINK_TTL, consume_telegram_link, issue_telegram_link
from schedulers.housekeeping import purge_expired
from tests.factories import actor_for, make_contact, make_office, make_user


async def test_purge_keeps_fresh_rows_and_drops_expired_ones(db: str) -> None:
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with use_clock(FrozenClock(start)) as clock:
        old = await claim_key(1, "old", "h")
        assert isinstance(old, Claimed)
        await complete_key(old, 201, {}, b"{}")
        await LoginFailure.create(key="login:a@b.test")
        clock.advance(timedelta(hours=23))
        await claim_key(1, "fresh", "h")
        await LoginFailure.create(key="login:c@d.test")
        clock.advance(timedelta(hours=2))
        await purge_expired()
    assert await IdempotencyRecord.filter().values_list("key", flat=True) == ["fresh"]
    assert await LoginFailure.all().count() == 0


async def test_purge_forgets_telegram_updates_after_two_days(db: str) -> None:
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with use_clock(FrozenClock(start)) as clock:
        await claim_telegram_update(1, 10)
        clock.advance(timedelta(hours=47))
        await claim_telegram_update(1, 11)
        clock.advance(timedelta(hours=2))
        await purge_expired()
    assert await TelegramUpdate.filter().values_list("update_id", flat=True) == [11]


async def test_purge_forgets_staff_telegram_links_once_expired_used_or_not(db: str) -> None:
    office = await make_office("Москва")
    user = await make_user(office)
    actor = await actor_for(user)
    with use_clock(FrozenClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))) as clock:
        used = await issue_telegram_link(actor, "voronka_bot")
        assert await consume_telegram_link(used.token, 777) is not None
        await issue_telegram_link(actor, "voronka_bot")
        clock.advance(LINK_TTL - timedelta(minutes=1))
        fresh = await issue_telegram_link(actor, "voronka_bot")
        assert sum((await purge_expired()).values()) == 0
        clock.advance(timedelta(minutes=1))
        assert (await purge_expired())["staff Telegram links"] == 2
        assert await TelegramLinkToken.all().count() == 1
        assert await consume_telegram_link(fresh.token, 777) is not None
    assert (await User.get(id=user.id)).telegram_user_id == 777


async def test_purge_forgets_client_telegram_links_once_expired_keeping_the_subscription(
    db: str,
) -> None:
    office = await make_office("Москва")
    actor = await actor_for(await make_user(office))
    contact = await make_contact(actor)
    with use_clock(FrozenClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))) as clock:
        opened = await issue_subscription(actor, "voronka_bot", contact_id=contact.id)
        assert await subscribe_telegram_chat(opened.token, 555) is not None
        await issue_subscription(actor, "voronka_bot", contact_id=contact.id)
        clock.advance(SUBSCRIPTION_TTL - timedelta(hours=1))
        fresh = await issue_subscription(actor, "voronka_bot", contact_id=contact.id)
        assert (await purge_expired())["client subscription links"] == 0
        # The chat that opened a link may open it again while it is valid, not after.
        assert await subscribe_telegram_chat(opened.token, 555) is not None
        clock.advance(timedelta(hours=1))
        assert (await purge_expired())["client subscription links"] == 2
        assert await subscribe_telegram_chat(opened.token, 555) is None
        assert await TelegramSubscriptionToken.all().count() == 1
        assert await subscribe_telegram_chat(fresh.token, 556) is not None
    assert await ChannelIdentity.filter(contact_id=contact.id, address="555").exists()
    assert await AuditEntry.filter(entity="contact", action="telegram_subscribed").count() == 2
