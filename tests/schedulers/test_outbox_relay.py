"""The relay delivers email to a real SMTP server on loopback, retries what is temporary, falls
back on what is permanent, buries what never goes, and survives a crash between send and record
with at most one duplicate."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import pytest

from models.channels import DeliveryResult, Outgoing, use_channels
from models.clock import FrozenClock
from models.entities import Channel, Contact, MessageState, OutboundMessage
from models.ops.orders import change_order_status
from models.ops.outbox import SENDING_TIMEOUT, enqueue_for_contact
from schedulers.channels.email import EmailChannel, SmtpConfig
from schedulers.clock import build_scheduler
from schedulers.outbox import JOB_ID, Relay, add_outbox_relay
from tests.doubles.smtp import SmtpDouble, free_port, smtp_server
from tests.factories import Org, make_contact, make_order

pytestmark = pytest.mark.usefixtures("db")
SENDER = "Воронка CRM <crm@voronka.test>"


@pytest.fixture
def channels_on() -> Iterator[None]:
    with use_channels({Channel.EMAIL, Channel.SMS}):
        yield


@pytest.fixture
async def smtp() -> AsyncIterator[SmtpDouble]:
    async with smtp_server() as server:
        yield server


def email_relay(port: int, **options: Any) -> Relay:
    config = SmtpConfig(host="127.0.0.1", port=port, sender=SENDER, tls="none", timeout=5)
    return Relay({Channel.EMAIL: EmailChannel(config)}, **options)


async def _client(org: Org, **values: Any) -> Contact:
    values.setdefault("first_name", "Иван")
    values.setdefault("last_name", "Петров")
    values.setdefault("emails", ["ivan@example.test"])
    values.setdefault("preferred_channels", ["email"])
    return await make_contact(org.manager, **values)


async def _thanks(contact: Contact, key: str = "thanks:1") -> OutboundMessage:
    message = await enqueue_for_contact(contact, "thanks_after_call", dedup_key=key)
    assert message is not None
    assert message.state == MessageState.QUEUED, message
    return message


@pytest.mark.usefixtures("channels_on", "templates", "clock")
async def test_an_order_status_change_lands_at_the_smtp_server(org: Org, smtp: SmtpDouble) -> None:
    contact = await _client(org)
    order = await make_order(org.manager, contact_id=contact.id, number="З-1024", amount="15000")
    await change_order_status(org.manager, order.id, "confirmed", version=None)
    done = await email_relay(smtp.port).drain()
    assert done == {"sent": 1}
    [email] = smtp.mailbox.received
    assert email["Subject"] == "Заказ №\u00a0З-1024 подтверждён"
    assert str(email["From"]) == SENDER
    assert str(email["To"]) == "Иван Петров <ivan@example.test>"
    assert smtp.mailbox.recipients == [["ivan@example.test"]]
    assert email.get_content_type() == "multipart/alternative"
    plain = email.get_body(("plain",))
    html = email.get_body(("html",))
    assert plain is not None
    assert html is not None
    assert "Здравствуйте, Иван!" in plain.get_content()
    assert "15\u00a0000,00 RUB" in plain.get_content()
    assert "<p>Здравствуйте, Иван!</p>" in html.get_content()
    raw = bytes(email)
    assert b"=?utf-8?" in raw.split(b"\n\n", 1)[0], "Cyrillic headers are encoded words"
    message = await OutboundMessage.get(contact_id=contact.id)
    assert message.state == MessageState.SENT
    assert message.provider_message_id == email["Message-ID"]


@pytest.mark.usefixtures("channels_on", "templates")
async def test_smtp_down_is_retried_later_and_then_delivered(
    org: Org, smtp: SmtpDouble, clock: FrozenClock
) -> None:
    message = await _thanks(await _client(org))
    assert await email_relay(free_port()).drain() == {"failed": 1}
    await message.refresh_from_db()
    assert message.state == MessageState.FAILED
    assert message.last_error.startswith("will retry: SMTP unreachable")
    assert message.next_attempt_at is not None
    assert message.next_attempt_at > clock.now()
    relay = email_relay(smtp.port)
    assert await relay.drain() == {}, "not before its time"
    clock.advance(message.next_attempt_at - clock.now())
    assert await relay.drain() == {"sent": 1}
    await message.refresh_from_db()
    assert (message.state, message.attempts) == (MessageState.SENT, 2)
    assert len(smtp.mailbox.received) == 1


@pytest.mark.usefixtures("channels_on", "templates", "clock")
async def test_a_4xx_answer_is_retried(org: Org, smtp: SmtpDouble) -> None:
    message = await _thanks(await _client(org))
    smtp.mailbox.rcpt_reply = "452 4.2.2 Mailbox full, try later"
    assert await email_relay(smtp.port).drain() == {"failed": 1}
    await message.refresh_from_db()
    assert message.next_attempt_at is not None
    assert message.last_error == "will retry: recipient refused: 452 4.2.2 Mailbox full, try later"


@pytest.mark.usefixtures("channels_on", "templates", "clock")
async def test_a_5xx_answer_fails_for_good_and_falls_back(org: Org, smtp: SmtpDouble) -> None:
    contact = await _client(org, phones=["+79161234567"], preferred_channels=["email", "sms"])
    message = await _thanks(contact)
    smtp.mailbox.rcpt_reply = "550 5.1.1 No such user"
    assert await email_relay(smtp.port).drain() == {"failed": 1}
    await message.refresh_from_db()
    assert (message.state, message.next_attempt_at) == (MessageState.FAILED, None)
    assert message.last_error.startswith("permanent: recipient refused: 550 5.1.1 No such user")
    follow = await OutboundMessage.get(fallback_of_id=message.id)
    assert (follow.channel, follow.address, follow.state) == (
        Channel.SMS,
        "+79161234567",
        MessageState.QUEUED,
    )


@pytest.mark.usefixtures("channels_on", "templates")
async def test_exhausted_attempts_go_to_the_dead_letter(org: Org, clock: FrozenClock) -> None:
    message = await _thanks(await _client(org))
    relay = email_relay(free_port(), max_attempts=3)
    for _ in range(3):
        await relay.drain()
        await message.refresh_from_db()
        if message.next_attempt_at is not None:
            clock.advance(message.next_attempt_at - clock.now())
    assert (message.state, message.attempts) == (MessageState.DEAD, 3)
    assert message.last_error.startswith("attempts exhausted: SMTP unreachable")


@pytest.mark.usefixtures("channels_on", "templates")
async def test_a_crash_between_send_and_record_loses_nothing_and_duplicates_once(
    org: Org, smtp: SmtpDouble, clock: FrozenClock
) -> None:
    message = await _thanks(await _client(org))
    smtp.mailbox.hold = asyncio.Event()  # the server has the email but has not said 250 yet
    run = asyncio.create_task(email_relay(smtp.port).drain())
    await asyncio.wait_for(smtp.mailbox.arrived.wait(), 10)
    run.cancel()  # the relay process dies here: sent, not recorded
    with contextlib.suppress(asyncio.CancelledError):
        await run
    smtp.mailbox.hold.set()
    smtp.mailbox.hold = None
    await message.refresh_from_db()
    assert message.state == MessageState.SENDING
    assert len(smtp.mailbox.received) == 1

    relay = email_relay(smtp.port)
    assert await relay.drain() == {}, "a running claim is not taken over"
    clock.advance(SENDING_TIMEOUT)
    assert await relay.drain() == {"sent": 1}
    assert await relay.drain() == {}
    clock.advance(SENDING_TIMEOUT * 3)
    assert await relay.drain() == {}
    await message.refresh_from_db()
    assert (message.state, message.attempts) == (MessageState.SENT, 2)
    assert len(smtp.mailbox.received) == 2, "delivered at least once, at most one duplicate"
    assert smtp.mailbox.received[0]["Subject"] == smtp.mailbox.received[1]["Subject"]


class ExplodingSms:
    """A channel whose library raises instead of answering."""

    channel = Channel.SMS

    async def deliver(self, message: Outgoing) -> DeliveryResult:
        raise RuntimeError("the SMS library broke")


@pytest.mark.usefixtures("channels_on", "templates", "clock")
async def test_one_failing_message_does_not_stop_the_others(org: Org, smtp: SmtpDouble) -> None:
    by_sms = await _thanks(
        await _client(org, emails=[], phones=["+79160000001"], preferred_channels=["sms"]), "a"
    )
    by_email = await _thanks(await _client(org, emails=["olga@example.test"]), "b")
    config = SmtpConfig(host="127.0.0.1", port=smtp.port, sender=SENDER, tls="none", timeout=5)
    relay = Relay({Channel.EMAIL: EmailChannel(config), Channel.SMS: ExplodingSms()})
    assert await relay.drain() == {"sent": 1, "failed": 1}
    await by_sms.refresh_from_db()
    await by_email.refresh_from_db()
    assert by_email.state == MessageState.SENT
    assert by_sms.state == MessageState.FAILED
    assert by_sms.last_error == "will retry: RuntimeError: the SMS library broke"


class StuckSms:
    """A channel that takes its time: each delivery waits until `release`."""

    channel = Channel.SMS

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.started = 0

    async def deliver(self, message: Outgoing) -> DeliveryResult:
        self.started += 1
        await self.release.wait()
        return DeliveryResult.sent()

    async def close(self) -> None:
        self.release.set()


@pytest.mark.usefixtures("channels_on", "templates", "clock")
async def test_a_backlog_on_one_channel_does_not_hold_up_another(
    org: Org, smtp: SmtpDouble
) -> None:
    """Sixty SMS written first, then one email: the email goes while every SMS is still stuck."""
    for n in range(60):
        texted = await _client(
            org, emails=[], phones=[f"+7916000{n:04d}"], preferred_channels=["sms"]
        )
        await _thanks(texted, f"sms:{n}")
    by_email = await _thanks(await _client(org, emails=["olga@example.test"]), "mail")
    sms = StuckSms()
    config = SmtpConfig(host="127.0.0.1", port=smtp.port, sender=SENDER, tls="none", timeout=5)
    relay = Relay({Channel.EMAIL: EmailChannel(config), Channel.SMS: sms}, batch_size=10)

    draining = asyncio.create_task(relay.drain())
    await asyncio.wait_for(smtp.mailbox.arrived.wait(), 10)

    assert sms.started == 4, "the SMS lane is busy with its first deliveries"
    sms.release.set()
    assert await asyncio.wait_for(draining, 30) == {"sent": 61}
    await by_email.refresh_from_db()
    assert by_email.state == MessageState.SENT


@pytest.mark.usefixtures("channels_on", "templates", "clock")
async def test_a_channel_missing_in_this_process_waits(org: Org) -> None:
    message = await _thanks(await _client(org))
    assert await Relay({}).drain() == {"failed": 1}
    await message.refresh_from_db()
    assert message.next_attempt_at is not None
    assert message.last_error == "will retry: email is not configured in this process"


def test_each_lane_is_a_job_with_an_id_and_a_misfire_policy() -> None:
    scheduler = build_scheduler()
    add_outbox_relay(scheduler, Relay({}), 5)
    for channel in Channel:
        job = scheduler.get_job(f"{JOB_ID}.{channel}")
        assert job is not None
        assert job.args == (channel,)
        assert job.coalesce is True
        assert job.max_instances == 1
        assert job.misfire_grace_time >= 60
        assert job.trigger.interval == timedelta(seconds=5)
