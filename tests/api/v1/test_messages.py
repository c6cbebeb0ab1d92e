"""/v1/contacts/{id}/messages, its preview, /v1/message-purposes and the Telegram subscription
links: what a manager sends a client, logged as an interaction, once per Idempotency-Key."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from api.app import create_app
from models.channels import use_channels
from models.entities import Channel, ChannelIdentity, Interaction, OutboundMessage
from models.ops.templates import install_default_templates
from models.settings import Settings
from tests.api.v1.staff import Staff, make_staff
from tests.factories import actor_for, make_contact, make_deal, make_order, make_pipeline

BOT = "voronka_test_bot"


@pytest.fixture
async def app(db: str, data_dir: Path) -> FastAPI:
    settings = Settings(database_url=db, data_dir=data_dir, telegram_bot_username=BOT)
    return create_app(settings, manage_database=False)


@pytest.fixture
async def staff(client: httpx.AsyncClient) -> Staff:
    await install_default_templates()
    await make_pipeline()
    return await make_staff(client)


@pytest.fixture(autouse=True)
def every_channel() -> Iterator[None]:
    with use_channels({Channel.TELEGRAM, Channel.WHATSAPP, Channel.SMS, Channel.EMAIL}):
        yield


async def test_purposes_are_listed_with_names(staff: Staff) -> None:
    headers = await staff.headers(staff.manager)
    response = await staff.client.get("/v1/message-purposes", headers=headers)
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert items[0] == {
        "purpose": "thanks_after_call",
        "name": {"ru": "Спасибо за разговор", "en": "Thanks for the call"},
        "marketing": False,
    }
    assert {"purpose": "birthday_greeting", "marketing": True}.items() <= items[3].items()


async def test_preview_then_send_logs_an_interaction_once_per_key(staff: Staff) -> None:
    actor = await actor_for(staff.manager)
    contact = await make_contact(actor, first_name="Иван", emails=["ivan@example.test"])
    await ChannelIdentity.create(contact_id=contact.id, channel=Channel.TELEGRAM, address="900")
    deal = await make_deal(actor, contact_id=contact.id, title="Кирпич")
    headers = await staff.headers(staff.manager)
    body = {"purpose": "proposal_sent", "deal_id": deal.id}
    path = f"/v1/contacts/{contact.id}/messages"
    preview = await staff.client.post(f"{path}/preview", json=body, headers=headers)
    assert preview.status_code == 200, preview.text
    shown = preview.json()
    assert (shown["sendable"], shown["channel"], shown["address"]) == (True, "telegram", "900")
    assert "«Кирпич»" in shown["body"]
    assert await OutboundMessage.all().count() == 0

    keyed = {**headers, "Idempotency-Key": "send-1"}
    sent = await staff.client.post(path, json=body, headers=keyed)
    assert sent.status_code == 201, sent.text
    result = sent.json()
    assert (result["state"], result["channel"], result["error"]) == ("queued", "telegram", "")
    assert result["body"] == shown["body"]
    again = await staff.client.post(path, json=body, headers=keyed)
    assert again.json()["message_id"] == result["message_id"]
    assert await OutboundMessage.all().count() == 1
    interaction = await Interaction.get(id=result["interaction_id"])
    assert interaction.outbound_message_id == result["message_id"]
    history = await staff.client.get(f"/v1/interactions?contact_id={contact.id}", headers=headers)
    [logged] = history.json()["items"]
    assert (logged["kind"], logged["outbound_message_id"]) == ("message", result["message_id"])
    one = await staff.client.get(f"/v1/interactions/{logged['id']}", headers=headers)
    assert one.json()["outbound_message_id"] == result["message_id"]

    email = await staff.client.post(
        path, json={**body, "channel": "email"}, headers={**headers, "Idempotency-Key": "send-2"}
    )
    assert (email.json()["channel"], email.json()["address"]) == ("email", "ivan@example.test")


async def test_no_usable_channel_answers_the_failed_message_with_its_reason(staff: Staff) -> None:
    contact = await make_contact(await actor_for(staff.manager))
    headers = await staff.headers(staff.manager)
    path = f"/v1/contacts/{contact.id}/messages"
    body = {"purpose": "thanks_after_call"}
    preview = await staff.client.post(f"{path}/preview", json=body, headers=headers)
    assert preview.json()["sendable"] is False
    assert preview.json()["error"].startswith("no usable channel: telegram: no address")
    sent = await staff.client.post(path, json=body, headers=headers)
    assert sent.status_code == 201, sent.text
    result = sent.json()
    assert (result["state"], result["interaction_id"]) == ("failed", None)
    assert result["error"] == preview.json()["error"]
    assert result["problems"] == preview.json()["problems"]
    assert result["problems"][0] == {"channel": "telegram", "code": "no_address"}
    assert await OutboundMessage.filter(state="failed").count() == 1


async def test_marketing_without_consent_is_a_problem_naming_it(staff: Staff) -> None:
    contact = await make_contact(await actor_for(staff.manager), phones=["+79161234567"])
    headers = await staff.headers(staff.manager)
    path = f"/v1/contacts/{contact.id}/messages"
    refused = await staff.client.post(path, json={"purpose": "birthday_greeting"}, headers=headers)
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert [(e["field"], e["code"]) for e in refused.json()["errors"]] == [
        ("purpose", "no_marketing_consent")
    ]
    assert await OutboundMessage.all().count() == 0
    given = await staff.client.post(
        f"/v1/contacts/{contact.id}/consents",
        json={"purpose": "marketing", "text_version": "promo-1", "channel": "whatsapp"},
        headers=headers,
    )
    assert given.status_code == 201, given.text
    sent = await staff.client.post(path, json={"purpose": "birthday_greeting"}, headers=headers)
    assert (sent.status_code, sent.json()["channel"]) == (201, "whatsapp")


async def test_bad_bodies_are_problems_and_strangers_find_nothing(staff: Staff) -> None:
    contact = await make_contact(await actor_for(staff.manager))
    headers = await staff.headers(staff.manager)
    path = f"/v1/contacts/{contact.id}/messages"
    for body, field in (
        ({}, "purpose"),
        ({"purpose": "thanks_after_call", "unknown": 1}, "unknown"),
        ({"purpose": "thanks_after_call", "channel": "fax"}, "channel"),
        ({"purpose": "nothing_like_it"}, "purpose"),
    ):
        response = await staff.client.post(path, json=body, headers=headers)
        assert response.status_code == 422, (body, response.text)
        assert field in json.dumps(response.json()["errors"])
    stranger = await staff.headers(staff.stranger)
    hidden = await staff.client.post(path, json={"purpose": "thanks_after_call"}, headers=stranger)
    assert hidden.status_code == 404
    assert await OutboundMessage.all().count() == 0


async def test_subscription_links_for_a_contact_and_an_order(staff: Staff) -> None:
    actor = await actor_for(staff.manager)
    contact = await make_contact(actor)
    order = await make_order(actor, contact_id=contact.id, number="A-1")
    orphan = await make_order(actor, number="A-2")
    headers = await staff.headers(staff.manager)
    for path in (
        f"/v1/contacts/{contact.id}/telegram-subscription",
        f"/v1/orders/{order.id}/telegram-subscription",
    ):
        response = await staff.client.post(path, headers=headers)
        assert response.status_code == 201, response.text
        link = response.json()
        assert link["url"] == f"https://t.me/{BOT}?start={link['token']}"
        assert link["token"].startswith("sub_")
    refused = await staff.client.post(
        f"/v1/orders/{orphan.id}/telegram-subscription", headers=headers
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["code"] == "no_contact"
    stranger = await staff.headers(staff.stranger)
    hidden = await staff.client.post(
        f"/v1/contacts/{contact.id}/telegram-subscription", headers=stranger
    )
    assert hidden.status_code == 404
