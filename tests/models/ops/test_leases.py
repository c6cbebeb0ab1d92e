"""The lease: of several holders racing, exactly one gets it; it is renewed, handed over on
expiry, and freed on release. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from tortoise.transactions import in_transaction

from models.clock import FrozenClock, use_clock
from models.entities import SchedulerLease
from models.ops.leases import acquire_lease, lease_holder, new_holder_id, release_lease

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TTL = timedelta(seconds=30)
NAME = "scheduler"

pytestmark = pytest.mark.usefixtures("db")


async def _acquire(holder: str) -> datetime | None:
    async with in_transaction():
        return await acquire_lease(NAME, holder, TTL)


async def _race(holders: list[str]) -> list[str]:
    results = await asyncio.gather(*(_acquire(h) for h in holders))
    return [h for h, until in zip(holders, results, strict=True) if until is not None]


async def test_holders_racing_for_a_new_lease_get_exactly_one_leader() -> None:
    holders = [f"host:{n}:r" for n in range(8)]
    with use_clock(FrozenClock(T0)):
        winners = await _race(holders)
        assert len(winners) == 1
        assert await lease_holder(NAME) == winners[0]
    assert await SchedulerLease.filter(name=NAME).count() == 1


async def test_holders_racing_for_an_expired_lease_get_exactly_one_leader() -> None:
    with use_clock(FrozenClock(T0)) as clock:
        assert await _acquire("gone:1:r") == T0 + TTL
        clock.advance(TTL + timedelta(seconds=1))
        winners = await _race([f"host:{n}:r" for n in range(8)])
    assert len(winners) == 1


async def test_the_holder_renews_and_others_are_refused_until_it_expires() -> None:
    with use_clock(FrozenClock(T0)) as clock:
        assert await _acquire("a") == T0 + TTL
        clock.advance(timedelta(seconds=10))
        assert await _acquire("b") is None
        assert await _acquire("a") == T0 + timedelta(seconds=40)  # renewed
        clock.advance(timedelta(seconds=25))  # past the first expiry, within the renewed one
        assert await _acquire("b") is None
        assert await lease_holder(NAME) == "a"
        lease = await SchedulerLease.get(name=NAME)
        assert lease.renewed_at == T0 + timedelta(seconds=10)


async def test_an_expired_lease_is_handed_over() -> None:
    with use_clock(FrozenClock(T0)) as clock:
        await _acquire("a")
        clock.advance(TTL)
        assert await lease_holder(NAME) is None
        assert await _acquire("b") == T0 + 2 * TTL
        assert await _acquire("a") is None  # the old holder lost it
        assert await lease_holder(NAME) == "b"


async def test_release_frees_the_lease_at_once_and_only_for_its_holder() -> None:
    with use_clock(FrozenClock(T0)) as clock:
        await _acquire("a")
        clock.advance(timedelta(seconds=5))
        assert await release_lease(NAME, "b") is False
        assert await lease_holder(NAME) == "a"
        assert await release_lease(NAME, "a") is True
        assert await lease_holder(NAME) is None
        assert await _acquire("b") is not None


async def test_leases_are_separate_per_name() -> None:
    with use_clock(FrozenClock(T0)):
        async with in_transaction():
            assert await acquire_lease("one", "a", TTL) is not None
            assert await acquire_lease("two", "b", TTL) is not None


def test_holder_ids_differ_within_one_process() -> None:
    assert new_holder_id() != new_holder_id()


async def test_losing_the_first_insert_race_is_a_follower_and_the_transaction_goes_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Both processes saw no row and insert: the second hits the unique name, inside a savepoint,
    so its transaction (on PostgreSQL, aborted by a failed statement otherwise) still works."""
    with use_clock(FrozenClock(T0)):
        assert await _acquire("a") is not None

        async def no_row(**_: object) -> bool:
            return False

        monkeypatch.setattr(SchedulerLease, "exists", no_row)
        monkeypatch.setattr(SchedulerLease, "filter", _updates_nothing(SchedulerLease.filter))
        async with in_transaction():
            assert await acquire_lease(NAME, "b", TTL) is None
            monkeypatch.undo()
            assert await lease_holder(NAME) == "a"


def _updates_nothing(filter_: Callable[..., Any]) -> Callable[..., Any]:
    """The lease's conditional UPDATE as if it ran before the other process's insert."""

    class NoUpdate:
        def __init__(self, query: Any) -> None:
            self.query = query

        async def update(self, **_: object) -> int:
            return 0

    return lambda *args, **kwargs: NoUpdate(filter_(*args, **kwargs))
