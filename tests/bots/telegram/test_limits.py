"""Telegram's limits: pacing per chat and overall, 429 retried after retry_after, a blocked user
marked and not retried. Virtual time (the harness's clock) unless a test says otherwise."""

from __future__ import annotations

import asyncio
import itertools
import secrets
import time
from collections.abc import Callable

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramForbiddenError, TelegramRetryAfter, TelegramServerError
from redis.asyncio import Redis

from bots.telegram.limits import SlidingWindow, TelegramLimits
from models.entities import User
from schedulers.channels.pacing import RedisPacer
from tests.bots.conftest import TOKEN, BotHarness, link
from tests.doubles.telegram_api import TelegramApiDouble
from tests.doubles.telegram_updates import Person
from tests.factories import make_user

OLGA = Person(8001, "Ольга")
REDIS_URL = "redis://127.0.0.1:6379/0"


def test_a_sliding_window_hands_out_moments_in_order() -> None:
    window = SlidingWindow(limit=3, period=1.0)
    assert [window.reserve(0.0) for _ in range(5)] == [0.0, 0.0, 0.0, 1.0, 1.0]
    assert window.reserve(0.5) == 1.0, "never before an earlier reservation"
    assert window.reserve(5.0) == 5.0
    single = SlidingWindow(limit=1, period=1.0)
    assert [single.reserve(10.0) for _ in range(3)] == [10.0, 11.0, 12.0]


async def test_one_chat_gets_at_most_one_message_a_second(telegram: BotHarness) -> None:
    start = telegram.time.now
    for n in range(3):
        await telegram.bot.send_message(OLGA.id, f"card {n}")
    await telegram.bot.send_message(-100200, "group 1")
    await telegram.bot.send_message(-100200, "group 2")
    await telegram.bot.send_message(9002, "another chat")
    stamps = [(call.chat_id, call.at - start) for call in telegram.api.calls]
    assert stamps == [
        (OLGA.id, 0.0),
        (OLGA.id, 1.0),
        (OLGA.id, 2.0),
        (-100200, 2.0),
        (-100200, 2.0),  # a group allows 20 a minute
        (9002, 2.0),  # another chat does not wait behind the first
    ]


async def test_a_group_gets_at_most_twenty_messages_a_minute(telegram: BotHarness) -> None:
    start = telegram.time.now
    for n in range(21):
        await telegram.bot.send_message(-100300, f"m{n}")
    assert telegram.api.calls[-1].at - start == 60.0
    assert telegram.api.calls[-2].at - start == 0.0


async def test_pacing_holds_across_concurrent_senders_in_real_time() -> None:
    period = 0.2
    limits = TelegramLimits(per_chat=(1, period), overall=(3, period))
    async with TelegramApiDouble() as api:
        session = AiohttpSession(api=TelegramAPIServer.from_base(api.url))
        session.middleware(limits)
        async with Bot(TOKEN, session=session) as bot:
            started = time.monotonic()
            await asyncio.gather(
                *(bot.send_message(1, f"one {n}") for n in range(3)),
                *(bot.send_message(chat, "hello") for chat in (2, 3, 4, 5)),
            )
    one = [c.at - started for c in api.calls if c.chat_id == 1]
    others = sorted(c.at - started for c in api.calls if c.chat_id != 1)
    slack = 0.05  # loopback delivery jitter
    assert all(b - a >= period - slack for a, b in itertools.pairwise(one))
    assert others[0] < one[1], "other chats are not held up behind chat 1's queue"
    stamps = sorted(c.at for c in api.calls)
    for n in range(len(stamps) - 3):
        assert stamps[n + 3] - stamps[n] >= period - slack, "no more than 3 in any period"


async def _two_processes_send(api: TelegramApiDouble, make: Callable[[], TelegramLimits]) -> None:
    """Two processes of one bot (two sessions, each with its own limits) send 30 messages each
    to different chats at once."""

    async def process(first_chat: int) -> None:
        session = AiohttpSession(api=TelegramAPIServer.from_base(api.url))
        session.middleware(make())
        async with Bot(TOKEN, session=session) as bot:
            await asyncio.gather(
                *(bot.send_message(first_chat + n, "notice") for n in range(30)),
                return_exceptions=True,
            )

    await asyncio.gather(process(10_000), process(20_000))


async def test_processes_share_the_bots_limits_through_redis() -> None:
    prefix = f"voronka:test:tg:{secrets.token_hex(4)}:"
    redis = Redis.from_url(REDIS_URL)
    pacers: list[RedisPacer] = []

    def shared() -> TelegramLimits:
        pacers.append(RedisPacer(REDIS_URL, prefix=prefix))
        return TelegramLimits(shared=pacers[-1])

    try:
        async with TelegramApiDouble() as api:
            api.enforce_limits(per_second=30)
            started = time.monotonic()
            await _two_processes_send(api, shared)
            took = time.monotonic() - started
        assert len(api.sent()) == 60
        assert api.refused_by_limits <= 1, "at most one arrival pushed over by jitter"
        assert took >= 59 / 30, "sixty sends at thirty a second, together"
        async with TelegramApiDouble() as alone:
            alone.enforce_limits(per_second=30)
            await _two_processes_send(alone, TelegramLimits)
        assert alone.refused_by_limits > 0, "each process on its own sends too fast together"
    finally:
        for pacer in pacers:
            await pacer.close()
        keys = [key async for key in redis.scan_iter(f"{prefix}*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()


async def test_a_429_is_retried_after_retry_after(telegram: BotHarness) -> None:
    await link(await make_user(), OLGA)
    telegram.api.rate_limit("sendMessage", retry_after=5, times=2)
    before = telegram.time.now
    await telegram.send(OLGA, "/help")
    calls = telegram.api.calls_of("sendMessage")
    assert [c.status for c in calls] == [429, 429, 200]
    assert calls[1].at - calls[0].at >= 5
    assert calls[2].at - calls[1].at >= 5
    assert telegram.time.now - before >= 10
    assert telegram.texts(OLGA)[0].startswith("Команды Voronka")


async def test_a_429_pauses_every_chat_for_retry_after(telegram: BotHarness) -> None:
    telegram.api.rate_limit("sendMessage", retry_after=4)
    start = telegram.time.now
    await telegram.bot.send_message(1, "a")
    await telegram.bot.send_message(2, "b")
    assert [(c.chat_id, c.status, c.at - start) for c in telegram.api.calls] == [
        (1, 429, 0.0),
        (1, 200, 4.0),
        (2, 200, 4.0),
    ]


async def test_retries_are_bounded(telegram: BotHarness) -> None:
    telegram.api.rate_limit("sendMessage", retry_after=1, times=5)
    with pytest.raises(TelegramRetryAfter):
        await telegram.bot.send_message(1, "a")
    assert len(telegram.api.calls) == telegram.limits.max_attempts == 3
    telegram.api.reset()
    telegram.api.rate_limit("getMe", retry_after=3600)
    with pytest.raises(TelegramRetryAfter):
        await telegram.bot.get_me()  # longer than anyone should wait for an answer: not retried
    assert len(telegram.api.calls) == 1


async def test_a_blocked_user_is_marked_not_retried_and_unmarked_on_return(
    telegram: BotHarness,
) -> None:
    user = await link(await make_user(), OLGA)
    telegram.api.block(OLGA.id)
    await telegram.send(OLGA, "/help")
    assert [c.status for c in telegram.api.calls] == [403]
    assert (await User.get(id=user.id)).telegram_blocked_at is not None
    telegram.api.unblock(OLGA.id)
    await telegram.send(OLGA, "/help")
    assert (await User.get(id=user.id)).telegram_blocked_at is None
    assert len(telegram.texts(OLGA)) == 1


async def test_a_403_to_a_group_marks_nobody(telegram: BotHarness) -> None:
    await link(await make_user(), OLGA)
    telegram.api.fail("sendMessage", 403, "Forbidden: bot was kicked from the group chat")
    with pytest.raises(TelegramForbiddenError):
        await telegram.bot.send_message(-100500, "hi")
    assert await User.filter(telegram_blocked_at__isnull=False).count() == 0


async def test_server_errors_are_retried_only_where_repeating_is_harmless(
    telegram: BotHarness,
) -> None:
    telegram.api.server_error("sendMessage")
    with pytest.raises(TelegramServerError):
        await telegram.bot.send_message(1, "a")  # may have been delivered: not sent twice
    telegram.api.server_error("setMyCommands", times=2)
    assert await telegram.bot.set_my_commands([])
    statuses = [(c.method, c.status) for c in telegram.api.calls]
    assert statuses == [
        ("sendMessage", 502),
        ("setMyCommands", 502),
        ("setMyCommands", 502),
        ("setMyCommands", 200),
    ]
    assert telegram.time.sleeps[-2:] == [0.5, 1.0]


async def test_a_failing_mark_does_not_hide_the_403(
    telegram_api: TelegramApiDouble, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken_mark(chat_id: int) -> None:
        raise RuntimeError("database is down")

    session = AiohttpSession(api=TelegramAPIServer.from_base(telegram_api.url))
    session.middleware(TelegramLimits(on_unreachable=broken_mark))
    telegram_api.block(5)
    async with Bot(TOKEN, session=session) as bot:
        with pytest.raises(TelegramForbiddenError):
            await bot.send_message(5, "hi")
    assert "could not mark Telegram chat 5" in caplog.text
