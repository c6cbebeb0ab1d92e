"""What cards show around a record (models/queries/cards.py), /find's combined search
(models/queries/find.py), and checking a stage's required fields one at a time
(`missing_to_enter`)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models.clock import FrozenClock
from models.entities import Deal, Pipeline
from models.errors import NotFound, ValidationFailed
from models.ops.deals import missing_to_enter, move_deal_to_stage
from models.ops.interactions import log_interaction
from models.queries.cards import (
    clients_visible,
    contact_card,
    get_subject,
    history_of,
    next_open_stage,
    open_tasks_of,
)
from models.queries.find import find_clients_and_deals
from tests.factories import (
    T0,
    Org,
    make_company,
    make_contact,
    make_deal,
    make_task,
    stage_named,
)

pytestmark = pytest.mark.usefixtures("db")


async def test_next_open_stage_skips_closed_stages_and_ends_after_the_last_open_one(
    pipeline: Pipeline,
) -> None:
    names = ("Новая", "В работе", "КП отправлено", "Успешно")
    new, working, offer, won = [await stage_named(pipeline, name) for name in names]
    assert (await next_open_stage(new.id)) == working
    assert (await next_open_stage(working.id)) == offer
    assert await next_open_stage(offer.id) is None
    assert await next_open_stage(won.id) is None
    assert await next_open_stage(999_999) is None


async def test_missing_to_enter_checks_values_without_writing(
    org: Org, pipeline: Pipeline, clock: FrozenClock
) -> None:
    offer = await stage_named(pipeline, "КП отправлено")
    deal = await make_deal(org.manager, title="Поставка")
    contact = await make_contact(org.manager)
    hidden = await make_contact(org.stranger)

    missing = await missing_to_enter(org.manager, deal.id, offer.id)
    assert [e.field for e in missing] == ["amount", "contact_id"]
    missing = await missing_to_enter(org.manager, deal.id, offer.id, {"amount": "10"})
    assert [e.field for e in missing] == ["contact_id"]
    missing = await missing_to_enter(
        org.manager, deal.id, offer.id, {"amount": "10", "contact_id": contact.id}
    )
    assert missing == []
    with pytest.raises(ValidationFailed) as bad:
        await missing_to_enter(org.manager, deal.id, offer.id, {"amount": "ten"})
    assert [e.code for e in bad.value.errors] == ["not_a_number"]
    with pytest.raises(ValidationFailed) as out_of_sight:
        await missing_to_enter(org.manager, deal.id, offer.id, {"contact_id": hidden.id})
    assert [e.code for e in out_of_sight.value.errors] == ["not_found"]
    with pytest.raises(NotFound):
        await missing_to_enter(org.stranger, deal.id, offer.id)
    unchanged = await Deal.get(id=deal.id)
    assert (unchanged.version, unchanged.amount_minor, unchanged.contact_id) == (1, None, None)


async def test_a_contact_card_lists_only_visible_open_deals_and_the_soonest_task(
    org: Org, pipeline: Pipeline, clock: FrozenClock
) -> None:
    company = await make_company(org.colleague, name="Чужая")
    # A head files the contact under a company the manager cannot open, and gives it to them.
    contact = await make_contact(
        org.head, last_name="Петров", company_id=company.id, owner_id=org.manager.user_id
    )
    open_deal = await make_deal(org.manager, title="Открытая", contact_id=contact.id)
    won = await make_deal(org.manager, title="Выиграна", contact_id=contact.id, amount="1")
    await move_deal_to_stage(
        org.manager, won.id, (await stage_named(pipeline, "Успешно")).id, version=None
    )
    await make_task(org.manager, title="Без срока", contact_id=contact.id)
    await make_task(
        org.manager, title="Скоро", contact_id=contact.id, due_at=T0 + timedelta(hours=1)
    )

    card = await contact_card(org.manager, contact.id)

    assert [d.id for d in card.open_deals] == [open_deal.id]
    assert card.open_deal_count == 1
    assert card.next_task is not None
    assert card.next_task.title == "Скоро", "dated before undated on both databases"
    assert card.company is not None
    assert card.company.name == "Чужая"
    assert card.company_visible is False
    assert await clients_visible(org.manager, company.id, contact.id) == (False, True)
    assert await clients_visible(org.head, company.id, contact.id) == (True, True)


async def test_tasks_dated_first_then_undated_and_history_newest_first(
    org: Org, pipeline: Pipeline, clock: FrozenClock
) -> None:
    deal = await make_deal(org.manager, title="Поставка")
    await make_task(org.manager, title="b", deal_id=deal.id)
    await make_task(org.manager, title="a", deal_id=deal.id, due_at=T0 + timedelta(days=2))
    await make_task(org.manager, title="c", deal_id=deal.id, due_at=T0 + timedelta(days=1))
    for number in range(3):
        clock.advance(timedelta(minutes=1))
        await log_interaction(
            org.manager, {"kind": "note", "outcome": str(number), "deal_id": deal.id}
        )

    subject, tasks = await open_tasks_of(org.manager, "deal", deal.id)
    assert (subject.kind, subject.name) == ("deal", "Поставка")
    assert [t.title for t in tasks] == ["c", "a", "b"]
    _, interactions = await history_of(org.manager, "deal", deal.id, limit=2)
    assert [i.outcome for i in interactions] == ["2", "1"]
    with pytest.raises(NotFound):
        await open_tasks_of(org.stranger, "deal", deal.id)
    with pytest.raises(NotFound):
        await get_subject(org.manager, "lead", deal.id)


async def test_find_fills_ten_places_contacts_first_and_says_when_there_are_more(
    org: Org, pipeline: Pipeline, clock: FrozenClock
) -> None:
    for number in range(4):
        await make_contact(org.manager, last_name=f"Ромашкин{number}")
    for number in range(4):
        await make_company(org.manager, name=f"Ромашка {number}")
    for number in range(3):
        await make_deal(org.manager, title=f"Ромашка, поставка {number}")

    everything = await find_clients_and_deals(org.manager, "ромаш", limit=11)
    assert (len(everything.contacts), len(everything.companies), len(everything.deals)) == (4, 4, 3)
    assert everything.more is False
    capped = await find_clients_and_deals(org.manager, "ромаш", limit=10)
    assert (len(capped.contacts), len(capped.companies), len(capped.deals)) == (4, 4, 2)
    assert capped.more is True
    few = await find_clients_and_deals(org.manager, "ромаш", limit=3)
    assert (few.count, few.more) == (3, True)
    assert (await find_clients_and_deals(org.stranger, "ромаш")).count == 0
