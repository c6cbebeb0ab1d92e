"""Signing in, refreshing, signing out, throttling, and deactivation ending every sign-in."""

from __future__ import annotations

from datetime import timedelta

import httpx

from models.actor import Actor
from models.clock import FrozenClock, now, use_clock
from models.entities import User
from models.ops.org import set_user_active
from tests.api.v1.conftest import PASSWORD, bearer, sign_in


async def test_login_by_email_or_phone_gives_working_tokens(
    client: httpx.AsyncClient, user: User
) -> None:
    tokens = await sign_in(client, user.email.upper())
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == 900
    me = await client.get("/v1/me", headers=bearer(tokens["access_token"]))
    assert me.status_code == 200
    assert me.json()["email"] == user.email
    by_phone = await sign_in(client, "8 (916) 123-45-67")
    assert by_phone["access_token"] != tokens["access_token"]


async def test_wrong_password_and_unknown_login_look_the_same(
    client: httpx.AsyncClient, user: User
) -> None:
    wrong = await client.post("/v1/auth/login", json={"login": user.email, "password": "nope"})
    unknown = await client.post("/v1/auth/login", json={"login": "x@y.test", "password": "nope"})
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json()["code"] == "not_authenticated"
    assert wrong.json()["detail"] == unknown.json()["detail"]


async def test_guessing_is_throttled_per_login(client: httpx.AsyncClient, user: User) -> None:
    with use_clock(FrozenClock(now())) as clock:
        for _ in range(5):
            response = await client.post(
                "/v1/auth/login", json={"login": user.email, "password": "guess"}
            )
            assert response.status_code == 401
        blocked = await client.post(
            "/v1/auth/login", json={"login": user.email, "password": PASSWORD}
        )
        assert blocked.status_code == 429
        assert 1 <= int(blocked.headers["retry-after"]) <= 15 * 60 + 1
        assert blocked.json()["code"] == "too_many_attempts"
        clock.advance(timedelta(minutes=16))
        assert (
            await client.post("/v1/auth/login", json={"login": user.email, "password": PASSWORD})
        ).status_code == 200


async def test_refresh_rotates_and_reuse_ends_the_session(
    client: httpx.AsyncClient, user: User
) -> None:
    first = await sign_in(client, user.email)
    second = await client.post("/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    rotated = second.json()
    assert rotated["refresh_token"] != first["refresh_token"]
    assert (await client.get("/v1/me", headers=bearer(rotated["access_token"]))).status_code == 200

    replay = await client.post("/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert replay.status_code == 401
    # the thief's replay ended the session: the legitimate new tokens die with it
    assert (await client.get("/v1/me", headers=bearer(rotated["access_token"]))).status_code == 401
    again = await client.post("/v1/auth/refresh", json={"refresh_token": rotated["refresh_token"]})
    assert again.status_code == 401


async def test_logout_ends_the_session_at_once(client: httpx.AsyncClient, user: User) -> None:
    tokens = await sign_in(client, user.email)
    other = await sign_in(client, user.email)
    assert (
        await client.post("/v1/auth/logout", headers=bearer(tokens["access_token"]))
    ).status_code == 204
    assert (await client.get("/v1/me", headers=bearer(tokens["access_token"]))).status_code == 401
    refresh = await client.post("/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refresh.status_code == 401
    assert (await client.get("/v1/me", headers=bearer(other["access_token"]))).status_code == 200


async def test_deactivation_kills_every_token(client: httpx.AsyncClient, user: User) -> None:
    tokens = await sign_in(client, user.email)
    created = await client.post(
        "/v1/me/tokens", json={"name": "1C"}, headers=bearer(tokens["access_token"])
    )
    personal = created.json()["token"]
    assert (await client.get("/v1/me", headers=bearer(personal))).status_code == 200

    await set_user_active(Actor.system(), user.id, False)

    assert (await client.get("/v1/me", headers=bearer(tokens["access_token"]))).status_code == 401
    assert (await client.get("/v1/me", headers=bearer(personal))).status_code == 401
    refresh = await client.post("/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refresh.status_code == 401
    login = await client.post("/v1/auth/login", json={"login": user.email, "password": PASSWORD})
    assert login.status_code == 401


async def test_forged_and_missing_tokens_are_refused(client: httpx.AsyncClient, user: User) -> None:
    assert (await client.get("/v1/me")).status_code == 401
    assert (await client.get("/v1/me", headers=bearer("not.a.jwt"))).status_code == 401
    assert (await client.get("/v1/me", headers=bearer("vrk_pat_forged"))).status_code == 401
    tokens = await sign_in(client, user.email)
    header, payload, _ = tokens["access_token"].split(".")
    forged = f"{header}.{payload}.AAAA"
    assert (await client.get("/v1/me", headers=bearer(forged))).status_code == 401


async def test_login_rejects_unknown_fields(client: httpx.AsyncClient, user: User) -> None:
    response = await client.post(
        "/v1/auth/login", json={"login": user.email, "password": PASSWORD, "role": "admin"}
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "role", "code": "extra_forbidden", "message": "Неизвестное поле."}
    ]
