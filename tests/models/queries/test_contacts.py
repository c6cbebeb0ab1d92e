"""The contact list as the API sends it (`list_contacts_as_json`: on SQLite, rows written as JSON
by SQLite) holds the same rows and cursors as `list_contacts`, for every sort."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson
import pytest

from models.actor import Actor
from models.clock import FrozenClock, use_clock
from models.queries.contacts import SORTS, ContactFilters, list_contacts, list_contacts_as_json
from models.queries.paging import Page
from tests.factories import make_actor, make_contact

# Moments on a whole second, with a fraction ending in zeros, and the last microsecond of a month.
MOMENTS = (
    datetime(2026, 1, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(2026, 3, 1, 9, 0, tzinfo=UTC),
    datetime(2026, 3, 1, 9, 0, 0, 500000, tzinfo=UTC),
    datetime(2026, 3, 1, 9, 0, 0, 120, tzinfo=UTC),
)


def _json(page: Page[Any]) -> list[Any]:
    written: list[Any] = orjson.loads(orjson.dumps(page.items, option=orjson.OPT_UTC_Z))
    return written


@pytest.fixture
async def actor(db: str) -> Actor:
    actor = await make_actor()
    for number, moment in enumerate(MOMENTS):
        with use_clock(FrozenClock(moment)):
            await make_contact(
                actor,
                last_name=f"Петров {number % 2}",
                birthday=date(1990, 5, 17) if number % 2 else None,
                preferred_channels=["email"] if number else [],
                phones=[f"+7916555000{number}"],
            )
        with use_clock(FrozenClock(moment + timedelta(days=number))):
            await make_contact(actor, last_name="Петров 0", emails=[f"c{number}@corp.test"])
    return actor


# On PostgreSQL `list_contacts_as_json` is `list_contacts`: only SQLite writes its own JSON.
@pytest.mark.sqlite_only
@pytest.mark.parametrize("sort", [*SORTS, *(f"-{name}" for name in SORTS)])
async def test_every_page_and_cursor_is_the_same_as_the_dict_rows(actor: Actor, sort: str) -> None:
    after: list[Any] | None = None
    pages = 0
    while True:
        rows = await list_contacts(actor, ContactFilters(), sort, after, 3)
        sent = await list_contacts_as_json(actor, ContactFilters(), sort, after, 3)
        assert _json(sent) == _json(rows)
        assert sent.next_after == rows.next_after
        pages += 1
        if rows.next_after is None:
            break
        after = rows.next_after
    assert pages == 3  # 8 contacts, 3 a page
