"""/v1/outbox: admins list the dead letter and replay it."""

from __future__ import annotations

import httpx
import pytest

from models.entities import Channel, MessageState, OutboundMessage
from tests.api.v1.staff import Staff, make_staff
from tests.factories import actor_for, make_contact


@pytest.fixture
async def staff(client: httpx.AsyncClient) -> Staff:
    return await make_staff(client)


async def _message(staff: Staff, state: MessageState, key: str, **values: object) -> int:
    contact = await make_contact(await actor_for(staff.manager), emails=[f"{key}@example.test"])
    row = await OutboundMessage.create(
        channel=Channel.EMAIL,
        address=f"{key}@example.test",
        contact_id=contact.id,
        purpose="thanks_after_call",
        subject="Спасибо",
        body="<p>Спасибо</p>",
        dedup_key=key,
        state=state,
        attempts=8,
        last_error="attempts exhausted: SMTP unreachable",
        **values,
    )
    return row.id


async def test_admins_list_and_replay_the_dead_letter(staff: Staff) -> None:
    dead = await _message(staff, MessageState.DEAD, "dead")
    await _message(staff, MessageState.SENT, "sent")
    admin = await staff.headers(staff.admin)
    listed = await staff.client.get("/v1/outbox?state=dead", headers=admin)
    assert listed.status_code == 200, listed.text
    [item] = listed.json()["items"]
    assert (item["id"], item["state"], item["attempts"]) == (dead, "dead", 8)
    assert item["last_error"] == "attempts exhausted: SMTP unreachable"

    replayed = await staff.client.post(f"/v1/outbox/{dead}/replay", headers=admin)
    assert replayed.status_code == 200, replayed.text
    assert (replayed.json()["state"], replayed.json()["attempts"]) == ("queued", 0)
    again = await staff.client.post(
        f"/v1/outbox/{dead}/replay", headers={**admin, "Accept-Language": "en"}
    )
    assert again.status_code == 422
    assert again.headers["content-type"] == "application/problem+json"
    assert again.json()["errors"][0]["code"] == "not_replayable"
    one = await staff.client.get(f"/v1/outbox/{dead}", headers=admin)
    assert one.json()["state"] == "queued"
    assert (await staff.client.get("/v1/outbox/999999", headers=admin)).status_code == 404


async def test_the_outbox_is_for_admins_only(staff: Staff) -> None:
    dead = await _message(staff, MessageState.DEAD, "x")
    for user in (staff.head, staff.manager):
        headers = await staff.headers(user)
        assert (await staff.client.get("/v1/outbox", headers=headers)).status_code == 403
        replay = await staff.client.post(f"/v1/outbox/{dead}/replay", headers=headers)
        assert replay.status_code == 403
        assert replay.headers["content-type"] == "application/problem+json"
    assert (await OutboundMessage.get(id=dead)).state == MessageState.DEAD


async def test_a_bad_state_filter_is_a_422(staff: Staff) -> None:
    response = await staff.client.get(
        "/v1/outbox?state=lost", headers=await staff.headers(staff.admin)
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "state"
