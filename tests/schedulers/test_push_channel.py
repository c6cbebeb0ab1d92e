"""The relay delivers push through firebase-admin to the loopback FCM double, signing in with a
service account at the double's token endpoint: title, text and data arrive at the device's
token, off the event loop; an unregistered or invalid token fails for good, its devices are
forgotten and the next channel gets the message; 429, 5xx, timeouts and a failed sign-in wait
and retry."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from models.channels import Outcome, Outgoing, configured_channels, use_channels
from models.clock import FrozenClock
from models.entities import (
    Channel,
    ChannelIdentity,
    Contact,
    Device,
    MessageState,
    OutboundMessage,
    Template,
)
from models.ops.outbox import enqueue_for_contact
from models.ops.templates import install_default_templates
from models.settings import Settings, SettingsError, load_settings
from schedulers.channels import build_channels
from schedulers.channels.email import EmailChannel, SmtpConfig
from schedulers.channels.push import PushChannel, data_of
from schedulers.outbox import Relay
from tests.doubles.fcm_api import PROJECT_ID, FcmApiDouble, fcm_token
from tests.doubles.smtp import SmtpDouble, smtp_server
from tests.factories import T0, Org, make_contact

pytestmark = pytest.mark.usefixtures("db")
TOKEN = fcm_token(1)


@pytest.fixture
async def templates(db: str) -> None:
    await install_default_templates()
    # The shipped push template, as an admin would edit it.
    await Template.filter(purpose="thanks_after_call", channel=Channel.PUSH, language="ru").update(
        subject="Спасибо, {{ client.first_name }}!", body="Спасибо за разговор."
    )


@pytest.fixture
def channels_on() -> Iterator[None]:
    with use_channels({Channel.PUSH, Channel.EMAIL}):
        yield


@pytest.fixture
async def fcm() -> AsyncIterator[FcmApiDouble]:
    async with FcmApiDouble() as double:
        yield double


def push_settings(fcm: FcmApiDouble, tmp_path: Path, **values: Any) -> Settings:
    values.setdefault("fcm_timeout", 0.5)
    return load_settings(
        fcm_credentials=fcm.service_account(tmp_path / "service-account.json"),
        fcm_base_url=fcm.url,
        **values,
    )


@pytest.fixture
async def push(fcm: FcmApiDouble, tmp_path: Path) -> AsyncIterator[PushChannel]:
    channel = build_channels(push_settings(fcm, tmp_path))[Channel.PUSH]
    assert isinstance(channel, PushChannel)
    try:
        yield channel
    finally:
        await channel.close()


@pytest.fixture
async def smtp() -> AsyncIterator[SmtpDouble]:
    async with smtp_server() as server:
        yield server


def _relay(push: PushChannel, smtp: SmtpDouble | None = None) -> Relay:
    channels: dict[Channel, Any] = {Channel.PUSH: push}
    if smtp is not None:
        config = SmtpConfig("127.0.0.1", smtp.port, "crm@voronka.test", tls="none", timeout=5)
        channels[Channel.EMAIL] = EmailChannel(config)
    return Relay(channels)


async def _client(org: Org, token: str = TOKEN) -> Contact:
    contact = await make_contact(
        org.manager,
        first_name="Иван",
        emails=["ivan@example.test"],
        preferred_channels=["push", "email"],
        force=True,
    )
    await ChannelIdentity.create(contact_id=contact.id, channel=Channel.PUSH, address=token)
    return contact


async def _thanks(contact: Contact, key: str = "thanks:1") -> OutboundMessage:
    message = await enqueue_for_contact(contact, "thanks_after_call", dedup_key=key)
    assert message is not None
    assert (message.state, message.channel) == (MessageState.QUEUED, Channel.PUSH), message
    return message


@pytest.mark.usefixtures("channels_on", "templates", "clock")
async def test_a_push_reaches_the_devices_token_with_title_text_and_data(
    org: Org, fcm: FcmApiDouble, push: PushChannel
) -> None:
    message = await _thanks(await _client(org))
    await OutboundMessage.filter(id=message.id).update(
        payload={**message.payload, "data": {"order_id": 1024, "screen": "order", "new": True}}
    )
    assert await _relay(push).drain() == {"sent": 1}
    second = await _thanks(await _client(org, fcm_token(2)), "thanks:2")
    assert await _relay(push).drain() == {"sent": 1}
    [call] = fcm.sent(TOKEN)
    assert call.project == PROJECT_ID
    assert call.message == {
        "token": TOKEN,
        "notification": {"title": "Спасибо, Иван!", "body": "Спасибо за разговор."},
        "data": {"order_id": "1024", "screen": "order", "new": "true"},
    }
    await message.refresh_from_db()
    assert (message.state, message.provider_message_id) == (MessageState.SENT, call.name)
    await second.refresh_from_db()
    assert second.state == MessageState.SENT
    assert fcm.token_requests == 1, "one sign-in serves many sends"


@pytest.mark.usefixtures("channels_on", "templates", "clock")
async def test_an_unregistered_token_is_forgotten_and_email_goes_instead(
    org: Org, fcm: FcmApiDouble, push: PushChannel, smtp: SmtpDouble
) -> None:
    contact = await _client(org)
    other = fcm_token(9)
    await Device.create(user_id=org.manager.user_id, fcm_token=TOKEN, platform="android")
    await Device.create(user_id=org.manager.user_id, fcm_token=other, platform="ios")
    message = await _thanks(contact)
    fcm.unregister(TOKEN)
    outbox = _relay(push, smtp)
    assert await outbox.drain() == {"failed": 1}
    await message.refresh_from_db()
    assert (message.state, message.next_attempt_at) == (MessageState.FAILED, None)
    assert message.last_error.startswith(
        "permanent: FCM UNREGISTERED: Requested entity was not found.; fell back to message "
    )
    assert await Device.filter(fcm_token=TOKEN).count() == 0
    assert await Device.filter(fcm_token=other).count() == 1, "only that token goes"
    assert await ChannelIdentity.filter(contact_id=contact.id, channel=Channel.PUSH).count() == 0
    assert await outbox.drain() == {"sent": 1}
    follow = await OutboundMessage.get(fallback_of_id=message.id)
    assert (follow.channel, follow.state) == (Channel.EMAIL, MessageState.SENT)
    assert len(smtp.mailbox.received) == 1


@pytest.mark.usefixtures("clock")
async def test_a_users_device_with_an_invalid_token_is_deleted(
    org: Org, fcm: FcmApiDouble, push: PushChannel
) -> None:
    # A notification for a user, written by the domain with the device's token as the address.
    await Device.create(user_id=org.manager.user_id, fcm_token="not-a-token", platform="web")
    message = await OutboundMessage.create(
        channel=Channel.PUSH,
        user_id=org.manager.user_id,
        address="not-a-token",
        subject="Новая задача",
        body="Позвонить клиенту",
        dedup_key="task:1:assigned",
        next_attempt_at=T0,
    )
    assert await _relay(push).drain() == {"failed": 1}
    await message.refresh_from_db()
    assert message.last_error == (
        "permanent: FCM INVALID_ARGUMENT: The registration token is not a valid FCM "
        "registration token"
    )
    assert await Device.filter(user_id=org.manager.user_id).count() == 0


@pytest.mark.usefixtures("channels_on", "templates", "clock")
async def test_a_bad_data_payload_fails_without_a_call_and_keeps_the_device(
    org: Org, fcm: FcmApiDouble, push: PushChannel
) -> None:
    contact = await _client(org)
    message = await _thanks(contact)
    await OutboundMessage.filter(id=message.id).update(
        payload={**message.payload, "data": {"google.c.a": "1"}}
    )
    assert await _relay(push).drain() == {"failed": 1}
    await message.refresh_from_db()
    assert message.last_error.startswith("permanent: data: 'google.c.a' is reserved by FCM")
    assert fcm.calls == []
    assert await ChannelIdentity.filter(contact_id=contact.id, channel=Channel.PUSH).count() == 1


@pytest.mark.usefixtures("channels_on", "templates")
async def test_a_429_waits_its_retry_after_and_5xx_retry(
    org: Org, fcm: FcmApiDouble, push: PushChannel, clock: FrozenClock
) -> None:
    message = await _thanks(await _client(org))
    outbox = _relay(push)
    fcm.rate_limit(retry_after=20)
    assert await outbox.drain() == {"failed": 1}
    await message.refresh_from_db()
    assert message.last_error == "will retry: FCM 429: Quota exceeded for this project."
    assert message.next_attempt_at == clock.now() + timedelta(seconds=20)
    assert len(fcm.calls) == 1, "the 429 is waited out by the outbox, not in a thread"

    clock.advance(timedelta(seconds=20))
    fcm.server_error(status=502)
    assert await outbox.drain() == {"failed": 1}
    await message.refresh_from_db()
    assert message.last_error == "will retry: FCM UNKNOWN: The service is unavailable."
    assert message.next_attempt_at is not None

    clock.advance(message.next_attempt_at - clock.now())
    fcm.server_error(status=503)  # tried again at once, within the same attempt
    assert await outbox.drain() == {"sent": 1}
    await message.refresh_from_db()
    assert (message.state, message.attempts) == (MessageState.SENT, 3)
    assert [call.status for call in fcm.calls] == [429, 502, 503, 200]


@pytest.mark.usefixtures("channels_on", "templates", "clock")
async def test_a_send_that_times_out_is_a_retry_and_the_loop_keeps_running(
    org: Org, fcm: FcmApiDouble, push: PushChannel
) -> None:
    message = await _thanks(await _client(org))
    fcm.stall(seconds=1.5)
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.02)
            ticks += 1

    ticker = asyncio.create_task(tick())
    try:
        assert await _relay(push).drain() == {"failed": 1}
    finally:
        ticker.cancel()
    assert ticks >= 10, "the blocking send ran off the event loop"
    await message.refresh_from_db()
    assert message.next_attempt_at is not None
    assert message.last_error.startswith("will retry: FCM UNAVAILABLE: ")
    assert "Read timed out" in message.last_error


@pytest.mark.usefixtures("channels_on", "templates", "clock")
async def test_a_refused_sign_in_is_a_retry(org: Org, fcm: FcmApiDouble, tmp_path: Path) -> None:
    message = await _thanks(await _client(org))
    settings = push_settings(fcm, tmp_path)
    assert settings.fcm_credentials is not None
    # The same account with a key the token endpoint does not know.
    info = json.loads(settings.fcm_credentials.read_text())
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    info["private_key"] = stranger.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    settings.fcm_credentials.write_text(json.dumps(info))
    channel = build_channels(settings)[Channel.PUSH]
    try:
        assert await _relay(channel).drain() == {"failed": 1}  # type: ignore[arg-type]
    finally:
        await channel.close()
    await message.refresh_from_db()
    assert message.next_attempt_at is not None
    assert message.last_error.startswith("will retry: FCM sign-in failed: RefreshError: ")
    assert fcm.calls == []


async def test_messages_without_a_token_or_text_fail_without_a_call(
    fcm: FcmApiDouble, push: PushChannel
) -> None:
    for address, subject, body, error in (
        (" ", "Заказ", "Готов", "no device token"),
        (TOKEN, "", " ", "the message text is empty"),
    ):
        outgoing = Outgoing(1, Channel.PUSH, address, subject, body, "", "ru")
        result = await push.deliver(outgoing)
        assert (result.outcome, result.error) == (Outcome.PERMANENT, error)
        assert not result.forget_address
    assert fcm.calls == []
    assert data_of({}) is None
    assert data_of({"data": {"n": 1, "on": False}}) == {"n": "1", "on": "false"}


def test_push_is_offered_only_with_credentials(fcm: FcmApiDouble, tmp_path: Path) -> None:
    assert Channel.PUSH not in configured_channels(load_settings())
    assert Channel.PUSH not in build_channels(load_settings())
    assert Channel.PUSH in configured_channels(push_settings(fcm, tmp_path))


@pytest.mark.parametrize(
    ("content", "line"),
    [
        (None, "VORONKA_FCM_CREDENTIALS: no such file"),
        ("{not json", "VORONKA_FCM_CREDENTIALS: "),
        ('{"type": "authorized_user"}', "VORONKA_FCM_CREDENTIALS: a service account JSON"),
        (
            '{"type": "service_account", "project_id": "p"}',
            "VORONKA_FCM_CREDENTIALS: the service account JSON lacks private_key, client_email,"
            " token_uri",
        ),
    ],
)
def test_bad_credentials_are_one_line(tmp_path: Path, content: str | None, line: str) -> None:
    path = tmp_path / "service-account.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(SettingsError) as caught:
        load_settings(fcm_credentials=path)
    assert str(caught.value).startswith(line)


def test_a_key_google_auth_cannot_read_stops_start_up_with_one_line(
    fcm: FcmApiDouble, tmp_path: Path
) -> None:
    settings = push_settings(fcm, tmp_path)
    assert settings.fcm_credentials is not None
    info = json.loads(settings.fcm_credentials.read_text())
    info["private_key"] = "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n"
    settings.fcm_credentials.write_text(json.dumps(info))
    with pytest.raises(SettingsError) as caught:
        build_channels(settings)
    assert str(caught.value).startswith("VORONKA_FCM_CREDENTIALS: ")
    assert "\n" not in str(caught.value).strip()
