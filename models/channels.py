"""The channel Protocol: how the outbox relay hands a message to a channel and hears back.

Adapters (email through aiosmtplib, Telegram through aiogram, WhatsApp and SMS through twilio,
push through firebase-admin) live with the relay in schedulers/channels/ and are called only by
it. The domain knows these types and which channels are configured, never a transport.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from models.entities.enums import Channel
from models.settings import Settings, get_settings


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A claimed message as the channel sees it: a snapshot, not the database row."""

    id: int
    channel: Channel
    address: str
    subject: str
    body: str
    text_body: str
    language: str
    recipient_name: str = ""
    payload: Mapping[str, Any] = field(default_factory=dict)
    attempt: int = 1


# Platforms count a sender's messages as they arrive; we space them as they start. Requests
# reach the platform with jitter (a send delayed on its way, the next one on time), so pacing at
# exactly the limit draws 429s, and a 429 costs more than the margin: every pacer sends 5 % under
# the platform's limit (bench/fanout.py: 5 % and 9 % 429s at the exact limit, under 1 % with it).
PACE_MARGIN = 1.05


class Outcome(StrEnum):
    SENT = "sent"
    RETRY = "retry"
    PERMANENT = "permanent"


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """What a delivery came to. `retry`: a transient failure, try again (after `retry_after`
    seconds when the channel said so). `permanent`: this address will never take it (a bot
    blocked, a number or mailbox that does not exist): no retry, the next channel instead.
    `forget_address`: with a permanent failure, the address itself is gone for good (an FCM
    token the app no longer holds): the outbox forgets it when it records the result.
    `attempted=False` (`deferred`): the channel did not try at all (its own send rate had no
    room soon enough): the message waits `retry_after` queued, and the attempt is not counted."""

    outcome: Outcome
    provider_id: str | None = None
    error: str = ""
    retry_after: float | None = None
    forget_address: bool = False
    attempted: bool = True

    @classmethod
    def sent(cls, provider_id: str | None = None) -> DeliveryResult:
        return cls(Outcome.SENT, provider_id=provider_id)

    @classmethod
    def retry(cls, error: str, retry_after: float | None = None) -> DeliveryResult:
        return cls(Outcome.RETRY, error=error, retry_after=retry_after)

    @classmethod
    def deferred(cls, reason: str, retry_after: float) -> DeliveryResult:
        return cls(Outcome.RETRY, error=reason, retry_after=retry_after, attempted=False)

    @classmethod
    def permanent(cls, error: str, *, forget_address: bool = False) -> DeliveryResult:
        return cls(Outcome.PERMANENT, error=error, forget_address=forget_address)


class ChannelAdapter(Protocol):
    """One channel. `deliver` never raises for a delivery problem: it returns its result. The
    relay treats anything it does raise as a transient failure of that one message."""

    channel: Channel

    async def deliver(self, message: Outgoing) -> DeliveryResult: ...

    async def close(self) -> None:
        """Let go of what the adapter keeps open between messages (the Bot's HTTP session)."""


def configured_channels(settings: Settings) -> frozenset[Channel]:
    """Channels this installation can send through, by its settings. A channel joins the set
    when its adapter exists and its settings are given."""
    channels: set[Channel] = set()
    if settings.smtp_host:
        channels.add(Channel.EMAIL)
    if settings.telegram_token is not None:
        channels.add(Channel.TELEGRAM)
    if settings.twilio_configured and settings.twilio_whatsapp_from:
        channels.add(Channel.WHATSAPP)
    if settings.twilio_configured and (
        settings.twilio_sms_from or settings.twilio_messaging_service_sid
    ):
        channels.add(Channel.SMS)
    if settings.fcm_credentials is not None:
        channels.add(Channel.PUSH)
    return frozenset(channels)


_enabled: ContextVar[frozenset[Channel] | None] = ContextVar("voronka_channels", default=None)


def enabled_channels() -> frozenset[Channel]:
    """The channels messages may be enqueued for: the configured ones, unless overridden."""
    override = _enabled.get()
    return override if override is not None else configured_channels(get_settings())


@contextmanager
def use_channels(channels: frozenset[Channel] | set[Channel]) -> Iterator[None]:
    """Enqueue as if exactly `channels` were configured (tests, and hosts that know better)."""
    token = _enabled.set(frozenset(channels))
    try:
        yield
    finally:
        _enabled.reset(token)
