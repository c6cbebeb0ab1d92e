"""/v1/contacts/{id}/consents and /channels: consents as a history, given and withdrawn (by
purpose and channel, or one by id), audited; the channels the outbox would use."""

from __future__ import annotations

import httpx
import pytest

from models.entities import AuditEntry, Channel, ChannelIdentity
from tests.api.v1.staff import Staff, make_staff
from tests.factories import actor_for, make_contact


@pytest.fixture
async def staff(client: httpx.AsyncClient) -> Staff:
    return await make_staff(client)


async def test_give_list_and_withdraw(staff: Staff) -> None:
    contact = await make_contact(await actor_for(staff.manager))
    headers = await staff.headers(staff.manager)
    path = f"/v1/contacts/{contact.id}/consents"
    service = await staff.client.post(
        path, json={"purpose": "service", "text_version": "offer-2026"}, headers=headers
    )
    assert service.status_code == 201, service.text
    assert service.json() | {"given_at": None} == {
        "id": service.json()["id"],
        "purpose": "service",
        "channel": None,
        "text_version": "offer-2026",
        "given_at": None,
        "withdrawn_at": None,
        "recorded_by_id": staff.manager.id,
        "current": True,
    }
    marketing = await staff.client.post(
        path,
        json={"purpose": "marketing", "text_version": "promo-1", "channel": "sms"},
        headers=headers,
    )
    withdrawn = await staff.client.post(
        f"{path}/withdraw", json={"purpose": "marketing", "channel": "sms"}, headers=headers
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["cancelled_messages"] == 0
    one = await staff.client.post(f"{path}/{service.json()['id']}/withdraw", headers=headers)
    assert one.status_code == 200, one.text
    assert one.json()["current"] is False
    listed = await staff.client.get(path, headers=headers)
    assert [(c["id"], c["current"]) for c in listed.json()["items"]] == [
        (marketing.json()["id"], False),
        (service.json()["id"], False),
    ]
    actions = await AuditEntry.filter(entity="contact", entity_id=contact.id).values_list(
        "action", flat=True
    )
    assert actions.count("consent_given") == 2
    assert actions.count("consent_withdrawn") == 2


async def test_bad_consents_are_problems_naming_fields(staff: Staff) -> None:
    contact = await make_contact(await actor_for(staff.manager))
    headers = await staff.headers(staff.manager)
    path = f"/v1/contacts/{contact.id}/consents"
    for body, field in (
        ({"purpose": "spam", "text_version": "1"}, "purpose"),
        ({"purpose": "service", "text_version": ""}, "text_version"),
        ({"purpose": "service", "text_version": "1", "channel": "fax"}, "channel"),
        ({"purpose": "service", "text_version": "1", "given_at": "2020-01-01"}, "given_at"),
    ):
        response = await staff.client.post(path, json=body, headers=headers)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["errors"][0]["field"] == field
    missing = await staff.client.post(f"{path}/999999/withdraw", headers=headers)
    assert missing.status_code == 404


async def test_channels_and_the_preferred_order_through_patch(staff: Staff) -> None:
    contact = await make_contact(
        await actor_for(staff.manager), phones=["+79161234567"], emails=["a@example.test"]
    )
    await ChannelIdentity.create(contact_id=contact.id, channel=Channel.TELEGRAM, address="42")
    headers = await staff.headers(staff.manager)
    path = f"/v1/contacts/{contact.id}"
    changed = await staff.client.patch(
        path,
        json={"preferred_channels": ["email", "telegram"]},
        headers={**headers, "If-Match": '"1"'},
    )
    assert changed.status_code == 200, changed.text
    bad = await staff.client.patch(
        path, json={"preferred_channels": ["pigeon"]}, headers={**headers, "If-Match": '"2"'}
    )
    assert bad.status_code == 422
    channels = await staff.client.get(f"{path}/channels", headers=headers)
    assert channels.status_code == 200, channels.text
    body = channels.json()
    assert body["preferred_channels"] == ["email", "telegram"]
    assert body["order"] == ["email", "telegram"]
    assert [(i["channel"], i["address"]) for i in body["identities"]] == [("telegram", "42")]
    assert body["addresses"] == [
        {"channel": "email", "address": "a@example.test"},
        {"channel": "telegram", "address": "42"},
    ]
    assert body["language"] == "ru", "no language of its own: the installation's"
    english = await staff.client.patch(
        path, json={"language": "en"}, headers={**headers, "If-Match": '"2"'}
    )
    assert english.status_code == 200, english.text
    channels = await staff.client.get(f"{path}/channels", headers=headers)
    assert channels.json()["language"] == "en"
    stranger = await staff.headers(staff.stranger)
    assert (await staff.client.get(f"{path}/channels", headers=stranger)).status_code == 404
    assert (await staff.client.get(f"{path}/consents", headers=stranger)).status_code == 404
