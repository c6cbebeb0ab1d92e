from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from models.rules.snooze import an_hour_later, tomorrow

MSK = ZoneInfo("Europe/Moscow")
BERLIN = ZoneInfo("Europe/Berlin")


def test_an_hour_later_is_cut_to_the_minute() -> None:
    now = datetime(2026, 11, 25, 8, 23, 41, 500, tzinfo=UTC)
    assert an_hour_later(now) == datetime(2026, 11, 25, 9, 23, tzinfo=UTC)
    assert an_hour_later(now) > now


def test_tomorrow_keeps_the_wall_time_it_was_due_at() -> None:
    now = datetime(2026, 11, 25, 20, 30, tzinfo=UTC)  # 23:30 in Moscow
    due = datetime(2026, 11, 20, 12, 15, 59, tzinfo=UTC)  # 15:15:59 in Moscow
    assert tomorrow(now, due, MSK) == datetime(2026, 11, 26, 15, 15, tzinfo=MSK)
    assert tomorrow(now, None, MSK) == datetime(2026, 11, 26, 10, 0, tzinfo=MSK)


def test_tomorrow_is_the_users_tomorrow() -> None:
    now = datetime(2026, 11, 25, 22, 30, tzinfo=UTC)  # already the 26th in Moscow
    assert tomorrow(now, None, MSK) == datetime(2026, 11, 27, 10, 0, tzinfo=MSK)
    assert tomorrow(now, None, ZoneInfo("America/New_York")).day == 26


def test_a_wall_time_lost_to_spring_forward_moves_on_by_the_gap() -> None:
    now = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)  # Berlin skips 02:00–03:00 on the 29th
    due = datetime(2026, 3, 20, 1, 30, tzinfo=UTC)  # 02:30 in Berlin
    moved = tomorrow(now, due, BERLIN)
    assert moved.astimezone(UTC) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # 03:30 CEST
    assert (moved.hour, moved.minute) == (3, 30)
