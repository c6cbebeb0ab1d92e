"""Telegram's limits, kept by a request middleware on the Bot's session.

- **Pacing.** Messages to one chat go at most one per second (20 per minute to a group), and
  at most 30 per second overall, less the jitter margin (`models.channels.PACE_MARGIN`: the
  overall window is 5 % longer, since a 429 pauses every send of the bot). Each limit is a
  sliding window of the start times of the last sends: a send waits until it fits in every
  window. Reservations are handed out in
  order, so one chat's messages keep their order, and a long answer to one chat never holds
  up another chat: the overall window is taken only once the chat's own turn has come.
- **429.** `TelegramRetryAfter` pauses every paced send for `retry_after` seconds (Telegram's
  flood control is per bot), then the request is tried again, `max_attempts` times at most.
- **403.** A refused message to a person (they blocked the bot, or deleted their account) is
  reported to `on_unreachable` with the chat id and is not retried.
- **5xx and network errors** are retried with a short backoff only for methods that do not
  send anything a person sees twice (getFile, setMyCommands…); a send that failed this way may
  have been delivered, so it is not repeated.

Time comes from `clock` and waits from `sleep`, both injectable: tests run in virtual seconds.
The windows live in this process's memory (ADR 0013), unless a `shared` pacer is given: with
`VORONKA_REDIS_URL` set, every process sending as the bot (the API's webhook replies, the
scheduler's outbox) takes its turns from the same buckets in Redis
(`schedulers/channels/pacing.py`, evenly spaced at Telegram's rates less `PACE_MARGIN`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import (
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import GetUpdates, Response, TelegramMethod
from aiogram.methods.base import TelegramType

from models.channels import PACE_MARGIN
from schedulers.channels.pacing import Pacer

log = logging.getLogger(__name__)

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[Any]]
OnUnreachable = Callable[[int], Awaitable[Any]]

# Methods that put something in a chat: paced, and never repeated after an unclear failure.
_SENDING_PREFIXES = ("send", "copy", "forward", "edit")
_NOT_PACED = frozenset({"sendChatAction"})
_PRUNE_EVERY = 1000
# Telegram's overall limit, as the rate of the shared bucket (the pacer keeps PACE_MARGIN).
OVERALL_PER_SECOND = 30.0


def is_sending(method: TelegramMethod[Any]) -> bool:
    name = method.__api_method__
    return name.startswith(_SENDING_PREFIXES) and name not in _NOT_PACED


class SlidingWindow:
    """At most `limit` events in any `period` seconds, reserved in order."""

    __slots__ = ("_times", "period")

    def __init__(self, limit: int, period: float) -> None:
        self._times: deque[float] = deque(maxlen=limit)
        self.period = period

    def reserve(self, at: float) -> float:
        """Take the first free moment at or after `at` and return it."""
        start = at
        if self._times:
            start = max(start, self._times[-1])
            if len(self._times) == self._times.maxlen:
                start = max(start, self._times[0] + self.period)
        self._times.append(start)
        return start

    def idle_since(self, at: float) -> bool:
        return not self._times or self._times[-1] + self.period <= at


class TelegramLimits(BaseRequestMiddleware):
    def __init__(
        self,
        *,
        per_chat: tuple[int, float] = (1, 1.0),
        per_group: tuple[int, float] = (20, 60.0),
        overall: tuple[int, float] = (30, PACE_MARGIN),
        max_attempts: int = 3,
        max_retry_after: float = 60.0,
        on_unreachable: OnUnreachable | None = None,
        shared: Pacer | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.per_chat = per_chat
        self.per_group = per_group
        self.max_attempts = max_attempts
        self.max_retry_after = max_retry_after
        self.on_unreachable = on_unreachable
        self.shared = shared
        self._clock = clock
        self._sleep = sleep
        self._overall = SlidingWindow(*overall)
        self._chats: dict[int | str, SlidingWindow] = {}
        self._paused_until = float("-inf")
        self._reservations = 0

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        sending = is_sending(method)
        chat_id = getattr(method, "chat_id", None)
        attempt = 0
        while True:
            attempt += 1
            if sending and self.shared is not None:
                await self._shared_turn(self.shared, bot.id, chat_id)
            elif sending:
                await self._wait_for_turn(chat_id)
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as error:
                if attempt >= self.max_attempts or error.retry_after > self.max_retry_after:
                    raise
                log.warning(
                    "%s: Telegram asks to wait %s s (attempt %d of %d)",
                    method.__api_method__,
                    error.retry_after,
                    attempt,
                    self.max_attempts,
                )
                self._pause(error.retry_after)
                if not sending:
                    await self._sleep(error.retry_after)
            except TelegramForbiddenError:
                if isinstance(chat_id, int) and chat_id > 0:
                    await self._report_unreachable(chat_id)
                raise
            except (TelegramServerError, TelegramNetworkError):
                if sending or isinstance(method, GetUpdates) or attempt >= self.max_attempts:
                    raise
                await self._sleep(0.5 * 2 ** (attempt - 1))

    async def _report_unreachable(self, chat_id: int) -> None:
        if self.on_unreachable is None:
            return
        try:
            await self.on_unreachable(chat_id)
        except Exception:  # the caller hears about the 403, not about our bookkeeping
            log.exception("could not mark Telegram chat %s as unreachable", chat_id)

    def _pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    async def _wait_until(self, moment: float) -> None:
        delay = moment - self._clock()
        if delay > 0:
            await self._sleep(delay)

    async def _wait_for_turn(self, chat_id: int | str | None) -> None:
        if chat_id is not None:
            window = self._window(chat_id)
            await self._wait_until(window.reserve(max(self._clock(), self._paused_until)))
        await self._wait_until(self._overall.reserve(max(self._clock(), self._paused_until)))

    async def _shared_turn(self, pacer: Pacer, bot_id: int, chat_id: int | str | None) -> None:
        await self._wait_until(self._paused_until)
        if chat_id is not None:
            limit, period = self.per_group if _is_group(chat_id) else self.per_chat
            await self._take(pacer, f"telegram:{bot_id}:chat:{chat_id}", limit / period)
        await self._take(pacer, f"telegram:{bot_id}:all", OVERALL_PER_SECOND)

    async def _take(self, pacer: Pacer, key: str, rate: float) -> None:
        # A turn further away than the pacer waits for is not reserved: wait, then ask again.
        while (wait := await pacer.take(key, rate)) is not None:
            await self._sleep(wait)

    def _window(self, chat_id: int | str) -> SlidingWindow:
        self._reservations += 1
        if self._reservations % _PRUNE_EVERY == 0:
            at = self._clock()
            self._chats = {k: w for k, w in self._chats.items() if not w.idle_since(at)}
        window = self._chats.get(chat_id)
        if window is None:
            window = SlidingWindow(*(self.per_group if _is_group(chat_id) else self.per_chat))
            self._chats[chat_id] = window
        return window


def _is_group(chat_id: int | str) -> bool:
    return isinstance(chat_id, str) or chat_id < 0
