"""When something should happen, as a manager types it to the bot. Pure: no I/O, no clock.

`parse_when("завтра в 15", now=..., timezone=ZoneInfo("Europe/Moscow"))` reads the text in the
user's time zone and returns an aware datetime in that zone (callers convert to UTC to store it).
Russian and English are always both understood, whatever the user's interface language, so
there is no language parameter. Anything else raises `InvalidWhen`, a `ValidationFailed` with one
field error whose ru/en message says what went wrong and which forms are understood.

What is read (case does not matter, ё = е, extra spaces, commas and trailing punctuation are
ignored; a day and a time may come in either order: "вечером в пятницу", "3pm tomorrow"):

- Days: сегодня / today, завтра / tomorrow, послезавтра / the day after tomorrow; a weekday
  (понедельник…воскресенье, пн…вс, monday/mon…sunday/sun, with "в", "во", "на", "on"); "this" /
  «этот», «ближайший» change nothing; «следующий» / "next" + weekday; «на следующей неделе» /
  "next week".
- Dates: 25.12, 25.12.26, 25.12.2026, 25 декабря [2026 [года]], 25 дек, 25-го декабря, Dec 25,
  December 25th 2026, 25 Dec, 25th of December; ISO 2026-12-25, 2026-12-25 10:00,
  2026-12-25T10:00[:00]; slashes only when unambiguous (below).
- Times: 15:00, в 15:00, в 15, в 15.30 (a dotted time needs «в», «к» or "at": a bare 10.12 is a
  date), к 10, at 3, 3pm, 3:30 pm, 3 p.m., в 15 часов, в 9 утра, в 3 дня, в 7 вечера, в 2 ночи,
  7 o'clock, 7 in the evening. Parts of the day: утром, «с утра» / (in the) morning 09:00;
  в полдень / noon 12:00; днём, в обед / afternoon 13:00; вечером / evening 18:00; "tonight",
  "this evening" are today 18:00. With a time a part makes it precise: «вечером в 7» is 19:00.
- From now: через 2 часа, через 30 минут, через час, через полчаса, через полтора часа, через 2ч,
  in 2 hours, in 30 min, in an hour, in half an hour, in a couple of hours (exact durations);
  через 3 дня, через неделю, через 2 недели, через месяц, через год, in 3 days, in a week, in a
  month (calendar steps: they give a day, and a time may follow: «через неделю в 15:00»).
  Amounts are digits or words up to ten, and 15, 20, 30, 40, «пару» / "a couple of".

The rules:

1. A day without a time gets DEFAULT_TIME, 10:00 (the start of a working day).
2. Today without a time (сегодня, today, or today's date) is 10:00 if that is still ahead, else the
   next whole hour; when that would be tomorrow, today is over and it is an error.
3. A time without a day is today if still ahead, else tomorrow (at or before now counts as gone).
   Parts of the day follow the same rule: «вечером» at 19:00 means tomorrow 18:00.
4. Today with a time that has passed («сегодня в 9» at 11:00) is an error, not tomorrow: the user
   named the day. The same for a date with a passed time and a date with a year in the past.
5. A weekday is its next occurrence strictly after today: «в среду» on a Wednesday is in seven
   days. «Следующий» / "next" means that weekday in the next calendar week (weeks start on
   Monday): on Wednesday 25.11.2026 «в пятницу» is 27.11 and «в следующую пятницу» is 04.12.
6. A date without a year is this year if it is today or later, else next year. 29.02 in a year
   that is not a leap year, and dates that never exist (31.02, 32.01, 13th month) are errors.
7. Slashes: 12/25 and 25/12 are both 25 December, because only one reading is a date; 03/04 could
   be 3 April or March 4, so it is an error asking for 03.04, "Apr 3" or 2026-04-03. Dots are
   always day.month (Russian usage).
8. A bare number is a time only after «в», «к», "at", with an hour word or a suffix (pm, утра,
   вечера…), or before a part of the day ("7 in the evening"); «завтра 15» and «3 дня» alone are
   not read. Working hours: an hour from 1 to 7 said without утра/ночи/am or a part of the day is
   in the afternoon, because that is what a manager booking a call means: «завтра в 3» is 15:00,
   "at 5:30" is 17:30. A leading zero keeps it in the night: «в 03:00» is 03:00.
   «через день» is not read either (it also means "every other day"): say завтра or через 1 день.
9. Wall time to instant goes through zoneinfo: a time that does not exist on a spring-forward
   day moves forward by the gap (02:30 → 03:30 in Berlin), a repeated one on a fall-back day is
   its first occurrence. Durations (minutes, hours) are added to the instant, so «через 2 часа»
   is always 7200 seconds; calendar steps keep the wall time.
10. The result is always after `now` and at most HORIZON (ten years) ahead.
"""

from __future__ import annotations

import re
from calendar import isleap, monthrange
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import MAXYEAR, UTC, date, datetime, time, timedelta
from typing import TypeAlias
from zoneinfo import ZoneInfo

from models.errors import FieldError, ValidationFailed
from models.text import Text

DEFAULT_TIME = time(10, 0)
PART_TIMES = {
    "morning": time(9, 0),
    "noon": time(12, 0),
    "afternoon": time(13, 0),
    "evening": time(18, 0),
}
HORIZON = timedelta(days=3653)

FORMS_HELP = Text(
    "Понимаю: сегодня, завтра, послезавтра, в пятницу, в следующий понедельник, через 2 часа, "
    "через 3 дня, через неделю, 25.12, 25 декабря, 2026-12-25; время: в 15:00, в 15, "
    "в 7 вечера, утром, днём, вечером. Например: «завтра в 15:00».",
    "I understand: today, tomorrow, friday, next monday, in 2 hours, in 3 days, in a week, "
    "25.12, Dec 25, 2026-12-25; times: at 15:00, 3pm, morning, afternoon, evening. "
    "For example: “tomorrow 3pm”.",
)


class InvalidWhen(ValidationFailed):
    """Text that names no usable moment. `reason` is the field error's code:
    when_unreadable, when_no_such_date, when_bad_time, when_ambiguous, when_in_past,
    when_too_far."""

    def __init__(self, reason: str, message: Text, field: str = "when") -> None:
        self.reason = reason
        super().__init__([FieldError(field, reason, message)])


class _Problem(Exception):
    """Raised while reading; parse_when turns it into InvalidWhen with the caller's field."""

    def __init__(self, reason: str, message: Text) -> None:
        super().__init__(reason)
        self.reason = reason
        self.message = message


def _unreadable() -> _Problem:
    return _Problem(
        "when_unreadable",
        Text("Не понял, когда это. " + FORMS_HELP.ru, "Could not read when. " + FORMS_HELP.en),
    )


def _too_far() -> _Problem:
    return _Problem(
        "when_too_far",
        Text(
            "Слишком далеко: можно не дальше чем на 10 лет вперёд.",
            "Too far ahead: at most ten years from now.",
        ),
    )


def _no_such_date(day: int, month: int, year: int | None) -> _Problem:
    shown_ru = f"{day:02}.{month:02}" + (f".{year}" if year is not None else "")
    shown_en = f"{day} {_EN_MONTHS[month]}" if 1 <= month <= 12 else f"{day:02}.{month:02}"
    shown_en += f" {year}" if year is not None else ""
    ru, en = f"Такой даты нет: {shown_ru}.", f"There is no such date: {shown_en}."
    if year is not None and (day, month) == (29, 2) and not isleap(year):
        ru = f"Такой даты нет: {shown_ru} ({year} — не високосный год)."
        en = f"There is no such date: {shown_en} ({year} is not a leap year)."
    return _Problem("when_no_such_date", Text(ru, en))


_PART_WORDS = {
    "morning": Text("утром", "in the morning"),
    "afternoon": Text("днём", "in the afternoon"),
    "evening": Text("вечером", "in the evening"),
}


def _bad_time(written: str, part: str | None = None) -> _Problem:
    said = _PART_WORDS[part] if part else Text("", "")
    return _Problem(
        "when_bad_time",
        Text(
            f"Такого времени нет: {(written + ' ' + said.ru).strip()}. "
            "Время — от 0:00 до 23:59, например «в 7 вечера» или «в 19:00».",
            f"There is no such time: {(written + ' ' + said.en).strip()}. "
            "Times run from 0:00 to 23:59, e.g. “7pm” or “19:00”.",
        ),
    )


def _ambiguous(first: int, second: int) -> _Problem:
    written = f"{first}/{second}"
    return _Problem(
        "when_ambiguous",
        Text(
            f"{written} — это {first} {_RU_MONTHS[second]} или {second} {_RU_MONTHS[first]}? "
            "Напишите день.месяц через точку или месяц словом, например "
            f"{first:02}.{second:02} или «{first} {_RU_MONTHS[second]}».",
            f"Is {written} {_EN_MONTHS[first]} {second} or {first} {_EN_MONTHS[second]}? "
            f"Write the month as a word (“{_EN_MONTHS[first]} {second}”) or use YYYY-MM-DD.",
        ),
    )


def _in_past(at: datetime) -> _Problem:
    return _Problem(
        "when_in_past",
        Text(
            f"Это время уже прошло: {at:%d.%m.%Y %H:%M}. Укажите время позже.",
            f"That time has passed: {at:%Y-%m-%d %H:%M}. Give a later time.",
        ),
    )


def _today_over() -> _Problem:
    return _Problem(
        "when_in_past",
        Text(
            "Сегодня уже поздно: укажите время или другой день, например «завтра в 10».",
            "Today is nearly over: give a time or another day, e.g. “tomorrow 10am”.",
        ),
    )


# --- What the text is made of ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Offset:
    """Today plus `days` (сегодня 0, завтра 1, послезавтра 2)."""

    days: int


@dataclass(frozen=True, slots=True)
class _Weekday:
    weekday: int  # Monday 0
    next_week: bool


@dataclass(frozen=True, slots=True)
class _Date:
    day: int
    month: int
    year: int | None


@dataclass(frozen=True, slots=True)
class _Shift:
    """A calendar step from today: months first (clamped to the month's end), then days."""

    months: int = 0
    days: int = 0


@dataclass(frozen=True, slots=True)
class _Clock:
    hour: int  # 0..23
    minute: int
    second: int
    qualified: bool  # an am/pm or утра/вечера… suffix already fixed the half of the day
    written: str


@dataclass(frozen=True, slots=True)
class _Part:
    name: str  # a key of PART_TIMES


@dataclass(frozen=True, slots=True)
class _Duration:
    delta: timedelta


_Day: TypeAlias = _Offset | _Weekday | _Date | _Shift
_Piece: TypeAlias = _Day | _Clock | _Part | _Duration
_Found: TypeAlias = tuple[tuple[_Piece, ...], int] | None


# --- Words ------------------------------------------------------------------------------------

_WEEKDAYS: dict[str, int] = {
    word: number
    for number, words in enumerate(
        [
            "понедельник пн пнд monday mon",
            "вторник вт tuesday tue tues",
            "среда среду ср wednesday wed",
            "четверг чт thursday thu thur thurs",
            "пятница пятницу пт friday fri",
            "суббота субботу сб saturday sat",
            "воскресенье вс вск sunday sun",
        ]
    )
    for word in words.split()
}
_MONTHS: dict[str, int] = {
    word: number
    for number, words in enumerate(
        [
            "января январь янв january jan",
            "февраля февраль фев февр february feb",
            "марта март мар march mar",
            "апреля апрель апр april apr",
            "мая май may",
            "июня июнь июн june jun",
            "июля июль июл july jul",
            "августа август авг august aug",
            "сентября сентябрь сен сент september sep sept",
            "октября октябрь окт october oct",
            "ноября ноябрь ноя нояб november nov",
            "декабря декабрь дек december dec",
        ],
        start=1,
    )
    for word in words.split()
}
_RU_MONTHS = [
    "",
    *"января февраля марта апреля мая июня июля августа сентября октября ноября декабря".split(),
]
_EN_MONTHS = ["", *"Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()]

_NEXT = {"следующий", "следующую", "следующее", "следующая", "следующей", "след", "next"}
_THIS = {"этот", "эту", "это", "эта", "ближайший", "ближайшую", "ближайшее", "ближайшая", "this"}
_DAY_LEADS = {"в", "во", "на", "on"}
_TIME_LEADS = {"в", "к", "at"}
_HOUR_WORDS = {"час", "часа", "часов", "ч", "o'clock", "oclock"}
_SUFFIXES = {
    "am": "am",
    "pm": "pm",
    "утра": "morning",
    "дня": "afternoon",
    "вечера": "evening",
    "ночи": "night",
}
# The 24-hour hour for an hour said with am/pm or a part of the day; a missing key is a mismatch.
_HALVES: dict[str, dict[int, int]] = {
    "am": {h: h % 12 for h in range(1, 13)},
    "pm": {h: h % 12 + 12 for h in range(1, 13)},
    "morning": {h: h for h in range(1, 12)},
    "afternoon": {12: 12} | {h: h + 12 for h in range(1, 7)} | {h: h for h in range(13, 19)},
    "evening": {h: h + 12 for h in range(4, 12)} | {h: h for h in range(16, 24)},
    "night": {12: 0}
    | {h: h for h in range(6)}
    | {h: h + 12 for h in range(9, 12)}
    | {h: h for h in range(21, 24)},
}

# unit word → (unit, may stand without an amount: «через час», «через неделю»; not «через день»)
_UNITS: dict[str, tuple[str, bool]] = {
    word: (unit, word == alone)
    for unit, alone, words in [
        ("minutes", "минуту", "минуту минута минуты минут мин minute minutes min mins"),
        ("hours", "час", "час часа часов ч hour hours hr hrs h"),
        ("days", "", "день дня дней дн day days"),
        ("weeks", "неделю", "неделю недели недель нед week weeks wk wks"),
        ("months", "месяц", "месяц месяца месяцев мес month months"),
        ("years", "год", "год года лет year years yr yrs"),
    ]
    for word in words.split()
}

_AMOUNTS: dict[str, int] = {
    "один": 1, "одна": 1, "одну": 1, "два": 2, "две": 2, "три": 3, "четыре": 4, "пять": 5,
    "шесть": 6, "семь": 7, "восемь": 8, "девять": 9, "десять": 10, "пятнадцать": 15,
    "двадцать": 20, "тридцать": 30, "сорок": 40, "пару": 2, "пара": 2,
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "fifteen": 15, "twenty": 20, "thirty": 30,
    "forty": 40,
}  # fmt: skip


def _phrases() -> dict[tuple[str, ...], tuple[_Piece, ...]]:
    table: dict[str, tuple[_Piece, ...]] = {}
    for words, days in [
        ("сегодня|today", 0),
        ("завтра|tomorrow|tmrw|tmr", 1),
        ("послезавтра|day after tomorrow|the day after tomorrow", 2),
    ]:
        for phrase in words.split("|"):
            table[phrase] = (_Offset(days),)
            table["на " + phrase] = (_Offset(days),)
    for words, part in [
        ("утром|с утра|morning|in the morning", "morning"),
        ("днем|в обед|afternoon|in the afternoon", "afternoon"),
        ("вечером|evening|in the evening", "evening"),
        ("полдень|в полдень|noon|at noon|midday|at midday", "noon"),
    ]:
        for phrase in words.split("|"):
            table[phrase] = (_Part(part),)
    table["tonight"] = table["this evening"] = (_Offset(0), _Part("evening"))
    table["this morning"] = (_Offset(0), _Part("morning"))
    table["this afternoon"] = (_Offset(0), _Part("afternoon"))
    for phrase in ["на следующей неделе", "на след неделе", "на следующую неделю", "next week"]:
        table[phrase] = (_Weekday(0, next_week=True),)
    half, one_and_half = (_Duration(timedelta(minutes=30)),), (_Duration(timedelta(minutes=90)),)
    for phrase in ["через полчаса", "через пол часа", "in half an hour", "in half hour"]:
        table[phrase] = half
    for phrase in ["через полтора часа", "in an hour and a half", "in one and a half hours"]:
        table[phrase] = one_and_half
    return {tuple(phrase.split()): pieces for phrase, pieces in table.items()}


_PHRASES = _phrases()
_LONGEST_PHRASE = max(len(words) for words in _PHRASES)


# --- Reading ----------------------------------------------------------------------------------

_A = re.ASCII
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})", _A)
_ISO_WITH_TIME = re.compile(r"(\d{4}-\d{1,2}-\d{1,2})t(\d.*)", _A)
_DOTTED = re.compile(r"(\d{1,2})\.(\d{1,2})(?:\.(\d{2}|\d{4}))?", _A)
_SLASHED = re.compile(r"(\d{1,2})/(\d{1,2})(?:/(\d{2}|\d{4}))?", _A)
_DAY_NUMBER = re.compile(r"(\d{1,2})(?:-?(?:го|е|st|nd|rd|th))?", _A)
_YEAR = re.compile(r"\d{4}", _A)
_CLOCK = re.compile(r"(\d{1,2})(?:([:.])(\d{2})(?::(\d{2}))?)?(am|pm)?", _A)
_AMOUNT_WITH_UNIT = re.compile(r"(\d{1,6})([^\d]+)", _A)
_AMOUNT = re.compile(r"\d{1,6}", _A)
_DOTTED_AM_PM = re.compile(r"(?<![a-z])([ap])\.\s?m(?![a-z])\.?", _A)
_COMMA = re.compile(r",(?!\d)")
_EDGE_PUNCTUATION = ".,!?;:…()[]\"'«»“”„-–—"


def _tokens(text: str) -> list[str]:
    normal = text.lower().replace("ё", "е")
    normal = _DOTTED_AM_PM.sub(r"\1m", normal)
    normal = _COMMA.sub(" ", normal)
    tokens: list[str] = []
    for raw in normal.split():
        token = raw.strip(_EDGE_PUNCTUATION)
        if not token:
            continue
        iso = _ISO_WITH_TIME.fullmatch(token)
        tokens.extend(iso.groups() if iso else [token])
    return tokens


def _at(tokens: Sequence[str], i: int) -> str | None:
    return tokens[i] if i < len(tokens) else None


def _skip(tokens: Sequence[str], i: int, words: set[str]) -> int:
    return i + 1 if _at(tokens, i) in words else i


def _read_phrase(tokens: list[str], i: int) -> _Found:
    for length in range(min(_LONGEST_PHRASE, len(tokens) - i), 0, -1):
        pieces = _PHRASES.get(tuple(tokens[i : i + length]))
        if pieces is not None:
            return pieces, i + length
    return None


def _part_at(tokens: list[str], i: int) -> bool:
    """A part of the day starts at `i` ("7 in the evening", «7 вечером»)."""
    found = _read_phrase(tokens, i)
    return found is not None and all(isinstance(piece, _Part) for piece in found[0])


def _read_weekday(tokens: list[str], i: int) -> _Found:
    j = _skip(tokens, i, _DAY_LEADS)
    next_week = _at(tokens, j) in _NEXT
    j = _skip(tokens, j, _NEXT | _THIS)
    weekday = _WEEKDAYS.get(_at(tokens, j) or "")
    if weekday is None:
        return None
    return (_Weekday(weekday, next_week),), j + 1


def _year(tokens: list[str], i: int) -> tuple[int | None, int]:
    """An optional four-digit year after a month name, with «года» / «г» after it."""
    word = _at(tokens, i)
    if word is None or not _YEAR.fullmatch(word):
        return None, i
    return int(word), _skip(tokens, i + 1, {"года", "год", "г"})


def _full_year(written: str | None) -> int | None:
    if written is None:
        return None
    return 2000 + int(written) if len(written) == 2 else int(written)


def _read_date(tokens: list[str], i: int) -> _Found:
    j = _skip(tokens, i, {"на", "on"})
    word = _at(tokens, j)
    if word is None:
        return None
    if match := _ISO.fullmatch(word):
        year, month, day = (int(group) for group in match.groups())
        return (_Date(day, month, year),), j + 1
    if match := _DOTTED.fullmatch(word):
        day, month = int(match[1]), int(match[2])
        return (_Date(day, month, _full_year(match[3])),), j + 1
    if match := _SLASHED.fullmatch(word):
        first, second = int(match[1]), int(match[2])
        if first <= 12 and second <= 12 and first != second:
            raise _ambiguous(first, second)
        day, month = (second, first) if first <= 12 < second else (first, second)
        return (_Date(day, month, _full_year(match[3])),), j + 1
    return _read_named_month(tokens, j)


def _read_named_month(tokens: list[str], j: int) -> _Found:
    """25 декабря [2026], 25th of December, Dec 25 [2026]."""
    word = tokens[j]
    if match := _DAY_NUMBER.fullmatch(word):
        k = _skip(tokens, j + 1, {"of"})
        month = _MONTHS.get(_at(tokens, k) or "")
        if month is None:
            return None
        year, end = _year(tokens, k + 1)
        return (_Date(int(match[1]), month, year),), end
    month = _MONTHS.get(word)
    if month is not None and (match := _DAY_NUMBER.fullmatch(_at(tokens, j + 1) or "")):
        year, end = _year(tokens, j + 2)
        return (_Date(int(match[1]), month, year),), end
    return None


def _read_clock(tokens: list[str], i: int) -> _Found:
    j = _skip(tokens, i, _TIME_LEADS)
    led = j > i
    match = _CLOCK.fullmatch(_at(tokens, j) or "")
    if match is None:
        return None
    hour, separator, minute = int(match[1]), match[2], int(match[3] or 0)
    second, half = int(match[4] or 0), match[5]
    if separator == "." and (not (led or half) or hour > 23 or minute > 59):
        return None  # 10.12 is a date; «в 10.12» and 10.12pm are times
    k = j + 1
    hour_word = separator is None and _at(tokens, k) in _HOUR_WORDS
    k += int(hour_word)
    if half is None and _at(tokens, k) in _SUFFIXES:
        suffix = _SUFFIXES[tokens[k]]
        # «3 дня» alone reads as "3 days": «дня» needs «в», a colon or an hour word
        if suffix != "afternoon" or led or separator or hour_word:
            half = suffix
            k += 1
    if not (led or separator == ":" or half or hour_word or _part_at(tokens, k)):
        return None
    written = " ".join(tokens[j:k])
    if half is not None:
        qualified = _HALVES[half].get(hour)
        if qualified is None:
            raise _bad_time(written)
        hour = qualified
    if hour > 23 or minute > 59 or second > 59:
        raise _bad_time(written)
    return (_Clock(hour, minute, second, half is not None, written),), k


def _read_amount(tokens: list[str], i: int) -> tuple[int | None, int]:
    word = _at(tokens, i) or ""
    if _AMOUNT.fullmatch(word):
        return int(word), i + 1
    if word == "a" and _at(tokens, i + 1) == "couple":
        word, i = "couple", i + 1
    if word == "couple":
        return 2, _skip(tokens, i + 1, {"of"})  # "(a) couple (of) hours"
    if word in _AMOUNTS:
        return _AMOUNTS[word], i + 1
    return None, i


def _read_from_now(tokens: list[str], i: int) -> _Found:
    if _at(tokens, i) not in ("через", "in"):
        return None
    amount, j = _read_amount(tokens, i + 1)
    word = _at(tokens, j) or ""
    if amount is None and (glued := _AMOUNT_WITH_UNIT.fullmatch(word)):
        amount, word = int(glued[1]), glued[2]  # 2ч, 30min
    unit = _UNITS.get(word)
    if unit is None:
        return None
    name, may_stand_alone = unit
    if amount is None:
        if not may_stand_alone:
            return None  # «через день», «через минуты»
        amount = 1
    if amount < 1:
        return None
    end = j + 1
    if name == "minutes":
        return (_Duration(timedelta(minutes=amount)),), end
    if name == "hours":
        return (_Duration(timedelta(hours=amount)),), end
    steps = {
        "days": _Shift(days=amount),
        "weeks": _Shift(days=7 * amount),
        "months": _Shift(months=amount),
        "years": _Shift(months=12 * amount),
    }
    return (steps[name],), end


_READERS: tuple[Callable[[list[str], int], _Found], ...] = (
    _read_phrase,
    _read_from_now,
    _read_weekday,
    _read_date,
    _read_clock,
)


@dataclass(slots=True)
class _Reading:
    day: _Day | None = None
    clock: _Clock | None = None
    part: _Part | None = None
    duration: _Duration | None = None

    def put(self, piece: _Piece) -> None:
        slot = {_Clock: "clock", _Part: "part", _Duration: "duration"}.get(type(piece), "day")
        if getattr(self, slot) is not None:
            raise _unreadable()  # two days or two times: «завтра в пятницу»
        setattr(self, slot, piece)


def _read(tokens: list[str]) -> _Reading:
    reading, i = _Reading(), 0
    if not tokens:
        raise _unreadable()
    while i < len(tokens):
        for reader in _READERS:
            found = reader(tokens, i)
            if found is not None:
                break
        else:
            raise _unreadable()
        pieces, i = found
        for piece in pieces:
            reading.put(piece)
    return reading


# --- Resolving against now --------------------------------------------------------------------


def _wall(day: date, at: time, zone: ZoneInfo) -> datetime:
    """`day` at `at` on the wall clock of `zone`: gaps move forward, repeats take the first."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC).astimezone(zone)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    if year > MAXYEAR:
        raise OverflowError
    return date(year, month + 1, min(day.day, monthrange(year, month + 1)[1]))


def _make_date(year: int, month: int, day: int) -> date:
    if year > MAXYEAR:
        raise OverflowError
    if not 1 <= month <= 12 or not 1 <= day <= monthrange(2000, month)[1]:
        raise _no_such_date(day, month, None)
    if year < 1 or day > monthrange(year, month)[1]:
        raise _no_such_date(day, month, year)
    return date(year, month, day)


def _time_of_day(reading: _Reading) -> time | None:
    clock, part = reading.clock, reading.part
    if clock is None:
        return PART_TIMES[part.name] if part is not None else None
    hour = clock.hour
    if part is not None:
        if clock.qualified or part.name == "noon":
            raise _unreadable()  # «в 7 вечера утром»
        qualified = _HALVES[part.name].get(hour)
        if qualified is None:
            raise _bad_time(clock.written, part.name)
        hour = qualified
    elif not clock.qualified and _AFTERNOON_HOURS.start <= hour < _AFTERNOON_HOURS.stop:
        if not clock.written.startswith("0"):
            hour += 12
    return time(hour, clock.minute, clock.second)


# Hours a manager says without "pm" and means after noon (rule 8).
_AFTERNOON_HOURS = range(1, 8)


def _day_of(day: _Day, today: date) -> date:
    if isinstance(day, _Offset):
        return today + timedelta(days=day.days)
    if isinstance(day, _Weekday):
        if day.next_week:
            return today + timedelta(days=7 - today.weekday() + day.weekday)
        return today + timedelta(days=(day.weekday - today.weekday()) % 7 or 7)
    if isinstance(day, _Shift):
        return _add_months(today, day.months) + timedelta(days=day.days)
    if day.year is not None:
        return _make_date(day.year, day.month, day.day)
    year = today.year if (day.month, day.day) >= (today.month, today.day) else today.year + 1
    return _make_date(year, day.month, day.day)


def _later_today(now: datetime, zone: ZoneInfo) -> datetime:
    """Today without a time: DEFAULT_TIME if still ahead, else the next whole hour."""
    local = now.astimezone(zone)
    default = _wall(local.date(), DEFAULT_TIME, zone)
    if default > now:
        return default
    wall = local.replace(tzinfo=None, minute=0, second=0, microsecond=0) + timedelta(hours=1)
    if wall.date() != local.date():
        raise _today_over()
    return _wall(wall.date(), wall.time(), zone)


def _resolve(reading: _Reading, now: datetime, zone: ZoneInfo) -> datetime:
    if reading.duration is not None:
        if reading.day or reading.clock or reading.part:
            raise _unreadable()  # «завтра через 2 часа»
        return (now + reading.duration.delta).astimezone(zone)
    today = now.astimezone(zone).date()
    at = _time_of_day(reading)
    if reading.day is None:
        assert at is not None  # every reading has a day, a time or a duration
        candidate = _wall(today, at, zone)
        return candidate if candidate > now else _wall(today + timedelta(days=1), at, zone)
    day = _day_of(reading.day, today)
    if day < today:
        raise _in_past(datetime.combine(day, at or DEFAULT_TIME))
    if day == today and at is None:
        return _later_today(now, zone)
    result = _wall(day, at or DEFAULT_TIME, zone)
    if result <= now:
        raise _in_past(result)
    return result


def parse_when(text: str, *, now: datetime, timezone: ZoneInfo, field: str = "when") -> datetime:
    """The moment `text` names, read in `timezone` relative to `now` (aware, any zone).

    Returns an aware datetime in `timezone`, strictly after `now` and at most HORIZON ahead.
    Raises InvalidWhen (a ValidationFailed naming `field`) for anything else; the module
    docstring lists the forms and the rules."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("parse_when needs an aware `now`")
    now_utc = now.astimezone(UTC)
    try:
        result = _resolve(_read(_tokens(text)), now_utc, timezone)
        if result.astimezone(UTC) - now_utc > HORIZON:
            raise _too_far()
    except (_Problem, OverflowError) as caught:  # OverflowError: past year 9999
        problem = caught if isinstance(caught, _Problem) else _too_far()
        raise InvalidWhen(problem.reason, problem.message, field) from None
    return result
