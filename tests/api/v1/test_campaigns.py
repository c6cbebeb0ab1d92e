"""/v1/campaigns: a head counts an audience, drafts, starts, watches, pauses, resumes and cancels
a campaign and reads each recipient's result; managers and other offices get nothing."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from models.channels import DeliveryResult, use_channels
from models.entities import Channel
from models.ops.campaigns import feed_campaign
from models.ops.outbox import claim_due, record_delivery
from models.ops.templates import install_default_templates
from tests.api.v1.staff import Staff, make_staff
from tests.factories import actor_for, make_contact, unique


@pytest.fixture
async def staff(client: httpx.AsyncClient) -> Staff:
    await install_default_templates()
    return await make_staff(client)


@pytest.fixture(autouse=True)
def email_configured() -> Iterator[None]:
    with use_channels({Channel.EMAIL}):
        yield


async def _clients(staff: Staff, count: int) -> None:
    actor = await actor_for(staff.manager)
    for _ in range(count):
        await make_contact(actor, emails=[f"{unique('c')}@example.ru"])


async def test_a_head_runs_a_campaign_end_to_end(staff: Staff) -> None:
    await _clients(staff, 3)
    head = await staff.headers(staff.head)
    client = staff.client

    counted = await client.post(
        "/v1/campaigns/audience/count", json={"purpose": "thanks_after_call"}, headers=head
    )
    assert counted.status_code == 200, counted.text
    assert counted.json() == {"total": 3, "marketing": False, "consented": None}

    created = await client.post(
        "/v1/campaigns",
        json={"name": "Спасибо всем", "purpose": "thanks_after_call", "audience": {"q": ""}},
        headers=head,
    )
    assert created.status_code == 201, created.text
    campaign = created.json()
    path = created.headers["Location"]
    assert (campaign["state"], campaign["total"], created.headers["ETag"]) == ("draft", 0, '"1"')

    started = await client.post(f"{path}/start", headers={**head, "If-Match": '"1"'})
    assert started.status_code == 200, started.text
    assert (started.json()["state"], started.json()["total"]) == ("running", 3)

    assert await feed_campaign(campaign["id"], limit=2) == 2
    for message in await claim_due(10):
        await record_delivery(message, DeliveryResult.sent(), max_attempts=5)

    shown = (await client.get(path, headers=head)).json()
    assert shown["progress"]["recipients"] == {"pending": 1, "queued": 2, "cancelled": 0}
    assert shown["progress"]["messages"]["sent"] == 2

    paused = await client.post(f"{path}/pause", headers={**head, "If-Match": '"2"'})
    assert paused.json()["state"] == "paused"
    resumed = await client.post(f"{path}/resume", headers={**head, "If-Match": '"3"'})
    assert resumed.json()["state"] == "running"
    cancelled = await client.post(f"{path}/cancel", headers={**head, "If-Match": '"4"'})
    assert cancelled.json()["state"] == "cancelled"

    recipients = (await client.get(f"{path}/recipients", headers=head)).json()["items"]
    assert [(r["state"], r["message_state"], r["channel"]) for r in recipients] == [
        ("queued", "sent", "email"),
        ("queued", "sent", "email"),
        ("cancelled", None, None),
    ]
    listed = (await client.get("/v1/campaigns?state=cancelled", headers=head)).json()
    assert [c["id"] for c in listed["items"]] == [campaign["id"]]
    assert listed["items"][0]["progress"] is None


async def test_bad_drafts_and_wrong_states_are_422s_naming_fields(staff: Staff) -> None:
    admin = await staff.headers(staff.admin)
    refused = await staff.client.post(
        "/v1/campaigns",
        json={"name": "X", "purpose": "nothing_like_this", "audience": {"segment_id": 999}},
        headers=admin,
    )
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert {e["field"]: e["code"] for e in refused.json()["errors"]} == {
        "purpose": "no_template",
        "audience.segment_id": "not_found",
    }
    unknown = await staff.client.post(
        "/v1/campaigns",
        json={"name": "X", "purpose": "thanks_after_call", "state": "running"},
        headers=admin,
    )
    assert unknown.status_code == 422

    created = await staff.client.post(
        "/v1/campaigns", json={"name": "X", "purpose": "thanks_after_call"}, headers=admin
    )
    path = created.headers["Location"]
    early = await staff.client.post(f"{path}/pause", headers={**admin, "If-Match": '"1"'})
    assert early.status_code == 422
    assert [e["field"] for e in early.json()["errors"]] == ["state"]
    unversioned = await staff.client.post(f"{path}/start", headers=admin)
    assert unversioned.status_code == 428


async def test_managers_and_other_offices_get_nothing(staff: Staff) -> None:
    head = await staff.headers(staff.head)
    created = await staff.client.post(
        "/v1/campaigns", json={"name": "Север", "purpose": "thanks_after_call"}, headers=head
    )
    path = created.headers["Location"]
    manager = await staff.headers(staff.manager)
    south = await staff.headers(staff.south_head)

    assert (await staff.client.get("/v1/campaigns", headers=manager)).status_code == 403
    assert (await staff.client.get(path, headers=manager)).status_code == 403
    assert (await staff.client.get(path, headers=south)).status_code == 404
    start = await staff.client.post(f"{path}/start", headers={**south, "If-Match": '"1"'})
    assert start.status_code == 404
    assert (await staff.client.get("/v1/campaigns", headers=south)).json()["items"] == []
