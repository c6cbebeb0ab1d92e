"""/v1/deals: creation into the default pipeline, stage moves with required fields, win and loss."""

from __future__ import annotations

import httpx
import pytest

from models.entities import Pipeline, StageTransition, User
from tests.api.v1.conftest import PASSWORD, headers_for
from tests.factories import (
    actor_for,
    make_contact,
    make_loss_reason,
    make_office,
    make_pipeline,
    make_user,
    stage_named,
)


@pytest.fixture
async def pipeline() -> Pipeline:
    return await make_pipeline()


@pytest.fixture
async def manager() -> User:
    return await make_user(await make_office(), password=PASSWORD)


@pytest.fixture
async def headers(client: httpx.AsyncClient, manager: User) -> dict[str, str]:
    return await headers_for(client, manager)


async def _deal(client: httpx.AsyncClient, headers: dict[str, str], **body: object) -> dict:
    response = await client.post(
        "/v1/deals", json={"title": "Поставка станков", **body}, headers=headers
    )
    assert response.status_code == 201, response.text
    return response.json()


def _if_match(headers: dict[str, str], version: int) -> dict[str, str]:
    return {**headers, "If-Match": f'"{version}"'}


async def test_create_uses_the_default_pipeline_and_money_is_a_string(
    client: httpx.AsyncClient, headers: dict[str, str], pipeline: Pipeline
) -> None:
    deal = await _deal(client, headers, amount="150 000,50")
    first = await stage_named(pipeline, "Новая")
    assert (deal["pipeline_id"], deal["stage_id"]) == (pipeline.id, first.id)
    assert deal["amount"] == "150000.50"
    assert deal["currency"] == "RUB"
    too_precise = await client.post(
        "/v1/deals", json={"title": "x", "amount": "1.001"}, headers=headers
    )
    assert too_precise.status_code == 422
    assert too_precise.json()["errors"][0]["field"] == "amount"


async def test_move_lists_every_missing_field_then_succeeds(
    client: httpx.AsyncClient, headers: dict[str, str], pipeline: Pipeline, manager: User
) -> None:
    deal = await _deal(client, headers)
    proposal = await stage_named(pipeline, "КП отправлено")
    url = f"/v1/deals/{deal['id']}/move"
    refused = await client.post(url, json={"stage_id": proposal.id}, headers=_if_match(headers, 1))
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["amount", "contact_id"]
    assert (await client.get(f"/v1/deals/{deal['id']}", headers=headers)).json()[
        "stage_id"
    ] != proposal.id

    contact = await make_contact(await actor_for(manager))
    moved = await client.post(
        url,
        json={"stage_id": proposal.id, "amount": "90000", "contact_id": contact.id},
        headers=_if_match(headers, 1),
    )
    assert moved.status_code == 200
    body = moved.json()
    assert (body["stage_id"], body["amount"], body["contact_id"]) == (
        proposal.id,
        "90000.00",
        contact.id,
    )
    assert moved.headers["etag"] == '"2"'
    assert await StageTransition.filter(deal_id=deal["id"]).count() == 2


async def test_stale_or_missing_version_changes_nothing(
    client: httpx.AsyncClient, headers: dict[str, str], pipeline: Pipeline
) -> None:
    deal = await _deal(client, headers)
    work = await stage_named(pipeline, "В работе")
    url = f"/v1/deals/{deal['id']}/move"
    assert (await client.post(url, json={"stage_id": work.id}, headers=headers)).status_code == 428
    stale = await client.post(url, json={"stage_id": work.id}, headers=_if_match(headers, 5))
    assert stale.status_code == 412
    assert await StageTransition.filter(deal_id=deal["id"]).count() == 1


async def test_win_needs_an_amount_and_loss_a_reason(
    client: httpx.AsyncClient, headers: dict[str, str], pipeline: Pipeline
) -> None:
    deal = await _deal(client, headers)
    url = f"/v1/deals/{deal['id']}"
    no_amount = await client.post(f"{url}/won", json={}, headers=_if_match(headers, 1))
    assert no_amount.status_code == 422
    assert no_amount.json()["errors"][0]["field"] == "amount"
    won = await client.post(f"{url}/won", json={"amount": "5000"}, headers=_if_match(headers, 1))
    assert won.status_code == 200
    assert won.json()["closed_at"] is not None

    other = await _deal(client, headers)
    reason = await make_loss_reason()
    lost = await client.post(
        f"/v1/deals/{other['id']}/lost",
        json={"loss_reason_id": reason.id, "comment": "Ушли к конкуренту"},
        headers=_if_match(headers, 1),
    )
    assert lost.status_code == 200
    assert (lost.json()["loss_reason_id"], lost.json()["loss_comment"]) == (
        reason.id,
        "Ушли к конкуренту",
    )
    status_lists = {
        status: [
            d["id"]
            for d in (
                await client.get("/v1/deals", params={"status": status}, headers=headers)
            ).json()["items"]
        ]
        for status in ("open", "won", "lost")
    }
    assert status_lists == {"open": [], "won": [deal["id"]], "lost": [other["id"]]}


async def test_card_and_visibility(
    client: httpx.AsyncClient, headers: dict[str, str], pipeline: Pipeline, manager: User
) -> None:
    contact = await make_contact(await actor_for(manager))
    deal = await _deal(client, headers, contact_id=contact.id)
    card = await client.get(f"/v1/deals/{deal['id']}/card", headers=headers)
    assert card.status_code == 200
    body = card.json()
    assert body["deal"]["id"] == deal["id"]
    assert body["stage"]["name"] == "Новая"
    assert body["contact"] == {
        "id": contact.id,
        "label": f"{contact.last_name} {contact.first_name}",
    }
    assert body["interactions"] == []
    assert body["open_tasks"] == []

    stranger = await make_user(await make_office(), password=PASSWORD)
    their = await headers_for(client, stranger)
    for path in ("", "/card"):
        assert (await client.get(f"/v1/deals/{deal['id']}{path}", headers=their)).status_code == 404
    work = await stage_named(pipeline, "В работе")
    move = await client.post(
        f"/v1/deals/{deal['id']}/move", json={"stage_id": work.id}, headers=_if_match(their, 1)
    )
    assert move.status_code == 404


async def test_times_come_back_in_utc_and_a_no_op_move_still_checks_the_version(
    client: httpx.AsyncClient, headers: dict[str, str], pipeline: Pipeline
) -> None:
    deal = await _deal(client, headers, deadline="2030-05-01T18:00:00+03:00")
    assert deal["deadline"] == "2030-05-01T15:00:00Z"
    same_stage = await client.post(
        f"/v1/deals/{deal['id']}/move",
        json={"stage_id": deal["stage_id"]},
        headers=_if_match(headers, 9),
    )
    assert same_stage.status_code == 412
