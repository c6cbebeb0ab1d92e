"""/v1/client/push-subscriptions: the company's client app subscribes a device with the token a
manager issued, without signing in; unsubscribes and follows a rotated FCM token. Public, so:
counted per IP address, one answer for every unusable token, FCM tokens checked."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from api.app import create_app
from models.channels import use_channels
from models.clock import now
from models.entities import Channel, ChannelIdentity, Consent, Contact, TelegramSubscriptionToken
from models.ops.push_subscriptions import CONSENT_TEXT, CONSENT_TEXT_VERSION
from models.ops.sessions import token_digest
from models.settings import Settings
from tests.api.v1.staff import Staff, make_staff
from tests.doubles.fcm_api import fcm_token
from tests.factories import actor_for, make_contact, make_order

BOT = "voronka_test_bot"
QUOTA = 6
PHONE, OTHER_PHONE = fcm_token(1), fcm_token(2)
SUBSCRIPTIONS = "/v1/client/push-subscriptions"


@pytest.fixture
async def app(db: str, data_dir: Path) -> FastAPI:
    settings = Settings(
        database_url=db,
        data_dir=data_dir,
        telegram_bot_username=BOT,
        client_rate_limit_per_minute=QUOTA,
    )
    return create_app(settings, manage_database=False)


@pytest.fixture(autouse=True)
def push_on() -> Iterator[None]:
    with use_channels({Channel.TELEGRAM, Channel.EMAIL, Channel.PUSH}):
        yield


@pytest.fixture
async def staff(client: httpx.AsyncClient) -> Staff:
    return await make_staff(client)


@pytest.fixture
async def phone(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The client app: no bearer token, its own IP address."""
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://voronka.test") as client:
        yield client


async def _issue(staff: Staff, path: str) -> dict[str, Any]:
    response = await staff.client.post(path, headers=await staff.headers(staff.manager))
    assert response.status_code == 201, response.text
    return dict(response.json())


def _subscription(token: str, fcm: str = PHONE, platform: str = "android") -> dict[str, str]:
    return {
        "token": token,
        "fcm_token": fcm,
        "platform": platform,
        "consent_text_version": CONSENT_TEXT_VERSION,
    }


async def test_a_device_subscribes_with_the_managers_token(
    staff: Staff, phone: httpx.AsyncClient
) -> None:
    actor = await actor_for(staff.manager)
    contact = await make_contact(actor, preferred_channels=["email"])
    order = await make_order(actor, contact_id=contact.id, number="A-7")
    link = await _issue(staff, f"/v1/orders/{order.id}/telegram-subscription")
    assert link["channels"] == ["telegram", "push"]
    assert link["url"] == f"https://t.me/{BOT}?start={link['token']}"

    response = await phone.post(
        SUBSCRIPTIONS, json=_subscription(link["token"]), headers={"Accept-Language": "en"}
    )
    assert response.status_code == 201, response.text
    assert response.json() == {
        "consent_text": CONSENT_TEXT.en,
        "consent_text_version": CONSENT_TEXT_VERSION,
        "language": "ru",
        "order": {"number": "A-7", "status": "new", "status_label": "new"},
    }
    assert int(response.headers["RateLimit-Remaining"]) == QUOTA - 1
    again = await phone.post(SUBSCRIPTIONS, json=_subscription(link["token"]))
    assert again.status_code == 201, again.text
    assert again.json()["consent_text"] == CONSENT_TEXT.ru
    assert again.json()["order"]["status_label"] == "новый"

    [identity] = await ChannelIdentity.filter(contact_id=contact.id)
    assert (identity.channel, identity.address) == (Channel.PUSH, PHONE)
    assert await Consent.filter(contact_id=contact.id, channel=Channel.PUSH).count() == 1
    assert (await Contact.get(id=contact.id)).preferred_channels == ["push", "email"]
    channels = await staff.client.get(
        f"/v1/contacts/{contact.id}/channels", headers=await staff.headers(staff.manager)
    )
    assert channels.json()["addresses"][0] == {"channel": "push", "address": PHONE}


async def test_unusable_tokens_get_one_problem_that_reveals_nothing(
    staff: Staff, phone: httpx.AsyncClient
) -> None:
    contact = await make_contact(await actor_for(staff.manager))
    taken = (await _issue(staff, f"/v1/contacts/{contact.id}/telegram-subscription"))["token"]
    assert (await phone.post(SUBSCRIPTIONS, json=_subscription(taken))).status_code == 201
    expired = (await _issue(staff, f"/v1/contacts/{contact.id}/telegram-subscription"))["token"]
    await TelegramSubscriptionToken.filter(token_hash=token_digest(expired)).update(
        expires_at=now()
    )
    bodies = []
    for token in (taken, expired, "sub_" + "A" * 32, "hello"):
        response = await phone.post(SUBSCRIPTIONS, json=_subscription(token, OTHER_PHONE))
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        bodies.append(response.json())
    assert bodies[0]["errors"] == [
        {
            "field": "token",
            "code": "invalid_subscription_token",
            "message": "Ссылка не сработала: она устарела, неверна или уже использована на "
            "другом устройстве. Попросите у менеджера новую.",
        }
    ]
    assert all(body == bodies[0] for body in bodies)
    assert not await ChannelIdentity.exists(address=OTHER_PHONE)


async def test_fcm_tokens_platforms_and_fields_are_checked(
    staff: Staff, phone: httpx.AsyncClient
) -> None:
    contact = await make_contact(await actor_for(staff.manager))
    token = (await _issue(staff, f"/v1/contacts/{contact.id}/telegram-subscription"))["token"]
    for body, field, code in (
        (_subscription(token, "x" * 31), "fcm_token", "string_too_short"),
        (_subscription(token, "x" * 256), "fcm_token", "string_too_long"),
        (_subscription(token, PHONE[:-1] + "/"), "fcm_token", "string_pattern_mismatch"),
        (_subscription(token, platform="symbian"), "platform", "literal_error"),
        ({**_subscription(token), "contact_id": contact.id}, "contact_id", "extra_forbidden"),
        ({k: v for k, v in _subscription(token).items() if k != "token"}, "token", "missing"),
    ):
        response = await phone.post(SUBSCRIPTIONS, json=body)
        assert response.status_code == 422, (body, response.text)
        assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [(field, code)]
    assert not await ChannelIdentity.exists()


async def test_the_app_shows_the_consent_text_before_it_subscribes(
    staff: Staff, phone: httpx.AsyncClient
) -> None:
    for language, text in (("ru", CONSENT_TEXT.ru), ("en", CONSENT_TEXT.en)):
        response = await phone.get("/v1/client/push-consent", headers={"Accept-Language": language})
        assert response.status_code == 200, response.text
        assert response.json() == {
            "consent_text": text,
            "consent_text_version": CONSENT_TEXT_VERSION,
        }
    contact = await make_contact(await actor_for(staff.manager))
    token = (await _issue(staff, f"/v1/contacts/{contact.id}/telegram-subscription"))["token"]
    without = {k: v for k, v in _subscription(token).items() if k != "consent_text_version"}
    for body, code in (
        (without, "missing"),
        ({**without, "consent_text_version": "push-service-0"}, "outdated_consent_text"),
    ):
        response = await phone.post(SUBSCRIPTIONS, json=body)
        assert response.status_code == 422, response.text
        assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
            ("consent_text_version", code)
        ]
    assert not await ChannelIdentity.exists()
    assert not await Consent.exists(), "no consent to a text the person did not see"


async def test_a_server_without_push_says_so(staff: Staff, phone: httpx.AsyncClient) -> None:
    contact = await make_contact(await actor_for(staff.manager))
    token = (await _issue(staff, f"/v1/contacts/{contact.id}/telegram-subscription"))["token"]
    with use_channels({Channel.TELEGRAM, Channel.EMAIL}):
        response = await phone.post(SUBSCRIPTIONS, json=_subscription(token))
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "push_not_configured"
    assert not await ChannelIdentity.exists()


async def test_without_a_bot_the_link_has_a_token_for_the_app_only(db: str, data_dir: Path) -> None:
    app = create_app(Settings(database_url=db, data_dir=data_dir), manage_database=False)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://voronka.test"
    ) as client:
        staff = await make_staff(client)
        contact = await make_contact(await actor_for(staff.manager))
        link = await _issue(staff, f"/v1/contacts/{contact.id}/telegram-subscription")
        assert (link["url"], link["channels"]) == (None, ["push"])
        assert link["token"].startswith("sub_")
        with use_channels({Channel.EMAIL}):
            refused = await client.post(
                f"/v1/contacts/{contact.id}/telegram-subscription",
                headers=await staff.headers(staff.manager),
            )
        assert refused.status_code == 409
        assert refused.json()["code"] == "telegram_not_configured"


async def test_requests_are_counted_per_ip_address(
    staff: Staff, phone: httpx.AsyncClient, app: FastAPI
) -> None:
    unsubscribe = {"fcm_token": PHONE}
    for _ in range(QUOTA):
        response = await phone.post(f"{SUBSCRIPTIONS}/unsubscribe", json=unsubscribe)
        assert response.status_code == 204, response.text
    refused = await phone.post(SUBSCRIPTIONS, json=_subscription("sub_" + "A" * 32))
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) > 0
    # Another address has its own quota, and the staff's own quota is another count.
    transport = httpx.ASGITransport(app=app, client=("198.51.100.9", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://voronka.test") as other:
        assert (
            await other.post(f"{SUBSCRIPTIONS}/unsubscribe", json=unsubscribe)
        ).status_code == 204
    me = await staff.client.get("/v1/me", headers=await staff.headers(staff.manager))
    assert me.status_code == 200


async def test_a_device_unsubscribes_and_follows_a_rotated_token(
    staff: Staff, phone: httpx.AsyncClient
) -> None:
    contact = await make_contact(await actor_for(staff.manager))
    token = (await _issue(staff, f"/v1/contacts/{contact.id}/telegram-subscription"))["token"]
    assert (await phone.post(SUBSCRIPTIONS, json=_subscription(token))).status_code == 201

    moved = await phone.post(
        f"{SUBSCRIPTIONS}/refresh", json={"old_fcm_token": PHONE, "fcm_token": OTHER_PHONE}
    )
    assert moved.status_code == 200, moved.text
    assert moved.json() == {"subscribed": True}
    [address] = await ChannelIdentity.filter(contact_id=contact.id).values_list(
        "address", flat=True
    )
    assert address == OTHER_PHONE
    unknown = await phone.post(
        f"{SUBSCRIPTIONS}/refresh", json={"old_fcm_token": PHONE, "fcm_token": fcm_token(5)}
    )
    assert unknown.json() == {"subscribed": False}

    for _ in range(2):
        gone = await phone.post(f"{SUBSCRIPTIONS}/unsubscribe", json={"fcm_token": OTHER_PHONE})
        assert gone.status_code == 204, gone.text
    assert not await ChannelIdentity.exists(contact_id=contact.id)
    consent = await Consent.get(contact_id=contact.id, channel=Channel.PUSH)
    assert consent.withdrawn_at is not None
    malformed = await phone.post(f"{SUBSCRIPTIONS}/unsubscribe", json={"fcm_token": "abc"})
    assert malformed.status_code == 422
