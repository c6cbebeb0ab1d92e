"""Visibility: manager — own rows; head — the office subtree; admin — everything."""

from collections.abc import Awaitable, Callable

import pytest
from tortoise.models import Model

from models.actor import Actor, load_actor
from models.entities import Company, Contact, Deal, Interaction, Lead, Order, Role, Task
from models.errors import NotFound
from models.ops.interactions import log_interaction
from models.ops.org import set_user_active
from models.queries.rows import fetch
from models.scope import (
    assignable_user,
    get_visible,
    visible,
    visible_condition,
    visible_offices,
    visible_users,
)
from tests.factories import (
    SYSTEM,
    Org,
    actor_for,
    make_company,
    make_contact,
    make_deal,
    make_lead,
    make_office,
    make_order,
    make_pipeline,
    make_task,
    make_user,
)

pytestmark = pytest.mark.usefixtures("db")

Builder = Callable[[Actor], Awaitable[Model]]
BUILDERS: dict[type[Model], Builder] = {
    Contact: make_contact,
    Company: make_company,
    Deal: make_deal,
    Lead: make_lead,
    Order: make_order,
    Task: make_task,
}
OWNERS = ("manager", "colleague", "deep", "stranger", "head", "south_head", "admin")


async def rows_of_everyone(org: Org, model: type[Model]) -> dict[str, int]:
    if model is Deal:
        await make_pipeline()
    return {who: (await BUILDERS[model](getattr(org, who))).pk for who in OWNERS}


async def seen_by(actor: Actor, model: type[Model], rows: dict[str, int]) -> set[str]:
    ids = set(await visible(model, actor).values_list("id", flat=True))
    assert ids <= set(rows.values()), "visible() returned rows that were never made"
    assert ids == await seen_by_sql(actor, model), "visible_condition() disagrees with visible()"
    return {who for who, pk in rows.items() if pk in ids}


async def seen_by_sql(actor: Actor, model: type[Model]) -> set[int]:
    """The ids the hand-written reads see (models/queries/rows.py, ADR 0014)."""
    table = model._meta.db_table
    condition, params = visible_condition(model, actor) or ("1 = 1", [])
    rows = await fetch(f'SELECT "{table}"."id" AS id FROM "{table}" WHERE {condition}', params)
    return {row["id"] for row in rows}


@pytest.mark.parametrize("model", list(BUILDERS), ids=lambda m: m.__name__)
async def test_who_sees_what(org: Org, model: type[Model]) -> None:
    rows = await rows_of_everyone(org, model)

    assert await seen_by(org.manager, model, rows) == {"manager"}
    assert await seen_by(org.stranger, model, rows) == {"stranger"}
    assert await seen_by(org.deep, model, rows) == {"deep"}
    assert await seen_by(org.head, model, rows) == {"manager", "colleague", "deep", "head"}
    assert await seen_by(org.south_head, model, rows) == {"stranger", "south_head"}
    assert await seen_by(org.admin, model, rows) == set(OWNERS)
    assert await seen_by(SYSTEM, model, rows) == set(OWNERS)


@pytest.mark.parametrize("model", list(BUILDERS), ids=lambda m: m.__name__)
async def test_an_invisible_row_is_not_found_not_forbidden(org: Org, model: type[Model]) -> None:
    rows = await rows_of_everyone(org, model)
    for actor, other in ((org.manager, "colleague"), (org.head, "stranger")):
        with pytest.raises(NotFound) as raised:
            await get_visible(model, actor, rows[other])
        assert raised.value.entity_id == rows[other]
    assert (await get_visible(model, org.head, rows["deep"])).pk == rows["deep"]


async def test_a_missing_row_looks_exactly_like_an_invisible_one(org: Org) -> None:
    theirs = await make_contact(org.colleague)
    with pytest.raises(NotFound) as invisible:
        await get_visible(Contact, org.manager, theirs.id)
    with pytest.raises(NotFound) as missing:
        await get_visible(Contact, org.manager, theirs.id + 1000)
    assert (invisible.value.entity, invisible.value.message) == (
        missing.value.entity,
        missing.value.message,
    )
    assert invisible.value.entity == "contact"


async def test_a_manager_sees_tasks_they_assigned_or_were_given(org: Org) -> None:
    given = await make_task(org.head, assignee_id=org.manager.user_id)
    own = await make_task(org.manager)
    other = await make_task(org.head, assignee_id=org.colleague.user_id)
    ids = set(await visible(Task, org.manager).values_list("id", flat=True))
    assert ids == {given.id, own.id}
    assert other.id not in ids


async def test_a_manager_sees_interactions_on_their_deals_and_contacts(org: Org) -> None:
    await make_pipeline()
    deal = await make_deal(org.manager)
    contact = await make_contact(org.manager)
    on_deal = await log_interaction(org.head, {"kind": "call", "deal_id": deal.id})
    on_contact = await log_interaction(org.head, {"kind": "note", "contact_id": contact.id})
    own = await log_interaction(org.manager, {"kind": "note", "contact_id": contact.id})
    elsewhere = await log_interaction(
        org.colleague, {"kind": "note", "contact_id": (await make_contact(org.colleague)).id}
    )
    ids = set(await visible(Interaction, org.manager).values_list("id", flat=True))
    assert ids == {on_deal.id, on_contact.id, own.id}
    assert elsewhere.id in set(await visible(Interaction, org.head).values_list("id", flat=True))
    assert not await visible(Interaction, org.stranger).exists()


async def test_offices_and_colleagues_in_sight(org: Org) -> None:
    north_tree = {org.north.id, org.department.id}
    assert set(await visible_offices(org.head).values_list("id", flat=True)) == north_tree
    assert set(await visible_offices(org.manager).values_list("id", flat=True)) == north_tree
    assert set(await visible_offices(org.admin).values_list("id", flat=True)) == {
        org.root.id,
        org.north.id,
        org.south.id,
        org.department.id,
    }
    users = set(await visible_users(org.head).values_list("id", flat=True))
    assert users == {org.head.user_id, org.manager.user_id, org.colleague.user_id, org.deep.user_id}
    assert org.stranger.user_id not in set(
        await visible_users(org.deep).values_list("id", flat=True)
    )


async def test_an_office_whose_id_starts_like_mine_is_not_in_my_subtree(org: Org) -> None:
    # Paths end with "/" so that office 6 ("1/6/") does not take in office 61 ("1/61/").
    lookalike = await make_office(parent=org.root)
    lookalike.path = f"{org.root.path}{org.north.id}1/"
    await lookalike.save(update_fields=["path"])
    outsider = await make_user(lookalike)
    await make_contact(await actor_for(outsider))
    assert not await visible_users(org.head).filter(id=outsider.id).exists()
    assert not await visible(Contact, org.head).filter(owner_id=outsider.id).exists()


async def test_whom_an_actor_may_make_owner(org: Org) -> None:
    assert (await assignable_user(org.manager, org.manager.user_id)).id == org.manager.user_id
    with pytest.raises(NotFound):
        await assignable_user(org.manager, org.colleague.user_id)
    assert (await assignable_user(org.head, org.deep.user_id)).id == org.deep.user_id
    with pytest.raises(NotFound):
        await assignable_user(org.head, org.stranger.user_id)
    assert (await assignable_user(org.admin, org.stranger.user_id)).id == org.stranger.user_id


async def test_a_deactivated_user_can_neither_act_nor_be_assigned(org: Org) -> None:
    assert (await load_actor(org.manager.user_id)).role is Role.MANAGER  # type: ignore[arg-type]
    await set_user_active(org.admin, org.manager.user_id, False)  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        await load_actor(org.manager.user_id)  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        await assignable_user(org.admin, org.manager.user_id)  # type: ignore[arg-type]


async def test_load_actor_carries_role_office_and_language(org: Org) -> None:
    actor = await load_actor(org.head.user_id)  # type: ignore[arg-type]
    assert (actor.role, actor.office_id, actor.office_path) == (
        Role.HEAD,
        org.north.id,
        org.north.path,
    )
    assert actor.language == "ru"
    assert actor.timezone == "Europe/Moscow"
