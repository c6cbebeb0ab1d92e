"""Per-user request quotas: RateLimit headers on every answer, 429 with Retry-After past it.

Every API process counts against the same quota, whether the counter lives in Redis or in the
file shared by the processes of one `voronka run`.
"""

from __future__ import annotations

import asyncio
import logging
import select
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from api.rate_limit import (
    MemoryRateLimiter,
    Quota,
    RedisRateLimiter,
    SharedFileRateLimiter,
    build_rate_limiter,
)
from api.shared_counters import SLOTS
from models.settings import Settings
from tests.api.v1.conftest import PASSWORD, headers_for
from tests.factories import make_user

REDIS_URL = "redis://127.0.0.1:6379/0"
MID_WINDOW = 1_800_000_030.0  # 30 s into a minute: no window boundary during the test


async def test_quota_is_counted_per_user_and_enforced(db: str) -> None:
    app = create_app(Settings(database_url=db), manage_database=False)
    app.state.rate_limiter = MemoryRateLimiter(3, clock=lambda: MID_WINDOW)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://voronka.test") as client:
        headers = await headers_for(client, await make_user(password=PASSWORD))
        answers = [await client.get("/v1/me", headers=headers) for _ in range(4)]
        other = await headers_for(client, await make_user(password=PASSWORD))
        theirs = await client.get("/v1/me", headers=other)
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers["ratelimit-remaining"] for a in answers] == ["2", "1", "0", "0"]
    assert answers[0].headers["ratelimit-limit"] == "3"
    refused = answers[3]
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["code"] == "rate_limited"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert theirs.status_code == 200, "another user has a quota of their own"


async def test_redis_quota_is_shared_between_processes() -> None:
    subject = f"user:test-{uuid.uuid4().hex}"
    first = RedisRateLimiter(REDIS_URL, 3, clock=lambda: MID_WINDOW)
    second = RedisRateLimiter(REDIS_URL, 3, clock=lambda: MID_WINDOW)
    try:
        quotas = [await first.hit(subject), await second.hit(subject), await first.hit(subject)]
        fourth = await second.hit(subject)
    finally:
        await first.close()
        await second.close()
    assert [q.remaining for q in quotas] == [2, 1, 0]
    assert fourth.exceeded


async def test_an_unreachable_redis_lets_requests_through() -> None:
    port = _closed_port()
    limiter = RedisRateLimiter(f"redis://127.0.0.1:{port}/0", 3, clock=lambda: MID_WINDOW)
    try:
        quota = await limiter.hit("user:1")
    finally:
        await limiter.close()
    assert not quota.exceeded


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_two_apps_sharing_a_counter_file_enforce_one_quota(db: str, tmp_path: Path) -> None:
    counters = tmp_path / "rate-limits"
    settings = Settings(database_url=db)
    apps = [create_app(settings, manage_database=False) for _ in range(2)]
    for app in apps:  # a fixed clock: no window boundary during the test
        app.state.rate_limiter = SharedFileRateLimiter(counters, 3, clock=lambda: MID_WINDOW)
    first, second = (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://voronka.test")
        for app in apps
    )
    try:
        async with first, second:
            headers = await headers_for(first, await make_user(password=PASSWORD))
            answers = [
                await client.get("/v1/me", headers=headers)
                for client in (first, second, first, second)
            ]
    finally:
        for app in apps:
            await app.state.rate_limiter.close()
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers["ratelimit-remaining"] for a in answers] == ["2", "1", "0", "0"]
    refused = answers[3]
    assert refused.headers["ratelimit-limit"] == "3"
    assert refused.headers["ratelimit-reset"] == refused.headers["retry-after"] == "30"
    assert refused.json()["code"] == "rate_limited"


PROCESS_LIMIT_S = 60


def test_two_processes_hammering_one_subject_lose_no_hit(tmp_path: Path) -> None:
    counters = tmp_path / "rate-limits"  # missing: whichever process comes first makes it
    per_minute, hits = 30_000, 20_000
    probes = [_start_probe(counters, "user:7", per_minute, hits) for _ in range(2)]
    try:
        deadline = time.monotonic() + PROCESS_LIMIT_S
        for probe in probes:  # both have the file open before either starts counting
            assert _line_from(probe, deadline) == "ready", probe.communicate(timeout=5)[0]
        for probe in probes:
            assert probe.stdin is not None
            probe.stdin.write("go\n")
            probe.stdin.flush()
        outputs = [probe.communicate(timeout=PROCESS_LIMIT_S)[0] for probe in probes]
    finally:
        for probe in probes:
            probe.kill()
            probe.wait()
    assert [probe.returncode for probe in probes] == [0, 0], outputs
    allowed = sum(int(output.split()[-1]) for output in outputs)
    assert allowed == per_minute, "the quota is enforced across the processes, exactly"
    assert counters.stat().st_size == SLOTS * 16
    after = asyncio.run(_hit_once(SharedFileRateLimiter(counters, per_minute, clock=_mid_window)))
    assert after.remaining == per_minute - 2 * hits - 1, "every hit of both processes counted"


def _mid_window() -> float:
    return MID_WINDOW


async def _hit_once(limiter: SharedFileRateLimiter, subject: str = "user:7") -> Quota:
    try:
        return await limiter.hit(subject)
    finally:
        await limiter.close()


def _line_from(probe: subprocess.Popen[str], deadline: float) -> str:
    assert probe.stdout is not None
    readable, _, _ = select.select([probe.stdout], [], [], max(deadline - time.monotonic(), 0))
    assert readable, f"no answer within {PROCESS_LIMIT_S} s"
    return probe.stdout.readline().strip()


def _start_probe(path: Path, subject: str, per_minute: int, hits: int) -> subprocess.Popen[str]:
    arguments = [str(path), subject, str(per_minute), str(hits), str(MID_WINDOW)]
    return subprocess.Popen(
        [sys.executable, "-m", "tests.api.probe_rate_limit", *arguments],
        cwd=Path(__file__).resolve().parents[2],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


async def test_a_new_minute_starts_the_shared_count_from_zero(tmp_path: Path) -> None:
    now = [MID_WINDOW]
    limiter = SharedFileRateLimiter(tmp_path / "rate-limits", 2, clock=lambda: now[0])
    try:
        this_minute = [await limiter.hit("user:7") for _ in range(3)]
        now[0] += 60
        next_minute = await limiter.hit("user:7")
    finally:
        await limiter.close()
    assert [q.remaining for q in this_minute] == [1, 0, -1]
    assert this_minute[2].exceeded
    assert next_minute.remaining == 1
    assert next_minute.reset_seconds == 30


async def test_a_full_table_still_limits_in_process_and_warns_once_a_minute(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    counters, now = tmp_path / "rate-limits", [MID_WINDOW]
    limiter = SharedFileRateLimiter(counters, 2, clock=lambda: now[0], slots=4)
    other = SharedFileRateLimiter(counters, 2, clock=lambda: now[0], slots=4)
    try:
        for number in range(4):
            await limiter.hit(f"client-ip:10.0.0.{number}")
        with caplog.at_level(logging.WARNING, logger="api.rate_limit"):
            overflowed = [await limiter.hit("user:7") for _ in range(3)]
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
        now[0] += 60  # the other subjects' slots are stale now: user:7 gets one in the file
        await limiter.hit("user:7")
        seen_by_other = await other.hit("user:7")
    finally:
        await limiter.close()
        await other.close()
    assert [q.remaining for q in overflowed] == [1, 0, -1], "counted in this process instead"
    assert len(warnings) == 1
    assert "is full" in warnings[0].getMessage()
    assert seen_by_other.remaining == 0, "back in the shared file in the next minute"


async def test_a_later_process_keeps_the_counts_and_an_empty_file_is_grown(
    tmp_path: Path,
) -> None:
    counters = tmp_path / "rate-limits"
    counters.touch()  # as a parent process may make it before starting its workers
    first = SharedFileRateLimiter(counters, 5, clock=_mid_window)
    try:
        await first.hit("user:7")
        await first.hit("user:7")
        later = await _hit_once(SharedFileRateLimiter(counters, 5, clock=_mid_window))
    finally:
        await first.close()
    assert counters.stat().st_size == SLOTS * 16
    assert later.remaining == 2


async def test_the_limiter_is_redis_then_the_shared_file_then_memory(
    db: str, tmp_path: Path
) -> None:
    counters = tmp_path / "rate-limits"
    redis = build_rate_limiter(REDIS_URL, 5, counters)
    shared = build_rate_limiter(None, 5, counters)
    memory = build_rate_limiter(None, 5)
    settings = Settings(database_url=db, rate_limit_per_minute=7, client_rate_limit_per_minute=9)
    app = create_app(settings, manage_database=False, shared_counters=counters)
    limiters = [app.state.rate_limiter, app.state.client_rate_limiter]
    try:
        assert isinstance(redis, RedisRateLimiter)
        assert isinstance(shared, SharedFileRateLimiter)
        assert isinstance(memory, MemoryRateLimiter)
        assert all(isinstance(limiter, SharedFileRateLimiter) for limiter in limiters)
        quotas = [await limiter.hit("user:7") for limiter in limiters]
    finally:
        for limiter in [redis, shared, memory, *limiters]:
            await limiter.close()
    assert [q.limit for q in quotas] == [7, 9], "each quota with its own limit"
    assert [q.remaining for q in quotas] == [6, 7], "both count in the one file"
