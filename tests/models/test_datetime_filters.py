"""A filter with a non-UTC offset compares instants, not text (SQLite stores UTC text)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from models.entities import LoginFailure

MSK = timezone(timedelta(hours=3))


async def test_offset_aware_filters_compare_instants(db: str) -> None:
    await LoginFailure.create(key="before", at=datetime(2026, 3, 2, 20, 59, tzinfo=UTC))
    await LoginFailure.create(key="after", at=datetime(2026, 3, 2, 22, 0, tzinfo=UTC))
    midnight_moscow = datetime(2026, 3, 3, 0, 0, tzinfo=MSK)  # 21:00 UTC
    earlier = await LoginFailure.filter(at__lt=midnight_moscow).values_list("key", flat=True)
    later = await LoginFailure.filter(at__gte=midnight_moscow).values_list("key", flat=True)
    assert (earlier, later) == (["before"], ["after"])
