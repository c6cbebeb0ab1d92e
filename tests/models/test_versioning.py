"""Optimistic concurrency: an update based on a stale version changes nothing."""

from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest

from models.clock import FrozenClock, use_clock
from models.entities import AuditEntry, Company, Contact, Deal, Task
from models.entities.base import Versioned
from models.errors import PreconditionFailed
from models.ops.companies import update_company
from models.ops.contacts import update_contact
from models.ops.deals import update_deal
from models.ops.tasks import update_task
from models.ops.versioning import update_versioned
from tests.factories import (
    T0,
    Org,
    make_company,
    make_contact,
    make_deal,
    make_org,
    make_pipeline,
    make_task,
)

pytestmark = pytest.mark.usefixtures("db")


Update = Callable[..., Awaitable[Versioned]]
CASES: list[tuple[type[Versioned], Callable[..., Awaitable[Versioned]], Update, str]] = [
    (Contact, make_contact, update_contact, "position"),
    (Company, make_company, update_company, "notes"),
    (Deal, make_deal, update_deal, "title"),
    (Task, make_task, update_task, "description"),
]


@pytest.fixture
async def org() -> Org:
    await make_pipeline()
    return await make_org()


@pytest.mark.parametrize(
    ("model", "make", "update", "field"), CASES, ids=["contact", "company", "deal", "task"]
)
async def test_stale_version_is_refused_and_nothing_changes(
    org: Org,
    model: type[Versioned],
    make: Callable[..., Awaitable[Versioned]],
    update: Update,
    field: str,
) -> None:
    with use_clock(FrozenClock(T0)) as clock:
        row = await make(org.manager)
        clock.advance(timedelta(minutes=1))
        await update(org.manager, row.pk, {field: "первый"}, version=1)
        audit = await AuditEntry.all().count()
        clock.advance(timedelta(minutes=1))
        for stale in (1, 0, 3):
            with pytest.raises(PreconditionFailed):
                await update(org.manager, row.pk, {field: "второй"}, version=stale)
    stored = await model.get(id=row.pk)
    assert (getattr(stored, field), stored.version) == ("первый", 2)
    assert stored.updated_at == T0 + timedelta(minutes=1)
    assert await AuditEntry.all().count() == audit


async def test_two_editors_with_the_same_version_only_one_wins(org: Org) -> None:
    contact = await make_contact(org.manager)
    first = await Contact.get(id=contact.id)
    second = await Contact.get(id=contact.id)
    await update_versioned(first, None, position="Первый")
    with pytest.raises(PreconditionFailed):
        await update_versioned(second, None, position="Второй")
    assert second.position == ""
    assert second.version == 1
    assert (await Contact.get(id=contact.id)).position == "Первый"


async def test_versions_count_every_change(org: Org) -> None:
    contact = await make_contact(org.manager)
    for version in range(1, 6):
        updated = await update_contact(
            org.manager, contact.id, {"position": f"v{version}"}, version=version
        )
        assert updated.version == version + 1
    assert (await Contact.get(id=contact.id)).version == 6


async def test_without_a_version_the_loaded_one_is_used(org: Org) -> None:
    deal = await make_deal(org.manager)
    await update_deal(org.manager, deal.id, {"title": "Без версии"}, version=None)
    stored = await Deal.get(id=deal.id)
    assert (stored.title, stored.version) == ("Без версии", 2)
