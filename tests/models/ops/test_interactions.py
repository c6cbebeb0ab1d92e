from datetime import UTC, datetime, timedelta

import pytest

from models.clock import FrozenClock, use_clock
from models.entities import Deal, Direction, Interaction, InteractionKind, Pipeline
from models.errors import ValidationFailed
from models.ops.deals import move_deal_to_stage
from models.ops.interactions import log_interaction
from tests.factories import (
    T0,
    Org,
    make_actor,
    make_company,
    make_contact,
    make_deal,
    make_pipeline,
    stage_named,
)
from tests.models.expect import error_codes, error_fields

pytestmark = pytest.mark.usefixtures("db")


async def test_a_call_on_a_deal_remembers_the_stage_and_the_client(
    org: Org, pipeline: Pipeline, clock: FrozenClock
) -> None:
    company = await make_company(org.deep)
    contact = await make_contact(org.deep, company_id=company.id)
    deal = await make_deal(org.deep, contact_id=contact.id, company_id=company.id)
    call = await log_interaction(
        org.deep,
        {
            "kind": "call",
            "direction": "outbound",
            "deal_id": deal.id,
            "outcome": " договорились о встрече ",
            "duration_seconds": 180,
            "occurred_at": T0 - timedelta(hours=1),
        },
    )
    stored = await Interaction.get(id=call.id)
    assert (stored.kind, stored.direction, stored.outcome, stored.duration_seconds) == (
        InteractionKind.CALL,
        Direction.OUTBOUND,
        "договорились о встрече",
        180,
    )
    assert (stored.deal_id, stored.contact_id, stored.company_id, stored.stage_id) == (
        deal.id,
        contact.id,
        company.id,
        deal.stage_id,
    )
    assert (stored.author_id, stored.office_id, stored.occurred_at) == (
        org.deep.user_id,
        org.department.id,
        T0 - timedelta(hours=1),
    )


async def test_the_stage_at_the_time_is_kept_after_the_deal_moves(
    org: Org, pipeline: Pipeline
) -> None:
    deal = await make_deal(org.manager)
    before = await log_interaction(org.manager, {"kind": "note", "deal_id": deal.id})
    work = await stage_named(pipeline, "В работе")
    await move_deal_to_stage(org.manager, deal.id, work.id, version=1)
    after = await log_interaction(org.manager, {"kind": "note", "deal_id": deal.id})
    assert (await Interaction.get(id=before.id)).stage_id == deal.stage_id
    assert (await Interaction.get(id=after.id)).stage_id == work.id


async def test_last_interaction_only_moves_forward(
    org: Org, pipeline: Pipeline, clock: FrozenClock
) -> None:
    deal = await make_deal(org.manager)
    await log_interaction(org.manager, {"kind": "call", "deal_id": deal.id})
    assert (await Deal.get(id=deal.id)).last_interaction_at == T0
    await log_interaction(
        org.manager,
        {"kind": "meeting", "deal_id": deal.id, "occurred_at": T0 - timedelta(days=2)},
    )
    assert (await Deal.get(id=deal.id)).last_interaction_at == T0


async def test_a_note_on_a_contact_takes_the_contacts_company(org: Org) -> None:
    company = await make_company(org.manager)
    contact = await make_contact(org.manager, company_id=company.id)
    note = await log_interaction(org.manager, {"kind": "note", "contact_id": contact.id})
    assert (note.contact_id, note.company_id, note.deal_id, note.stage_id) == (
        contact.id,
        company.id,
        None,
        None,
    )
    visit = await log_interaction(
        org.manager,
        {"kind": "visit", "company_id": company.id, "latitude": 55.75, "longitude": 37.62},
    )
    assert (visit.company_id, visit.office_id, visit.latitude, visit.longitude) == (
        company.id,
        org.north.id,
        55.75,
        37.62,
    )


async def test_it_must_be_about_someone(org: Org) -> None:
    with pytest.raises(ValidationFailed) as raised:
        await log_interaction(org.manager, {"kind": "note", "outcome": "просто так"})
    assert error_codes(raised.value) == {"contact_id": "required"}


@pytest.mark.parametrize("field", ["deal_id", "contact_id", "company_id"])
async def test_a_subject_out_of_sight_is_named(org: Org, pipeline: Pipeline, field: str) -> None:
    made = {
        "deal_id": make_deal,
        "contact_id": make_contact,
        "company_id": make_company,
    }[field]
    theirs = await made(org.stranger)
    with pytest.raises(ValidationFailed) as raised:
        await log_interaction(org.head, {"kind": "call", field: theirs.id})
    assert error_codes(raised.value) == {field: "not_found"}
    assert not await Interaction.exists()


async def test_every_bad_value_is_named(org: Org, clock: FrozenClock) -> None:
    contact = await make_contact(org.manager)
    with pytest.raises(ValidationFailed) as raised:
        await log_interaction(
            org.manager,
            {
                "kind": "fax",
                "direction": "sideways",
                "occurred_at": T0 + timedelta(hours=1),
                "duration_seconds": -1,
                "latitude": 91,
                "longitude": 0,
                "contact_id": contact.id,
                "author_id": org.colleague.user_id,
            },
        )
    assert error_codes(raised.value) == {
        "author_id": "unknown_field",
        "kind": "invalid_choice",
        "direction": "invalid_choice",
        "occurred_at": "in_future",
        "duration_seconds": "invalid_duration",
        "latitude": "invalid_geo",
    }
    assert error_fields(raised.value)


@pytest.mark.parametrize(
    ("values", "field", "code"),
    [
        ({"latitude": 55.7}, "longitude", "invalid_geo"),
        ({"longitude": 37.6}, "latitude", "invalid_geo"),
        ({"duration_seconds": 86401}, "duration_seconds", "invalid_duration"),
        ({"duration_seconds": True}, "duration_seconds", "invalid_duration"),
        ({"duration_seconds": "60"}, "duration_seconds", "invalid_duration"),
        ({"occurred_at": datetime(2025, 3, 3, 8)}, "occurred_at", "naive_datetime"),  # noqa: DTZ001
        ({"outcome": "x" * 5001}, "outcome", "too_long"),
    ],
)
async def test_single_bad_values(
    org: Org, clock: FrozenClock, values: dict[str, object], field: str, code: str
) -> None:
    contact = await make_contact(org.manager)
    with pytest.raises(ValidationFailed) as raised:
        await log_interaction(org.manager, {"kind": "call", "contact_id": contact.id, **values})
    assert error_codes(raised.value) == {field: code}


async def test_a_clock_a_little_fast_is_tolerated(org: Org, clock: FrozenClock) -> None:
    contact = await make_contact(org.manager)
    soon = T0 + timedelta(minutes=4)
    logged = await log_interaction(
        org.manager, {"kind": "call", "contact_id": contact.id, "occurred_at": soon}
    )
    assert logged.occurred_at == soon


async def test_logging_a_call_marks_the_deal_as_updated_for_sync(db: str) -> None:
    actor = await make_actor()
    await make_pipeline()
    with use_clock(FrozenClock(datetime(2026, 3, 2, 9, tzinfo=UTC))) as clock:
        deal = await make_deal(actor)
        clock.advance(timedelta(hours=2))
        await log_interaction(actor, {"kind": "call", "deal_id": deal.id})
    stored = await Deal.get(id=deal.id)
    assert stored.updated_at == datetime(2026, 3, 2, 11, tzinfo=UTC)
    assert stored.last_interaction_at == stored.updated_at


async def test_a_backdated_interaction_still_marks_the_deal_updated(db: str) -> None:
    actor = await make_actor()
    await make_pipeline()
    with use_clock(FrozenClock(datetime(2026, 3, 2, 9, tzinfo=UTC))) as clock:
        deal = await make_deal(actor)
        await log_interaction(actor, {"kind": "call", "deal_id": deal.id})
        clock.advance(timedelta(hours=3))
        earlier = datetime(2026, 3, 1, 12, tzinfo=UTC)
        await log_interaction(actor, {"kind": "note", "deal_id": deal.id, "occurred_at": earlier})
    stored = await Deal.get(id=deal.id)
    assert stored.updated_at == datetime(2026, 3, 2, 12, tzinfo=UTC)
    assert stored.last_interaction_at == datetime(2026, 3, 2, 9, tzinfo=UTC)
