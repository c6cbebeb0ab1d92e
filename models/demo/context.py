"""What every seeding step shares: the random stream, "now", the language and unique pools."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from models.text import Text

SEED = 20240917
LOCAL = ZoneInfo("Europe/Moscow")
HISTORY_DAYS = 182
# Every number under these codes is valid for `phonenumbers` (930 has holes, so it is left out);
# tests/models/test_demo.py normalises each seeded number to prove it.
MOBILE_CODES = tuple(c for c in range(900, 1000) if c != 930)
LANDLINE_CODES = {"moscow": (495, 499), "spb": (812,)}


@dataclass
class Context:
    now: datetime
    language: str
    rng: random.Random = field(default_factory=lambda: random.Random(SEED))
    used_phones: set[str] = field(default_factory=set)
    used_emails: set[str] = field(default_factory=set)

    def text(self, value: Text) -> str:
        return value.get(self.language)

    def pick(self, values: tuple[Text, ...]) -> str:
        return self.text(self.rng.choice(values))

    @property
    def today(self) -> date:
        return self.now.astimezone(LOCAL).date()

    def _unique_phone(self, area: int, digits: int) -> str:
        while True:
            number = f"+7{area}{self.rng.randrange(10**digits):0{digits}d}"
            if number not in self.used_phones:
                self.used_phones.add(number)
                return number

    def mobile(self) -> str:
        """A fresh, valid Russian mobile number in E.164, never handed out twice."""
        return self._unique_phone(self.rng.choice(MOBILE_CODES), 7)

    def landline(self, city: str) -> str:
        return self._unique_phone(self.rng.choice(LANDLINE_CODES[city]), 7)

    def email(self, local: str, domain: str) -> str:
        """A lowercased address; a number is appended when the local part is taken."""
        base = local.lower()
        address = f"{base}@{domain}"
        n = 1
        while address in self.used_emails:
            n += 1
            address = f"{base}{n}@{domain}"
        self.used_emails.add(address)
        return address

    def days_ago(self, low: float, high: float) -> datetime:
        return self.now - timedelta(days=self.rng.uniform(low, high))

    def between(self, start: datetime, end: datetime, tries: int = 4) -> datetime:
        """A moment in [start, end], on a weekday in working hours when the range allows it.

        Every call draws the same amount of randomness, so what follows never depends on "now".
        """
        if end <= start:
            return start
        candidates: list[tuple[datetime, datetime]] = []
        for _ in range(tries):
            moment = start + (end - start) * self.rng.random()
            hour, minute, second = (
                self.rng.randint(9, 17),
                self.rng.randrange(60),
                self.rng.randrange(60),
            )
            day = moment.astimezone(LOCAL).date()
            candidates.append((moment, datetime.combine(day, time(hour, minute, second), LOCAL)))
        for _, working in candidates:
            if working.weekday() < 5 and start <= working <= end:
                return working.astimezone(UTC)
        return candidates[0][0]

    def local_at(self, day: date, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(day, time(hour, minute), LOCAL).astimezone(UTC)
