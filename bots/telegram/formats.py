"""Moments, days, money and counts as a person reads them in the chat, in Russian or English.

Times are shown on the wall clock of the user's zone (`Actor.timezone`): stored moments are UTC.
Russian writes 27.11 and «в 10:00»; English writes Nov 27 and "at 10:00". Both use a 24-hour
clock, which `parse_when` also reads back.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

_RU_WEEKDAYS = ("пн", "вт", "ср", "чт", "пт", "сб", "вс")
_EN_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_RU_MONTHS = (
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
)
_EN_MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_EN_MONTHS = tuple(name[:3] for name in _EN_MONTH_NAMES)
_CURRENCY_SIGNS = {"RUB": "₽", "USD": "$", "EUR": "€", "CNY": "¥", "KZT": "₸", "BYN": "Br"}
_NBSP = "\u00a0"


def local(at: datetime, timezone: str) -> datetime:
    return at.astimezone(ZoneInfo(timezone))


def day_title(at: datetime, timezone: str, language: str) -> str:
    """The day of `at` with its weekday: «ср, 25 ноября» / "Wed, 25 November"."""
    day = local(at, timezone).date()
    if language == "en":
        return f"{_EN_WEEKDAYS[day.weekday()]}, {day.day} {_EN_MONTH_NAMES[day.month - 1]}"
    return f"{_RU_WEEKDAYS[day.weekday()]}, {day.day} {_RU_MONTHS[day.month - 1]}"


def _short_date(day: date, today: date, language: str) -> str:
    if language == "en":
        shown = f"{_EN_MONTHS[day.month - 1]} {day.day}"
        return shown if day.year == today.year else f"{shown}, {day.year}"
    return f"{day:%d.%m}" if day.year == today.year else f"{day:%d.%m.%Y}"


def moment(at: datetime, timezone: str, language: str, *, now: datetime) -> str:
    """A moment as a date and a time: «27.11 в 10:00» / "Nov 27 at 10:00" (with the year when
    it is not this year's): what a confirmation repeats back."""
    wall, today = local(at, timezone), local(now, timezone).date()
    joiner = " at " if language == "en" else " в "
    return f"{_short_date(wall.date(), today, language)}{joiner}{wall:%H:%M}"


def when(at: datetime, timezone: str, language: str, *, now: datetime) -> str:
    """A moment relative to today where that reads better: «сегодня в 15:00», «завтра в 10:00»,
    «вчера в 9:30», else as `moment`."""
    wall, today = local(at, timezone), local(now, timezone).date()
    names = {
        today: ("сегодня", "today"),
        today + timedelta(days=1): ("завтра", "tomorrow"),
        today - timedelta(days=1): ("вчера", "yesterday"),
    }
    name = names.get(wall.date())
    if name is None:
        return moment(at, timezone, language, now=now)
    if language == "en":
        return f"{name[1]} at {wall:%H:%M}"
    return f"{name[0]} в {wall:%H:%M}"


def plural(count: int, language: str, ru: tuple[str, str, str], en: tuple[str, str]) -> str:
    """`count` with its noun: 1 день, 2 дня, 5 дней / 1 day, 5 days. `ru` is (one, few, many)."""
    if language == "en":
        return f"{count} {en[0] if count == 1 else en[1]}"
    tens, ones = count % 100, count % 10
    if ones == 1 and tens != 11:
        noun = ru[0]
    elif 2 <= ones <= 4 and not 12 <= tens <= 14:
        noun = ru[1]
    else:
        noun = ru[2]
    return f"{count} {noun}"


def days(count: int, language: str) -> str:
    return plural(count, language, ("день", "дня", "дней"), ("day", "days"))


def money(amount: Decimal, currency: str, language: str) -> str:
    """«1 250 000 ₽», «99,50 $» / "₽1,250,000", "$99.50": kopecks only when there are some."""
    sign = _CURRENCY_SIGNS.get(currency, currency)
    whole = amount == amount.to_integral_value()
    number = f"{amount:,.0f}" if whole else f"{amount:,.2f}"
    if language == "en":
        return f"{sign}{number}" if sign != currency else f"{number} {currency}"
    number = number.replace(",", _NBSP).replace(".", ",")
    return f"{number}{_NBSP}{sign}"


def sums(amounts: dict[str, Decimal], language: str) -> str:
    """Sums in several currencies, never added together: «150 000 ₽ + 2 000 $»."""
    return " + ".join(money(amounts[code], code, language) for code in sorted(amounts))


def shorten(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a word where possible, with «…»."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,.;:-—") + "…"
