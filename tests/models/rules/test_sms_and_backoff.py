"""SMS segments (GSM-7 vs UCS-2), the order channels are tried in, and retry delays."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from models.entities import Channel
from models.rules.outbox import (
    BACKOFF_CAP,
    DEFAULT_ORDER,
    backoff,
    channel_order,
    channels_after,
    retry_delay,
)
from models.rules.sms import sms_length


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("", "gsm7", 0, 0),
        ("a" * 160, "gsm7", 160, 1),
        ("a" * 161, "gsm7", 161, 2),
        ("a" * 306, "gsm7", 306, 2),
        ("a" * 307, "gsm7", 307, 3),
        ("{}" * 80, "gsm7", 320, 3),  # extension characters count twice
        ("Я" * 70, "ucs2", 70, 1),  # Cyrillic is UCS-2: 70 in one SMS
        ("Я" * 71, "ucs2", 71, 2),  # then 67 per segment
        ("Я" * 134, "ucs2", 134, 2),
        ("Я" * 135, "ucs2", 135, 3),
        ("a" * 69 + "😀", "ucs2", 71, 2),  # an emoji is two UTF-16 units
        ("Заказ № A-1 отправлен", "ucs2", 21, 1),
    ],
)
def test_segments(text: str, encoding: str, units: int, segments: int) -> None:
    length = sms_length(text)
    assert (length.encoding, length.units, length.segments) == (encoding, units, segments)


def test_a_contact_without_preferences_goes_the_default_way() -> None:
    assert channel_order([]) == list(DEFAULT_ORDER)
    assert DEFAULT_ORDER == (Channel.TELEGRAM, Channel.WHATSAPP, Channel.SMS, Channel.EMAIL)
    assert channel_order(["email", "pigeon", "sms", "email"]) == [Channel.EMAIL, Channel.SMS]


def test_the_next_channels_come_after_those_tried() -> None:
    order = list(DEFAULT_ORDER)
    assert channels_after(order, []) == order
    assert channels_after(order, [Channel.WHATSAPP]) == [Channel.SMS, Channel.EMAIL]
    assert channels_after(order, [Channel.EMAIL]) == []


def test_backoff_grows_with_jitter_up_to_a_cap() -> None:
    rng = random.Random(7)
    delays = [backoff(attempt, rng) for attempt in range(1, 30)]
    assert timedelta(seconds=15) <= delays[0] <= timedelta(seconds=30)
    assert timedelta(seconds=30) <= delays[1] <= timedelta(seconds=60)
    assert all(d <= BACKOFF_CAP for d in delays)
    assert max(delays) > timedelta(hours=2)
    assert len({backoff(3, random.Random(seed)) for seed in range(10)}) > 1, "jittered"


def test_a_channel_retry_after_is_honoured() -> None:
    assert retry_delay(5, 3.0) == timedelta(seconds=3)
    assert retry_delay(1, 10**9) == timedelta(hours=24)
    assert retry_delay(1, None, random.Random(1)) <= timedelta(seconds=30)
