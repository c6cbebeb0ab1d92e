"""Send rates per sender: token buckets in process memory (on virtual time) and in Redis (shared
by several pacers as by several processes, on Redis's clock), the wait beyond which a message
goes back to the outbox, and the WhatsApp and SMS channels keeping their rates through the relay
against the Twilio double."""

from __future__ import annotations

import asyncio
import itertools
import logging
import secrets
import socket
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from redis.asyncio import Redis

from models.channels import PACE_MARGIN as M
from models.channels import use_channels
from models.clock import FrozenClock
from models.entities import Channel, MessageState, OutboundMessage
from models.ops.outbox import enqueue_for_contact
from models.ops.templates import install_default_templates
from schedulers.channels import build_channels
from schedulers.channels.pacing import MemoryPacer, RedisPacer, build_pacer
from schedulers.channels.sms import SmsChannel
from schedulers.channels.twilio_rest import TwilioConfig
from schedulers.outbox import Relay
from tests.doubles.twilio_api import ACCOUNT_SID, AUTH_TOKEN, TwilioApiDouble, twilio_settings
from tests.factories import Org, make_contact, make_org

REDIS_URL = "redis://127.0.0.1:6379/0"


class Virtual:
    """A monotonic clock that stands still unless moved; sleeps are recorded, not slept."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))


@pytest.fixture
def virtual() -> Virtual:
    return Virtual()


async def test_a_bucket_spaces_its_sends_and_buckets_are_apart(virtual: Virtual) -> None:
    pacer = MemoryPacer(clock=virtual, sleep=virtual.sleep)
    for _ in range(3):
        assert await pacer.take("sms:+15005550006", 1.0) is None
    assert await pacer.take("sms:+15005550007", 1.0) is None
    assert await pacer.take("whatsapp:+14155238886", 10.0) is None
    assert await pacer.take("whatsapp:+14155238886", 10.0) is None
    assert virtual.sleeps == pytest.approx([1.0 * M, 2.0 * M, 0.1 * M]), "only the waits needed"
    virtual.now += 10
    assert await pacer.take("sms:+15005550006", 1.0) is None
    assert virtual.sleeps == pytest.approx([1.0 * M, 2.0 * M, 0.1 * M]), "full again when idle"


async def test_a_burst_goes_at_once_then_the_rate_holds(virtual: Virtual) -> None:
    pacer = MemoryPacer(clock=virtual, sleep=virtual.sleep)
    for _ in range(5):
        assert await pacer.take("k", 2.0, burst=3) is None
    assert virtual.sleeps == pytest.approx([0.5 * M, 1.0 * M])


async def test_a_wait_beyond_the_limit_is_handed_back_and_takes_nothing(virtual: Virtual) -> None:
    pacer = MemoryPacer(max_wait=2.2, clock=virtual, sleep=virtual.sleep)
    assert [await pacer.take("k", 1.0) for _ in range(3)] == [None, None, None]
    assert await pacer.take("k", 1.0) == pytest.approx(3.0 * M)
    assert await pacer.take("k", 1.0) == pytest.approx(3.0 * M), "the refused turn is not kept"
    virtual.now += 1
    assert await pacer.take("k", 1.0) is None
    assert virtual.sleeps == pytest.approx([1.0 * M, 2.0 * M, 3.0 * M - 1])


@pytest.fixture
async def prefix() -> AsyncIterator[str]:
    prefix = f"voronka:test:pace:{secrets.token_hex(4)}:"
    yield prefix
    redis = Redis.from_url(REDIS_URL)
    keys = [key async for key in redis.scan_iter(f"{prefix}*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


async def test_two_processes_share_a_bucket_through_redis(prefix: str) -> None:
    first, second = (RedisPacer(REDIS_URL, prefix=prefix) for _ in range(2))
    stamps: list[float] = []

    async def send(pacer: RedisPacer, n: int) -> None:
        for _ in range(n):
            assert await pacer.take("whatsapp:+14155238886", 5.0) is None
            stamps.append(time.monotonic())

    try:
        started = time.monotonic()
        await asyncio.gather(send(first, 5), send(second, 5))
        elapsed = time.monotonic() - started
    finally:
        await first.close()
        await second.close()
    stamps.sort()
    # 10 sends at 5 a second, evenly spaced: the first at once, the last 1.8 s later. Each
    # pacer alone would have let its 5 go in 0.8 s.
    assert 1.7 <= elapsed <= 2.8, elapsed
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert min(gaps) >= 0.12, gaps  # 0.2 s apart, less the event loop's jitter on a busy box
    assert max(sum(1 for at in stamps if 0 <= at - start < 1.0) for start in stamps) <= 6


async def test_redis_hands_back_a_turn_beyond_the_limit(prefix: str) -> None:
    pacer = RedisPacer(REDIS_URL, prefix=prefix, max_wait=0.5)
    try:
        assert await pacer.take("sms:+15005550006", 1.0) is None
        wait = await pacer.take("sms:+15005550006", 1.0)
        assert wait is not None
        assert 0.8 < wait <= 1.0 * M
        again = await pacer.take("sms:+15005550006", 1.0)
        assert again is not None
        assert again <= wait, "nothing was reserved by the refused turn"
    finally:
        await pacer.close()


async def test_without_redis_each_process_paces_on_its_own(
    caplog: pytest.LogCaptureFixture, virtual: Virtual
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    pacer = RedisPacer(f"redis://127.0.0.1:{port}/0", sleep=virtual.sleep)
    try:
        with caplog.at_level(logging.WARNING, "schedulers.channels.pacing"):
            assert await pacer.take("sms:+15005550006", 1.0) is None
            assert await pacer.take("sms:+15005550006", 1.0) is None
    finally:
        await pacer.close()
    assert len(virtual.sleeps) == 1
    assert 0.9 < virtual.sleeps[0] <= 1.0 * M
    [warning] = caplog.records
    assert warning.getMessage().startswith("send rates unavailable in Redis")
    assert isinstance(build_pacer(None), MemoryPacer)
    shared = build_pacer(REDIS_URL)
    assert isinstance(shared, RedisPacer)
    await shared.close()


# Through the relay


@pytest.fixture
async def twilio() -> AsyncIterator[TwilioApiDouble]:
    async with TwilioApiDouble() as double:
        yield double


async def _enqueue(org: Org, n: int, channel: str) -> None:
    with use_channels({Channel.WHATSAPP, Channel.SMS}):
        for i in range(n):
            contact = await make_contact(
                org.manager, phones=[f"+7916{i:07d}"], preferred_channels=[channel], force=True
            )
            message = await enqueue_for_contact(contact, "thanks_after_call", dedup_key=f"t:{i}")
            assert message is not None
            assert message.state == MessageState.QUEUED


@pytest.mark.usefixtures("clock")
@pytest.mark.parametrize(("channel", "rate", "n"), [("whatsapp", 10.0, 20), ("sms", 5.0, 8)])
async def test_the_relay_keeps_a_senders_rate_and_keeps_up_to_it(
    db: str, twilio: TwilioApiDouble, channel: str, rate: float, n: int
) -> None:
    await install_default_templates()
    await _enqueue(await make_org(), n, channel)
    settings = twilio_settings(twilio.url, sms_rate=rate, whatsapp_rate=rate)
    relay = Relay(build_channels(settings))
    try:
        assert await relay.drain() == {"sent": n}
    finally:
        await relay.close()
    stamps = sorted(call.at for call in twilio.sent())
    assert len(stamps) == n
    span = stamps[-1] - stamps[0]
    achieved = (n - 1) / span
    assert achieved <= rate * 1.05, f"{achieved:.2f}/s over the limit of {rate}/s"
    assert achieved >= rate * 0.8, f"{achieved:.2f}/s does not keep up with {rate}/s"
    window = [at for at in stamps if at - stamps[0] < 1.0]
    assert len(window) <= rate + 2  # the double stamps arrivals: network jitter on top


@pytest.mark.usefixtures("clock")
async def test_a_turn_too_far_away_goes_back_to_the_outbox(
    db: str, twilio: TwilioApiDouble, clock: FrozenClock
) -> None:
    await install_default_templates()
    await _enqueue(await make_org(), 3, "sms")
    config = TwilioConfig(ACCOUNT_SID, AUTH_TOKEN, twilio.url, timeout=5.0)
    sms = SmsChannel(config, sender="+15005550006", rate=1.0, pacer=MemoryPacer(max_wait=0.5))
    relay = Relay({Channel.SMS: sms})
    try:
        assert await relay.drain() == {"sent": 1, "queued": 2}
    finally:
        await relay.close()
    assert len(twilio.calls) == 1
    waiting = await OutboundMessage.filter(state=MessageState.QUEUED)
    assert len(waiting) == 2
    for message in waiting:
        assert message.last_error == "deferred: SMS sender +15005550006 is at its 1/s"
        assert message.attempts == 0, "a send that was not tried is not an attempt"
        assert message.next_attempt_at is not None
        assert clock.now() < message.next_attempt_at <= clock.now() + timedelta(seconds=M)
