"""Disconnecting Telegram: DELETE /v1/me/telegram-link and, for admins,
DELETE /v1/users/{id}/telegram-link. Audited; the bot then treats the account as a stranger."""

from __future__ import annotations

import httpx

from models.entities import AuditEntry, Role, User
from tests.api.v1.conftest import PASSWORD, headers_for
from tests.factories import make_office, make_user


async def _linked(telegram_id: int, role: Role = Role.MANAGER) -> User:
    user = await make_user(await make_office(), role, password=PASSWORD)
    await User.filter(id=user.id).update(telegram_user_id=telegram_id)
    return user


async def _unlink_audits(user: User) -> list[AuditEntry]:
    return await AuditEntry.filter(entity="user", entity_id=user.id, field="telegram_user_id")


async def test_a_user_disconnects_their_own_telegram_once_audited(
    client: httpx.AsyncClient,
) -> None:
    user = await _linked(5551)
    headers = await headers_for(client, user)
    first = await client.delete("/v1/me/telegram-link", headers=headers)
    again = await client.delete("/v1/me/telegram-link", headers=headers)
    assert (first.status_code, again.status_code) == (204, 204)
    assert (await User.get(id=user.id)).telegram_user_id is None
    [entry] = await _unlink_audits(user)
    assert (entry.actor_id, entry.old_value, entry.new_value) == (user.id, "5551", None)


async def test_only_admins_disconnect_someone_else(client: httpx.AsyncClient) -> None:
    olga = await _linked(5552)
    head = await make_user(await make_office(), Role.HEAD, password=PASSWORD)
    admin = await make_user(await make_office(), Role.ADMIN, password=PASSWORD)
    path = f"/v1/users/{olga.id}/telegram-link"
    refused = await client.delete(path, headers=await headers_for(client, head))
    assert refused.status_code == 403
    assert (await User.get(id=olga.id)).telegram_user_id == 5552
    done = await client.delete(path, headers=await headers_for(client, admin))
    assert done.status_code == 204
    assert (await User.get(id=olga.id)).telegram_user_id is None
    [entry] = await _unlink_audits(olga)
    assert entry.actor_id == admin.id
    missing = await client.delete(
        "/v1/users/999999/telegram-link", headers=await headers_for(client, admin)
    )
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
