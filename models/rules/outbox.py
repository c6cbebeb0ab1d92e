"""Outbox rules without I/O: the order channels are tried in, and when to try again."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import timedelta

from models.entities.enums import Channel, MessageState

# The order a contact without preferences is reached in. Push reaches a client only through the
# company's client app, and subscribing there names push in the contact's preferences
# (models/ops/push_subscriptions.py): it is tried only when they name it.
DEFAULT_ORDER: tuple[Channel, ...] = (
    Channel.TELEGRAM,
    Channel.WHATSAPP,
    Channel.SMS,
    Channel.EMAIL,
)

BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=6)
# A retry_after longer than this is the channel's limit, not a short pause: wait at most this.
RETRY_AFTER_CAP = timedelta(hours=24)


def channel_order(preferred: Sequence[str]) -> list[Channel]:
    """The contact's preferred channels in their order (unknown names skipped), or the default."""
    order: list[Channel] = []
    for name in preferred:
        try:
            channel = Channel(name)
        except ValueError:
            continue
        if channel not in order:
            order.append(channel)
    return order or list(DEFAULT_ORDER)


def channels_after(order: Sequence[Channel], failed: Sequence[Channel]) -> list[Channel]:
    """The channels still to try after those that `failed`, in the contact's order."""
    if not failed:
        return list(order)
    last = max((order.index(c) for c in failed if c in order), default=-1)
    return [c for c in order[last + 1 :] if c not in failed]


def backoff(attempt: int, rng: random.Random | None = None) -> timedelta:
    """The wait before attempt `attempt + 1`: 30 s doubling per attempt up to 6 h, with jitter
    (a random 50–100 % of it), so that messages failed together do not retry together."""
    exponent = min(max(attempt, 1) - 1, 20)
    ceiling = min(BACKOFF_BASE * (2**exponent), BACKOFF_CAP)
    share = (rng or random).uniform(0.5, 1.0)
    return ceiling * share


def retry_delay(
    attempt: int, retry_after: float | None, rng: random.Random | None = None
) -> timedelta:
    """Wait what the channel asked for (Telegram's and Twilio's retry_after), else back off."""
    if retry_after is not None and retry_after >= 0:
        return min(timedelta(seconds=retry_after), RETRY_AFTER_CAP)
    return backoff(attempt, rng)


# A provider's delivery receipts (Twilio's MessageStatus) that move a sent message on; the others
# (queued, accepted, sending, sent…) say nothing the outbox does not know.
PROVIDER_STATES: dict[str, MessageState] = {
    "delivered": MessageState.DELIVERED,
    "read": MessageState.READ,
    "failed": MessageState.FAILED,
    "undelivered": MessageState.FAILED,
}
# The states a receipt may move a message from: only forwards, so a receipt repeated or late
# (read before delivered) changes nothing.
RECEIPT_FROM: dict[MessageState, tuple[MessageState, ...]] = {
    MessageState.DELIVERED: (MessageState.SENT,),
    MessageState.READ: (MessageState.SENT, MessageState.DELIVERED),
    MessageState.FAILED: (MessageState.SENT,),
}


def receipt_state(status: str) -> MessageState | None:
    """The state a provider's status moves a message to, or None when it moves nothing."""
    return PROVIDER_STATES.get(status.strip().lower())
