"""Idempotency keys, sign-in leftovers and Telegram update ids are forgotten once they are no
longer needed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from models.clock import FrozenClock, use_clock
from models.entities import IdempotencyRecord, LoginFailure, TelegramUpdate
from models.ops.idempotency import Claimed, claim_key, complete_key
from models.ops.telegram_account import claim_telegram_update
from schedulers.housekeeping import purge_expired


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
