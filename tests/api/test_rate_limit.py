"""Per-user request quotas: RateLimit headers on every answer, 429 with Retry-After past it."""

from __future__ import annotations

import socket
import uuid

import httpx

from api.app import create_app
from api.rate_limit import MemoryRateLimiter, RedisRateLimiter
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
