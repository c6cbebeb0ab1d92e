"""The signed-in user's profile, personal access tokens and push devices."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from models.entities import User
from tests.api.v1.conftest import bearer, sign_in
from tests.factories import make_user


async def _headers(client: httpx.AsyncClient, user: User) -> dict[str, str]:
    return bearer((await sign_in(client, user.email))["access_token"])


async def test_profile(client: httpx.AsyncClient, user: User) -> None:
    body = (await client.get("/v1/me", headers=await _headers(client, user))).json()
    assert body["id"] == user.id
    assert body["role"] == "manager"
    assert body["phone"] == "+79161234567"
    assert body["timezone"] == "Europe/Moscow"
    assert set(body["office"]) == {"id", "name", "timezone"}


async def test_personal_token_is_shown_once_and_revocable(
    client: httpx.AsyncClient, user: User
) -> None:
    headers = await _headers(client, user)
    created = await client.post("/v1/me/tokens", json={"name": "Интеграция 1С"}, headers=headers)
    assert created.status_code == 201
    token = created.json()
    assert token["token"].startswith(token["prefix"])
    listed = (await client.get("/v1/me/tokens", headers=headers)).json()
    assert [t["name"] for t in listed] == ["Интеграция 1С"]
    assert "token" not in listed[0]
    assert (await client.get("/v1/me", headers=bearer(token["token"]))).status_code == 200
    revoked = await client.delete(f"/v1/me/tokens/{token['id']}", headers=headers)
    assert revoked.status_code == 204
    assert (await client.get("/v1/me", headers=bearer(token["token"]))).status_code == 401
    again = await client.delete(f"/v1/me/tokens/{token['id']}", headers=headers)
    assert again.status_code == 404


async def test_token_expiry_must_be_in_the_future(client: httpx.AsyncClient, user: User) -> None:
    headers = await _headers(client, user)
    past = await client.post(
        "/v1/me/tokens",
        json={"name": "old", "expires_at": "2020-01-01T00:00:00+03:00"},
        headers={**headers, "Accept-Language": "en"},
    )
    assert past.status_code == 422
    assert past.json()["errors"][0]["field"] == "expires_at"
    naive = await client.post(
        "/v1/me/tokens",
        json={"name": "naive", "expires_at": "2030-01-01T00:00:00"},
        headers=headers,
    )
    assert naive.status_code == 422


async def test_devices_register_move_and_unregister(client: httpx.AsyncClient, user: User) -> None:
    headers = await _headers(client, user)
    device = {"fcm_token": "fcm-token-1", "platform": "android", "name": "Pixel"}
    created = await client.post("/v1/me/devices", json=device, headers=headers)
    assert created.status_code == 201
    again = await client.post("/v1/me/devices", json=device, headers=headers)
    assert again.json()["id"] == created.json()["id"]
    assert len((await client.get("/v1/me/devices", headers=headers)).json()) == 1

    colleague = await make_user(password="another-password")
    their_headers = bearer(
        (await sign_in(client, colleague.email, "another-password"))["access_token"]
    )
    moved = await client.post("/v1/me/devices", json=device, headers=their_headers)
    assert moved.json()["id"] == created.json()["id"]
    assert (await client.get("/v1/me/devices", headers=headers)).json() == []
    foreign = await client.delete(f"/v1/me/devices/{created.json()['id']}", headers=headers)
    assert foreign.status_code == 404
    own = await client.delete(f"/v1/me/devices/{created.json()['id']}", headers=their_headers)
    assert own.status_code == 204


async def test_device_platform_is_checked(client: httpx.AsyncClient, user: User) -> None:
    response = await client.post(
        "/v1/me/devices",
        json={"fcm_token": "t", "platform": "symbian"},
        headers=await _headers(client, user),
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "platform"


async def test_telegram_link_needs_a_configured_bot(
    client: httpx.AsyncClient, app: FastAPI, user: User
) -> None:
    headers = await _headers(client, user)
    off = await client.post("/v1/me/telegram-link", headers={**headers, "Accept-Language": "en"})
    assert off.status_code == 409
    assert "VORONKA_TELEGRAM_BOT_USERNAME" in off.json()["detail"]
    app.state.settings = app.state.settings.model_copy(
        update={"telegram_bot_username": "voronka_bot"}
    )
    on = await client.post("/v1/me/telegram-link", headers=headers)
    assert on.status_code == 201
    body = on.json()
    assert body["url"] == f"https://t.me/voronka_bot?start={body['token']}"


async def test_the_morning_digest_is_on_at_nine_by_default_and_the_user_moves_or_stops_it(
    client: httpx.AsyncClient, user: User
) -> None:
    headers = await _headers(client, user)
    assert (await client.get("/v1/me/digest", headers=headers)).json() == {
        "enabled": True,
        "time": "09:00",
    }
    moved = await client.patch("/v1/me/digest", json={"time": "07:45"}, headers=headers)
    assert moved.json() == {"enabled": True, "time": "07:45"}
    stopped = await client.patch("/v1/me/digest", json={"enabled": False}, headers=headers)
    assert stopped.json() == {"enabled": False, "time": "07:45"}
    stored = await User.get(id=user.id)
    assert (stored.digest_enabled, stored.digest_minute) == (False, 7 * 60 + 45)


async def test_a_bad_digest_time_is_a_422_naming_the_field(
    client: httpx.AsyncClient, user: User
) -> None:
    headers = await _headers(client, user)
    for body in ({"time": "7:5"}, {"time": "24:00"}, {"enabled": "yes"}, {"hour": 9}):
        answer = await client.patch("/v1/me/digest", json=body, headers=headers)
        assert answer.status_code == 422, body
        assert answer.headers["content-type"] == "application/problem+json"
    assert (await client.get("/v1/me/digest", headers=headers)).json()["time"] == "09:00"
