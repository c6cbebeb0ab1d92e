from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.errors import ValidationFailed
from models.rules.when import DEFAULT_TIME, HORIZON, InvalidWhen, parse_when
from tests.models.expect import assert_bilingual

MSK = ZoneInfo("Europe/Moscow")
BERLIN = ZoneInfo("Europe/Berlin")
# Wednesday 25 November 2026, 11:00 in Moscow.
NOW = datetime(2026, 11, 25, 11, 0, tzinfo=MSK)


def local(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=MSK)


def when(text: str, now: datetime = NOW, zone: ZoneInfo = MSK) -> datetime:
    result = parse_when(text, now=now, timezone=zone)
    assert result.tzinfo is zone
    assert result.astimezone(UTC) > now.astimezone(UTC)
    return result


def refused(text: str, now: datetime = NOW, zone: ZoneInfo = MSK) -> InvalidWhen:
    with pytest.raises(InvalidWhen) as caught:
        parse_when(text, now=now, timezone=zone)
    (error,) = caught.value.errors
    assert_bilingual(error)
    assert error.code == caught.value.reason
    return caught.value


RUSSIAN = [
    ("сегодня", local(2026, 11, 25, 12, 0)),
    ("завтра", local(2026, 11, 26, 10, 0)),
    ("послезавтра", local(2026, 11, 27, 10, 0)),
    ("на завтра", local(2026, 11, 26, 10, 0)),
    ("завтра в 15:00", local(2026, 11, 26, 15, 0)),
    ("завтра в 15", local(2026, 11, 26, 15, 0)),
    ("завтра к 10", local(2026, 11, 26, 10, 0)),
    ("в 15:30 завтра", local(2026, 11, 26, 15, 30)),
    ("в 15:30", local(2026, 11, 25, 15, 30)),
    ("в 15.30", local(2026, 11, 25, 15, 30)),
    ("15:30", local(2026, 11, 25, 15, 30)),
    ("в 15 часов", local(2026, 11, 25, 15, 0)),
    ("в 10:00", local(2026, 11, 26, 10, 0)),
    ("в 9 утра", local(2026, 11, 26, 9, 0)),
    ("в 3 дня", local(2026, 11, 25, 15, 0)),
    ("в 3 часа дня", local(2026, 11, 25, 15, 0)),
    ("в 7 вечера", local(2026, 11, 25, 19, 0)),
    ("в 11 вечера", local(2026, 11, 25, 23, 0)),
    ("в 2 ночи", local(2026, 11, 26, 2, 0)),
    ("в 12 ночи", local(2026, 11, 26, 0, 0)),
    ("в пятницу", local(2026, 11, 27, 10, 0)),
    ("в пт", local(2026, 11, 27, 10, 0)),
    ("во вторник", local(2026, 12, 1, 10, 0)),
    ("в среду", local(2026, 12, 2, 10, 0)),
    ("в воскресенье", local(2026, 11, 29, 10, 0)),
    ("в эту пятницу", local(2026, 11, 27, 10, 0)),
    ("в следующий понедельник", local(2026, 11, 30, 10, 0)),
    ("в следующую пятницу", local(2026, 12, 4, 10, 0)),
    ("на следующей неделе", local(2026, 11, 30, 10, 0)),
    ("в пятницу в 15:00", local(2026, 11, 27, 15, 0)),
    ("через 2 часа", local(2026, 11, 25, 13, 0)),
    ("через 30 минут", local(2026, 11, 25, 11, 30)),
    ("через час", local(2026, 11, 25, 12, 0)),
    ("через минуту", local(2026, 11, 25, 11, 1)),
    ("через полчаса", local(2026, 11, 25, 11, 30)),
    ("через пол часа", local(2026, 11, 25, 11, 30)),
    ("через полтора часа", local(2026, 11, 25, 12, 30)),
    ("через пару часов", local(2026, 11, 25, 13, 0)),
    ("через два часа", local(2026, 11, 25, 13, 0)),
    ("через 2ч", local(2026, 11, 25, 13, 0)),
    ("через 15 мин", local(2026, 11, 25, 11, 15)),
    ("через 3 дня", local(2026, 11, 28, 10, 0)),
    ("через 1 день", local(2026, 11, 26, 10, 0)),
    ("через 5 дней", local(2026, 11, 30, 10, 0)),
    ("через три дня вечером", local(2026, 11, 28, 18, 0)),
    ("через неделю", local(2026, 12, 2, 10, 0)),
    ("через неделю в 15:00", local(2026, 12, 2, 15, 0)),
    ("через 2 недели", local(2026, 12, 9, 10, 0)),
    ("через месяц", local(2026, 12, 25, 10, 0)),
    ("через 3 месяца", local(2027, 2, 25, 10, 0)),
    ("через год", local(2027, 11, 25, 10, 0)),
    ("25.12", local(2026, 12, 25, 10, 0)),
    ("25.12 10:00", local(2026, 12, 25, 10, 0)),
    ("25.12 в 18:30", local(2026, 12, 25, 18, 30)),
    ("25.12.2026 в 9:30", local(2026, 12, 25, 9, 30)),
    ("25.12.26", local(2026, 12, 25, 10, 0)),
    ("5.1", local(2027, 1, 5, 10, 0)),
    ("на 25.12", local(2026, 12, 25, 10, 0)),
    ("25 декабря", local(2026, 12, 25, 10, 0)),
    ("25 дек", local(2026, 12, 25, 10, 0)),
    ("25-го декабря", local(2026, 12, 25, 10, 0)),
    ("25 декабря 2027 года", local(2027, 12, 25, 10, 0)),
    ("25 декабря в 14:00", local(2026, 12, 25, 14, 0)),
    ("1 марта утром", local(2027, 3, 1, 9, 0)),
    ("утром", local(2026, 11, 26, 9, 0)),
    ("с утра", local(2026, 11, 26, 9, 0)),
    ("днём", local(2026, 11, 25, 13, 0)),
    ("в обед", local(2026, 11, 25, 13, 0)),
    ("в полдень", local(2026, 11, 25, 12, 0)),
    ("вечером", local(2026, 11, 25, 18, 0)),
    ("в понедельник утром", local(2026, 11, 30, 9, 0)),
    ("утром в понедельник", local(2026, 11, 30, 9, 0)),
    ("в понедельник утром в 8:30", local(2026, 11, 30, 8, 30)),
    ("завтра вечером", local(2026, 11, 26, 18, 0)),
    ("сегодня вечером", local(2026, 11, 25, 18, 0)),
    ("вечером в 7", local(2026, 11, 25, 19, 0)),
    ("завтра днём в 2", local(2026, 11, 26, 14, 0)),
]

ENGLISH = [
    ("today", local(2026, 11, 25, 12, 0)),
    ("tomorrow", local(2026, 11, 26, 10, 0)),
    ("the day after tomorrow", local(2026, 11, 27, 10, 0)),
    ("tomorrow 3pm", local(2026, 11, 26, 15, 0)),
    ("tomorrow at 15:00", local(2026, 11, 26, 15, 0)),
    ("3pm tomorrow", local(2026, 11, 26, 15, 0)),
    ("at 3:30 pm", local(2026, 11, 25, 15, 30)),
    ("3 p.m.", local(2026, 11, 25, 15, 0)),
    ("at 9am", local(2026, 11, 26, 9, 0)),
    ("12pm", local(2026, 11, 25, 12, 0)),
    ("12am", local(2026, 11, 26, 0, 0)),
    ("at 7 o'clock", local(2026, 11, 25, 19, 0)),
    ("friday", local(2026, 11, 27, 10, 0)),
    ("on friday", local(2026, 11, 27, 10, 0)),
    ("fri", local(2026, 11, 27, 10, 0)),
    ("this friday", local(2026, 11, 27, 10, 0)),
    ("next friday", local(2026, 12, 4, 10, 0)),
    ("next monday", local(2026, 11, 30, 10, 0)),
    ("wednesday", local(2026, 12, 2, 10, 0)),
    ("next week", local(2026, 11, 30, 10, 0)),
    ("monday morning", local(2026, 11, 30, 9, 0)),
    ("on monday at 4pm", local(2026, 11, 30, 16, 0)),
    ("in 2 hours", local(2026, 11, 25, 13, 0)),
    ("in 30 minutes", local(2026, 11, 25, 11, 30)),
    ("in 30 min", local(2026, 11, 25, 11, 30)),
    ("in 2h", local(2026, 11, 25, 13, 0)),
    ("in an hour", local(2026, 11, 25, 12, 0)),
    ("in half an hour", local(2026, 11, 25, 11, 30)),
    ("in an hour and a half", local(2026, 11, 25, 12, 30)),
    ("in a couple of hours", local(2026, 11, 25, 13, 0)),
    ("in two hours", local(2026, 11, 25, 13, 0)),
    ("in 3 days", local(2026, 11, 28, 10, 0)),
    ("in a week", local(2026, 12, 2, 10, 0)),
    ("in 2 weeks", local(2026, 12, 9, 10, 0)),
    ("in a month", local(2026, 12, 25, 10, 0)),
    ("in a year", local(2027, 11, 25, 10, 0)),
    ("Dec 25", local(2026, 12, 25, 10, 0)),
    ("December 25th", local(2026, 12, 25, 10, 0)),
    ("Dec 25, 2027", local(2027, 12, 25, 10, 0)),
    ("on Dec 25 at 10:00", local(2026, 12, 25, 10, 0)),
    ("25 Dec", local(2026, 12, 25, 10, 0)),
    ("25 Dec 3pm", local(2026, 12, 25, 15, 0)),
    ("25th of December", local(2026, 12, 25, 10, 0)),
    ("12/25", local(2026, 12, 25, 10, 0)),
    ("25/12", local(2026, 12, 25, 10, 0)),
    ("12/25/2027", local(2027, 12, 25, 10, 0)),
    ("5/5", local(2027, 5, 5, 10, 0)),
    ("morning", local(2026, 11, 26, 9, 0)),
    ("in the morning", local(2026, 11, 26, 9, 0)),
    ("afternoon", local(2026, 11, 25, 13, 0)),
    ("evening", local(2026, 11, 25, 18, 0)),
    ("noon", local(2026, 11, 25, 12, 0)),
    ("tonight", local(2026, 11, 25, 18, 0)),
    ("tonight at 9", local(2026, 11, 25, 21, 0)),
    ("this evening", local(2026, 11, 25, 18, 0)),
    ("tomorrow evening", local(2026, 11, 26, 18, 0)),
    ("7 in the evening", local(2026, 11, 25, 19, 0)),
]

ISO = [
    ("2026-12-25", local(2026, 12, 25, 10, 0)),
    ("2026-12-25 10:00", local(2026, 12, 25, 10, 0)),
    ("2026-12-25T10:00", local(2026, 12, 25, 10, 0)),
    ("2026-12-25T10:00:30", local(2026, 12, 25, 10, 0, 30)),
    ("2026-11-25 18:45", local(2026, 11, 25, 18, 45)),
]


@pytest.mark.parametrize(("text", "expected"), RUSSIAN)
def test_russian(text: str, expected: datetime) -> None:
    assert when(text) == expected


@pytest.mark.parametrize(("text", "expected"), ENGLISH)
def test_english(text: str, expected: datetime) -> None:
    assert when(text) == expected


@pytest.mark.parametrize(("text", "expected"), ISO)
def test_iso(text: str, expected: datetime) -> None:
    assert when(text) == expected


@pytest.mark.parametrize(
    ("text", "same_as"),
    [
        ("  Завтра   В 15:00!!! ", "завтра в 15:00"),
        ("ЗАВТРА, в 15:00.", "завтра в 15:00"),
        ("днем", "днём"),
        ("Через  ПОЛЧАСА…", "через полчаса"),
        ("«в пятницу»", "в пятницу"),
        ("25 дек.", "25 декабря"),
        ("Tomorrow, 3 PM!", "tomorrow 3pm"),
        ("Next Monday?", "next monday"),
        ("25.12.", "25.12"),
        ("25\u00a0декабря", "25 декабря"),
    ],
)
def test_case_yo_spaces_and_punctuation_do_not_matter(text: str, same_as: str) -> None:
    assert when(text) == when(same_as)


# --- The rules -------------------------------------------------------------------------------


def test_today_without_a_time_is_ten_while_ahead_then_the_next_whole_hour() -> None:
    assert when("сегодня", now=local(2026, 11, 25, 8, 15)) == local(2026, 11, 25, 10, 0)
    assert when("today", now=local(2026, 11, 25, 11, 20)) == local(2026, 11, 25, 12, 0)
    assert when("25.11", now=local(2026, 11, 25, 14, 0)) == local(2026, 11, 25, 15, 0)
    assert when("сегодня", now=local(2026, 11, 25, 22, 59)) == local(2026, 11, 25, 23, 0)


def test_today_is_over_after_the_last_hour() -> None:
    assert refused("сегодня", now=local(2026, 11, 25, 23, 0)).reason == "when_in_past"


def test_a_time_without_a_day_that_has_passed_is_tomorrow() -> None:
    assert when("в 10:59") == local(2026, 11, 26, 10, 59)
    assert when("в 11:00") == local(2026, 11, 26, 11, 0)  # now itself counts as gone
    assert when("в 11:01") == local(2026, 11, 25, 11, 1)
    assert when("утром", now=local(2026, 11, 25, 8, 0)) == local(2026, 11, 25, 9, 0)


@pytest.mark.parametrize("text", ["сегодня в 9", "today at 10:59", "сегодня утром", "25.11 в 9"])
def test_today_with_a_passed_time_is_refused_not_moved(text: str) -> None:
    error = refused(text)
    assert error.reason == "when_in_past"
    assert "25.11.2026" in error.errors[0].message.ru


def test_a_weekday_is_never_today() -> None:
    assert when("в среду", now=local(2026, 11, 25, 7, 0)) == local(2026, 12, 2, 10, 0)
    assert when("в четверг", now=local(2026, 11, 25, 23, 59)) == local(2026, 11, 26, 10, 0)


@pytest.mark.parametrize(
    ("weekday", "nearest", "in_next_week"),
    [
        ("понедельник", "2026-11-30", "2026-11-30"),
        ("вторник", "2026-12-01", "2026-12-01"),
        ("среду", "2026-12-02", "2026-12-02"),
        ("четверг", "2026-11-26", "2026-12-03"),
        ("пятницу", "2026-11-27", "2026-12-04"),
        ("субботу", "2026-11-28", "2026-12-05"),
        ("воскресенье", "2026-11-29", "2026-12-06"),
    ],
)
def test_next_weekday_is_in_the_next_calendar_week(
    weekday: str, nearest: str, in_next_week: str
) -> None:
    assert when(f"в {weekday}").date().isoformat() == nearest
    assert when(f"в следующий {weekday}").date().isoformat() == in_next_week


def test_a_past_date_without_a_year_is_next_year() -> None:
    assert when("24.11") == local(2027, 11, 24, 10, 0)
    assert when("1 января") == local(2027, 1, 1, 10, 0)
    assert when("Jan 1") == local(2027, 1, 1, 10, 0)


def test_a_date_with_a_past_year_is_refused() -> None:
    assert refused("24.11.2026").reason == "when_in_past"
    assert refused("2025-12-25 10:00").reason == "when_in_past"
    assert refused("01.01.0001").reason == "when_in_past"


def test_month_and_year_rollover() -> None:
    new_years_eve = local(2026, 12, 31, 22, 0)
    assert when("завтра", now=new_years_eve) == local(2027, 1, 1, 10, 0)
    assert when("в 9", now=new_years_eve) == local(2027, 1, 1, 9, 0)
    assert when("через 3 часа", now=new_years_eve) == local(2027, 1, 1, 1, 0)
    assert when("в пятницу", now=new_years_eve) == local(2027, 1, 1, 10, 0)
    assert when("через неделю", now=new_years_eve) == local(2027, 1, 7, 10, 0)
    assert when("30.12", now=new_years_eve) == local(2027, 12, 30, 10, 0)
    assert when("31.12", now=new_years_eve) == local(2026, 12, 31, 23, 0)  # today's date is today
    assert refused("31.12", now=local(2026, 12, 31, 23, 30)).reason == "when_in_past"


def test_a_month_ahead_stops_at_the_end_of_a_shorter_month() -> None:
    assert when("через месяц", now=local(2027, 1, 31, 12, 0)) == local(2027, 2, 28, 10, 0)
    assert when("через месяц", now=local(2028, 1, 31, 12, 0)) == local(2028, 2, 29, 10, 0)
    assert when("через год", now=local(2028, 2, 29, 12, 0)) == local(2029, 2, 28, 10, 0)


def test_29_february() -> None:
    assert when("29.02", now=local(2027, 11, 25, 11, 0)) == local(2028, 2, 29, 10, 0)
    assert when("29.02.2028") == local(2028, 2, 29, 10, 0)
    assert when("29 Feb", now=local(2028, 1, 10, 11, 0)) == local(2028, 2, 29, 10, 0)
    error = refused("29.02")  # the next 29.02 after 25.11.2026 would be in 2027
    assert error.reason == "when_no_such_date"
    assert "29.02.2027" in error.errors[0].message.ru
    assert "leap" in error.errors[0].message.en
    assert refused("29.02.2027").reason == "when_no_such_date"


@pytest.mark.parametrize(
    "text", ["31.02", "30 февраля", "31.04.2027", "32.01", "0.05", "15.13", "Feb 30", "2027-02-29"]
)
def test_dates_that_do_not_exist_are_named(text: str) -> None:
    error = refused(text)
    assert error.reason == "when_no_such_date"
    assert "Такой даты нет" in error.errors[0].message.ru


def test_the_error_names_the_impossible_date() -> None:
    message = refused("31.02").errors[0].message
    assert "31.02" in message.ru
    assert "31 Feb" in message.en


# --- Time zones and DST ----------------------------------------------------------------------


def berlin(year: int, month: int, day: int, hour: int, minute: int, fold: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN, fold=fold)


def test_the_answer_is_in_the_users_zone_whatever_zone_now_is_in() -> None:
    now_utc = NOW.astimezone(UTC)
    result = parse_when("завтра в 15:00", now=now_utc, timezone=BERLIN)
    assert result.tzinfo is BERLIN
    assert result == berlin(2026, 11, 26, 15, 0)
    assert parse_when("в 10", now=now_utc, timezone=BERLIN) == berlin(2026, 11, 25, 10, 0)


def test_the_users_today_counts_not_utcs() -> None:
    late_in_moscow = datetime(2026, 11, 25, 21, 30, tzinfo=UTC)  # 00:30 on the 26th in Moscow
    assert when("завтра", now=late_in_moscow) == local(2026, 11, 27, 10, 0)


def test_hours_are_elapsed_time_across_spring_forward() -> None:
    # Berlin, 29 March 2026: 02:00 CET becomes 03:00 CEST.
    now = berlin(2026, 3, 29, 1, 30)
    result = when("через 2 часа", now=now, zone=BERLIN)
    assert result == berlin(2026, 3, 29, 4, 30)
    assert result.utcoffset() == timedelta(hours=2)
    assert result.astimezone(UTC) - now.astimezone(UTC) == timedelta(hours=2)


def test_days_keep_the_wall_time_across_spring_forward() -> None:
    now = berlin(2026, 3, 28, 11, 0)
    tomorrow = when("завтра в 10:00", now=now, zone=BERLIN)
    assert (tomorrow.hour, tomorrow.utcoffset()) == (10, timedelta(hours=2))
    assert tomorrow.astimezone(UTC) - now.astimezone(UTC) == timedelta(hours=22)
    assert when("in 24 hours", now=now, zone=BERLIN) == berlin(2026, 3, 29, 12, 0)


def test_a_wall_time_in_the_spring_gap_moves_forward() -> None:
    result = when("29.03 в 02:30", now=berlin(2026, 3, 28, 11, 0), zone=BERLIN)
    assert (result.hour, result.minute, result.utcoffset()) == (3, 30, timedelta(hours=2))


def test_a_repeated_wall_time_in_autumn_is_the_first_one() -> None:
    # Berlin, 25 October 2026: 03:00 CEST becomes 02:00 CET, so 02:30 happens twice.
    result = when("25.10 в 02:30", now=berlin(2026, 10, 24, 12, 0), zone=BERLIN)
    assert result.astimezone(UTC) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    after = when("через 3 дня", now=berlin(2026, 10, 24, 12, 0), zone=BERLIN)
    assert (after.day, after.hour, after.utcoffset()) == (27, 10, timedelta(hours=1))


def test_during_the_repeated_hour_a_first_pass_time_already_gone_is_tomorrow() -> None:
    second_pass = berlin(2026, 10, 25, 2, 30, fold=1)  # 01:30 UTC
    assert second_pass.astimezone(UTC) == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    result = when("в 02:45", now=second_pass, zone=BERLIN)  # 02:45 CEST was 00:45 UTC
    assert result == berlin(2026, 10, 26, 2, 45)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("завтра в 3", local(2026, 11, 26, 15, 0)),
        ("в 5:30", local(2026, 11, 25, 17, 30)),
        ("at 5:30", local(2026, 11, 25, 17, 30)),
        ("в 1", local(2026, 11, 25, 13, 0)),
        ("в 7", local(2026, 11, 25, 19, 0)),
        ("в 8", local(2026, 11, 26, 8, 0)),
        ("в 03:00", local(2026, 11, 26, 3, 0)),
        ("в 3 утра", local(2026, 11, 26, 3, 0)),
        ("в 3 ночи", local(2026, 11, 26, 3, 0)),
        ("at 3am", local(2026, 11, 26, 3, 0)),
    ],
)
def test_hours_one_to_seven_are_working_hours_unless_said_otherwise(
    text: str, expected: datetime
) -> None:
    assert when(text) == expected


# --- Errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "when_unreadable"),
        ("   ", "when_unreadable"),
        ("бла-бла", "when_unreadable"),
        ("когда-нибудь", "when_unreadable"),
        ("завтра в пятницу", "when_unreadable"),
        ("завтра через 2 часа", "when_unreadable"),
        ("в 15:00 в 16:00", "when_unreadable"),
        ("через день", "when_unreadable"),
        ("через 0 минут", "when_unreadable"),
        ("3 дня", "when_unreadable"),
        ("завтра 15", "when_unreadable"),
        ("в 7 вечера утром", "when_unreadable"),
        ("2026-12-25T10:00+03:00", "when_unreadable"),
        ("в 25:00", "when_bad_time"),
        ("25:00", "when_bad_time"),
        ("в 12:60", "when_bad_time"),
        ("13pm", "when_bad_time"),
        ("в 13 утра", "when_bad_time"),
        ("утром в 15:00", "when_bad_time"),
        ("вечером в 2", "when_bad_time"),
        ("03/04", "when_ambiguous"),
        ("1/12/2027", "when_ambiguous"),
        ("13/14", "when_no_such_date"),
        ("через 11 лет", "when_too_far"),
        ("25.12.2099", "when_too_far"),
        ("через 999999 дней", "when_too_far"),
        ("in 999999 years", "when_too_far"),
    ],
)
def test_refusals(text: str, reason: str) -> None:
    assert refused(text).reason == reason


def test_an_unreadable_text_says_what_is_understood() -> None:
    message = refused("когда-нибудь").errors[0].message
    assert "завтра в 15:00" in message.ru
    assert "через 2 часа" in message.ru
    assert "tomorrow 3pm" in message.en


def test_ambiguous_slash_date_offers_both_readings() -> None:
    message = refused("03/04").errors[0].message
    assert "3 апреля" in message.ru
    assert "4 марта" in message.ru
    assert "Mar 4" in message.en
    assert "3 Apr" in message.en


def test_the_error_is_a_validation_failure_on_the_callers_field() -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_when("когда-нибудь", now=NOW, timezone=MSK, field="next_step_at")
    assert [(e.field, e.code) for e in caught.value.errors] == [("next_step_at", "when_unreadable")]


def test_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse_when("завтра", now=NOW.replace(tzinfo=None), timezone=MSK)


def test_the_horizon_is_ten_years() -> None:
    assert when("через 10 лет") == local(2036, 11, 25, 10, 0)
    assert HORIZON >= timedelta(days=3652)


# --- Properties ------------------------------------------------------------------------------

ZONES = st.sampled_from(
    [
        ZoneInfo(name)
        for name in [
            "Europe/Moscow",
            "Europe/Berlin",
            "America/New_York",
            "Asia/Kathmandu",
            "Australia/Lord_Howe",
            "America/Santiago",
            "UTC",
        ]
    ]
)
NOWS = st.datetimes(
    min_value=datetime(2000, 1, 1),  # noqa: DTZ001
    max_value=datetime(2090, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)
VOCABULARY = st.sampled_from(
    "в во на к через at in on the next this следующий эту сегодня завтра послезавтра today "
    "tomorrow пятницу пн monday fri утром днём вечером morning evening tonight 15:00 9:30 "
    "3pm 7 15 25.12 31.02 29.02 12/25 03/04 2026-12-25 2026-12-25t10:00 декабря dec 25 "
    "2 30 часа минут дня дней неделю месяц год hours days week a an пару полчаса утра "
    "вечера ночи 0 00:00 23:59 24:00 1 99999 2030".split()
)


@given(now=NOWS, zone=ZONES, hours=st.integers(1, 10_000))
def test_in_n_hours_is_exactly_n_hours(now: datetime, zone: ZoneInfo, hours: int) -> None:
    for text in (f"через {hours} часов", f"in {hours} hours"):
        result = parse_when(text, now=now, timezone=zone)
        assert result.tzinfo is zone
        assert result.astimezone(UTC) == now + timedelta(hours=hours)


@given(now=NOWS, zone=ZONES, minutes=st.integers(1, 100_000))
def test_in_n_minutes_is_exactly_n_minutes(now: datetime, zone: ZoneInfo, minutes: int) -> None:
    result = parse_when(f"через {minutes} минут", now=now, timezone=zone)
    assert result.astimezone(UTC) == now + timedelta(minutes=minutes)


@given(now=NOWS, zone=ZONES, days=st.integers(1, 3000))
def test_in_n_days_is_that_date_at_the_default_time(
    now: datetime, zone: ZoneInfo, days: int
) -> None:
    result = parse_when(f"in {days} days", now=now, timezone=zone)
    assert result.date() == now.astimezone(zone).date() + timedelta(days=days)
    assert result.timetz().replace(tzinfo=None) == DEFAULT_TIME


@given(now=NOWS, zone=ZONES, weekday=st.integers(0, 6), next_week=st.booleans())
def test_a_weekday_lands_on_that_weekday_within_two_weeks(
    now: datetime, zone: ZoneInfo, weekday: int, next_week: bool
) -> None:
    names = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
    text = ("next " if next_week else "") + names[weekday]
    result = parse_when(text, now=now, timezone=zone)
    ahead = (result.date() - now.astimezone(zone).date()).days
    assert result.weekday() == weekday
    assert 1 <= ahead <= (13 if next_week else 7)
    assert (result.hour, result.minute) == (10, 0)


def exists(wall: datetime, zone: ZoneInfo) -> bool:
    """The naive `wall` time happens in `zone` (is not skipped by a spring-forward gap)."""
    aware = wall.replace(tzinfo=zone)
    return aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall


def happens_once(wall: datetime, zone: ZoneInfo) -> bool:
    """Neither skipped nor repeated by a clock change."""
    first, second = wall.replace(tzinfo=zone), wall.replace(tzinfo=zone, fold=1)
    return exists(wall, zone) and first.utcoffset() == second.utcoffset()


@given(now=NOWS, zone=ZONES, hour=st.integers(0, 23), minute=st.integers(0, 59))
def test_a_bare_time_is_the_next_such_wall_time(
    now: datetime, zone: ZoneInfo, hour: int, minute: int
) -> None:
    result = parse_when(f"в {hour:02}:{minute:02}", now=now, timezone=zone)
    assert now < result.astimezone(UTC) <= now + timedelta(hours=26)
    wall = datetime.combine(result.date(), datetime.min.time()).replace(hour=hour, minute=minute)
    if exists(wall, zone):
        assert (result.hour, result.minute) == (hour, minute)


@given(now=NOWS, zone=ZONES, day=st.integers(1, 31), month=st.integers(1, 12))
def test_a_date_without_a_year_is_within_a_year(
    now: datetime, zone: ZoneInfo, day: int, month: int
) -> None:
    refusal: str | None = None
    try:
        result = parse_when(f"{day}.{month}", now=now, timezone=zone)
    except InvalidWhen as error:
        refusal = error.reason
    else:
        assert (result.day, result.month) == (day, month)
    if refusal is not None:
        assert refusal in ("when_no_such_date", "when_in_past")  # 31.04, 29.02; today, late
        return
    assert result.astimezone(UTC) - now <= timedelta(days=367)


@given(now=NOWS, zone=ZONES, ahead=st.timedeltas(timedelta(minutes=1), timedelta(days=3000)))
def test_an_iso_moment_reads_back_as_itself(
    now: datetime, zone: ZoneInfo, ahead: timedelta
) -> None:
    moment = (now + ahead).astimezone(zone).replace(second=0, microsecond=0)
    if moment.astimezone(UTC) <= now or not happens_once(moment.replace(tzinfo=None), zone):
        return
    assert parse_when(f"{moment:%Y-%m-%d %H:%M}", now=now, timezone=zone) == moment


@given(now=NOWS, zone=ZONES, text=st.text(max_size=40))
def test_any_text_gives_a_future_moment_or_the_documented_error(
    now: datetime, zone: ZoneInfo, text: str
) -> None:
    check_any(text, now, zone)


@given(now=NOWS, zone=ZONES, words=st.lists(VOCABULARY, min_size=1, max_size=5))
def test_any_mix_of_known_words_gives_a_future_moment_or_the_documented_error(
    now: datetime, zone: ZoneInfo, words: list[str]
) -> None:
    check_any(" ".join(words), now, zone)


def check_any(text: str, now: datetime, zone: ZoneInfo) -> None:
    try:
        result = parse_when(text, now=now, timezone=zone)
    except InvalidWhen as error:
        (problem,) = error.errors
        assert problem.field == "when"
        assert_bilingual(problem)
        return
    assert result.tzinfo is zone
    assert now < result.astimezone(UTC) <= now + HORIZON
