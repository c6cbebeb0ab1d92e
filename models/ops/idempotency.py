"""Idempotency keys: the first request with a key runs, repeats get its stored response.

A key belongs to one user. The same key with a different request is a client bug; the same key
while the first request still runs is a concurrent duplicate. Keys live for `KEY_TTL`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from tortoise.exceptions import IntegrityError

from models.clock import now
from models.entities import IdempotencyRecord

KEY_TTL = timedelta(hours=24)
# A claim older than this belongs to a request that died with its process: a retry takes it over.
ABANDONED_AFTER = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class Claimed:
    record_id: int


@dataclass(frozen=True, slots=True)
class Replay:
    status_code: int
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True, slots=True)
class KeyReused:
    """The key was used for a different request."""


@dataclass(frozen=True, slots=True)
class InProgress:
    """The first request with this key is still running."""


Outcome = Claimed | Replay | KeyReused | InProgress


async def claim_key(user_id: int, key: str, request_hash: str) -> Outcome:
    at = now()
    await IdempotencyRecord.filter(user_id=user_id, key=key, created_at__lt=at - KEY_TTL).delete()
    try:
        record = await IdempotencyRecord.create(
            user_id=user_id, key=key, request_hash=request_hash, created_at=at
        )
        return Claimed(record.id)
    except IntegrityError:
        pass
    existing = await IdempotencyRecord.get_or_none(user_id=user_id, key=key)
    if existing is None:  # expired and purged between the two statements: try once more
        return await claim_key(user_id, key, request_hash)
    if existing.request_hash != request_hash:
        return KeyReused()
    if existing.status_code is not None:
        return Replay(
            existing.status_code, existing.response_headers, existing.response_body or b""
        )
    if existing.created_at < at - ABANDONED_AFTER:
        taken = await IdempotencyRecord.filter(
            id=existing.id, status_code__isnull=True, created_at=existing.created_at
        ).update(created_at=at)
        if taken:
            return Claimed(existing.id)
    return InProgress()


async def complete_key(
    claim: Claimed, status_code: int, headers: dict[str, str], body: bytes
) -> None:
    await IdempotencyRecord.filter(id=claim.record_id).update(
        status_code=status_code, response_headers=headers, response_body=body
    )


async def release_key(claim: Claimed) -> None:
    """Forget a claim whose request failed on the server, so that a retry runs again."""
    await IdempotencyRecord.filter(id=claim.record_id, status_code__isnull=True).delete()


async def purge_expired_keys() -> int:
    return await IdempotencyRecord.filter(created_at__lt=now() - KEY_TTL).delete()
