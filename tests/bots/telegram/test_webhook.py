"""Webhook mode: POST /telegram/webhook checks the secret, acts on the update before answering
200, and acts on a redelivered update only once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from aiogram.types import Message
from fastapi import FastAPI

from api.app import create_app
from bots.telegram.app import TelegramRuntime
from models.entities import AuditEntry, TelegramUpdate, User
from models.ops.telegram_link import issue_telegram_link
from models.settings import Settings
from tests.bots.conftest import bot_settings, link
from tests.doubles.telegram_api import BOT_USERNAME, TelegramApiDouble
from tests.doubles.telegram_updates import Person, message_dict
from tests.factories import actor_for, make_user

SECRET = "Webhook_secret-0123456789"
OLGA = Person(9201, "Ольга")


def webhook_settings(db: str, api: TelegramApiDouble, **values: Any) -> Settings:
    return bot_settings(
        db, api.url, telegram_webhook=True, telegram_webhook_secret=SECRET, **values
    )


@pytest_asyncio.fixture
async def webhook_app(db: str, telegram_api: TelegramApiDouble) -> AsyncIterator[FastAPI]:
    app = create_app(webhook_settings(db, telegram_api), manage_database=False)
    try:
        yield app
    finally:
        await app.state.telegram.close()


@pytest_asyncio.fixture
async def webhook(webhook_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=webhook_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://voronka.test") as client:
        yield client


def _headers(secret: str | None = SECRET) -> dict[str, str]:
    return {} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret}


async def test_an_update_is_acted_on_before_the_200(
    webhook: httpx.AsyncClient, telegram_api: TelegramApiDouble
) -> None:
    user = await make_user(full_name="Ольга")
    token = (await issue_telegram_link(await actor_for(user), BOT_USERNAME)).token
    update = message_dict(OLGA, f"/start {token}")
    answer = await webhook.post("/telegram/webhook", json=update, headers=_headers())
    assert answer.status_code == 200
    assert (await User.get(id=user.id)).telegram_user_id == OLGA.id
    assert telegram_api.texts(OLGA.id) == [
        "Здравствуйте, Ольга! Telegram привязан к Voronka. Список команд: /help"
    ]
    claimed = await TelegramUpdate.get(update_id=update["update_id"])
    assert claimed.bot_id == 123456


@pytest.mark.parametrize(
    "secret", [None, "", "wrong-secret-of-same-len!", SECRET + "x", SECRET[:-1]]
)
async def test_a_missing_or_wrong_secret_is_401_and_changes_nothing(
    webhook: httpx.AsyncClient, telegram_api: TelegramApiDouble, secret: str | None
) -> None:
    user = await make_user()
    link = await issue_telegram_link(await actor_for(user), BOT_USERNAME)
    answer = await webhook.post(
        "/telegram/webhook",
        json=message_dict(OLGA, f"/start {link.token}"),
        headers=_headers(secret),
    )
    assert answer.status_code == 401
    assert (await User.get(id=user.id)).telegram_user_id is None
    assert await TelegramUpdate.all().count() == 0
    assert telegram_api.calls == []


async def test_a_redelivered_update_is_acted_on_once(
    webhook: httpx.AsyncClient, telegram_api: TelegramApiDouble
) -> None:
    user = await link(await make_user(language="ru"), OLGA)
    update = message_dict(OLGA, "/lang en")
    first = await webhook.post("/telegram/webhook", json=update, headers=_headers())
    again = await webhook.post("/telegram/webhook", json=update, headers=_headers())
    assert (first.status_code, again.status_code) == (200, 200)
    assert telegram_api.texts(OLGA.id) == ["Done: the bot now speaks English."]
    assert await AuditEntry.filter(entity_id=user.id, field="language").count() == 1
    other = message_dict(OLGA, "/help")
    assert (await webhook.post("/telegram/webhook", json=other, headers=_headers())).is_success
    assert len(telegram_api.texts(OLGA.id)) == 2, "a new update id is a new update"


async def test_a_failed_update_is_not_repeated_on_redelivery(
    webhook_app: FastAPI, webhook: httpx.AsyncClient, telegram_api: TelegramApiDouble
) -> None:
    await link(await make_user(), OLGA)

    async def broken(message: Message) -> None:
        raise RuntimeError("bug")

    webhook_app.state.telegram.dispatcher.message.register(broken)
    update = message_dict(OLGA, "/help")
    for _ in range(2):
        answer = await webhook.post("/telegram/webhook", json=update, headers=_headers())
        assert answer.status_code == 200
    assert len(telegram_api.texts(OLGA.id)) == 1, "one apology"


async def test_a_body_that_is_no_update_is_400(
    webhook: httpx.AsyncClient, telegram_api: TelegramApiDouble
) -> None:
    for body in (b"not json", b'{"message": {}}', b"[]"):
        answer = await webhook.post("/telegram/webhook", content=body, headers=_headers())
        assert answer.status_code == 400
    assert telegram_api.calls == []


async def test_the_route_exists_only_in_webhook_mode_and_outside_the_contract(
    client: httpx.AsyncClient, webhook_app: FastAPI
) -> None:
    assert (await client.post("/telegram/webhook", json={})).status_code == 404
    assert "/telegram/webhook" not in webhook_app.openapi()["paths"]


async def test_start_up_registers_the_menus_and_the_webhook(
    db: str, telegram_api: TelegramApiDouble
) -> None:
    settings = webhook_settings(db, telegram_api, public_url="https://crm.example.ru/")
    runtime = TelegramRuntime(settings)
    try:
        await runtime.start_webhook()
    finally:
        await runtime.close()
    (registered,) = telegram_api.calls_of("setWebhook")
    assert registered.params["url"] == "https://crm.example.ru/telegram/webhook"
    assert registered.params["secret_token"] == SECRET
    assert set(registered.params["allowed_updates"]) == {"message", "callback_query"}
    assert len(telegram_api.calls_of("setMyCommands")) == 3


@pytest.mark.parametrize(("register", "registered"), [(True, 1), (False, 0)])
async def test_only_the_first_api_process_registers_the_webhook(
    db: str, telegram_api: TelegramApiDouble, register: bool, registered: int
) -> None:
    """`voronka run`'s other API processes serve the route but leave the registration to the
    first (ADR 0027)."""
    settings = webhook_settings(db, telegram_api, public_url="https://crm.example.ru")
    app = create_app(settings, manage_database=False, register_webhook=register)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            answer = await client.post("/telegram/webhook", json={}, headers=_headers("wrong"))
    assert answer.status_code == 401
    assert len(telegram_api.calls_of("setWebhook")) == registered


async def test_start_up_without_a_public_url_or_with_telegram_down_still_serves(
    db: str, telegram_api: TelegramApiDouble
) -> None:
    runtime = TelegramRuntime(webhook_settings(db, telegram_api))
    try:
        await runtime.start_webhook()
        telegram_api.fail("setMyCommands", 401, "Unauthorized")
        await runtime.start_webhook()  # logged, not raised
    finally:
        await runtime.close()
    assert telegram_api.calls_of("setWebhook") == []
