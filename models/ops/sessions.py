"""Signing in: passwords, sessions with rotating refresh tokens, access tokens, throttling.

Rejections that must leave a trace (a failed password, a re-used refresh token) are returned as
`Rejected` rather than raised, so the edge commits the trace and then reports the error.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from functools import cache, lru_cache
from types import MappingProxyType
from typing import Any

import jwt

from models.actor import ACTOR_COLUMNS, Actor, actor_from_row
from models.clock import now
from models.entities import LoginFailure, PersonalAccessToken, RefreshToken, Session, User
from models.errors import DomainError, NotAuthenticated, TooManyAttempts
from models.passwords import hash_password, verify_password
from models.queries.rows import fetch
from models.rules.emails import InvalidEmail, normalize_email
from models.rules.phones import InvalidPhone, normalize_phone

ACCESS_TTL = timedelta(minutes=15)
REFRESH_TTL = timedelta(days=30)
FAILURE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_LOGIN = 5
MAX_FAILURES_PER_ADDRESS = 20
_ALGORITHM = "HS256"


@cache
def _dummy_hash() -> str:
    """Verified when the login is unknown, so a miss costs as long as a wrong password."""
    return hash_password(secrets.token_hex(16))


@dataclass(frozen=True, slots=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    expires_in: int
    session_id: str


@dataclass(frozen=True, slots=True)
class Rejected:
    error: DomainError


@dataclass(frozen=True, slots=True)
class Authenticated:
    actor: Actor
    session_id: str | None


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _login_key(login: str) -> str:
    text = login.strip()
    try:
        return f"login:{normalize_email(text)}" if "@" in text else f"login:{normalize_phone(text)}"
    except (InvalidEmail, InvalidPhone):
        return f"login:{text.lower()}"


async def find_user(login: str) -> User | None:
    """The user whose email or phone (in any format) is `login`, with their office."""
    text = login.strip()
    try:
        if "@" in text:
            found = User.get_or_none(email=normalize_email(text))
        else:
            found = User.get_or_none(phone=normalize_phone(text))
    except (InvalidEmail, InvalidPhone):
        return None
    return await found.select_related("office")


async def _throttled(key: str, limit: int) -> int | None:
    """Seconds until `key` may try again, or None when it is under its limit."""
    since = now() - FAILURE_WINDOW
    recent = LoginFailure.filter(key=key, at__gte=since)
    if await recent.count() < limit:
        return None
    oldest = await recent.order_by("at").first()
    assert oldest is not None
    return max(1, int((oldest.at + FAILURE_WINDOW - now()).total_seconds()) + 1)


def _access_token(user_id: int, session_id: str, secret: str) -> str:
    issued = now()
    claims = {
        "sub": str(user_id),
        "sid": session_id,
        "iat": int(issued.timestamp()),
        "exp": int((issued + ACCESS_TTL).timestamp()),
        "typ": "access",
    }
    return jwt.encode(claims, secret, algorithm=_ALGORITHM)


async def _issue(session: Session, secret: str) -> IssuedTokens:
    refresh = secrets.token_urlsafe(32)
    await RefreshToken.create(
        session_id=session.id, token_hash=token_digest(refresh), expires_at=now() + REFRESH_TTL
    )
    return IssuedTokens(
        access_token=_access_token(session.user_id, session.id, secret),
        refresh_token=refresh,
        expires_in=int(ACCESS_TTL.total_seconds()),
        session_id=session.id,
    )


@dataclass(frozen=True, slots=True)
class CredentialCheck:
    """The outcome of checking a login and password, before anything is written."""

    login_key: str
    address_key: str
    user_id: int | None
    throttled_for: int | None = None


async def check_credentials(login: str, password: str, *, address: str) -> CredentialCheck:
    """Read-only half of signing in: throttling and the password hash.

    Verifying an argon2 hash takes tens of milliseconds of CPU. Done here, outside any
    transaction, it does not hold SQLite's write lock (and so every other writer) meanwhile.
    """
    login_key, address_key = _login_key(login), f"address:{address}"
    for key, limit in (
        (login_key, MAX_FAILURES_PER_LOGIN),
        (address_key, MAX_FAILURES_PER_ADDRESS),
    ):
        wait = await _throttled(key, limit)
        if wait is not None:
            return CredentialCheck(login_key, address_key, None, throttled_for=wait)
    user = await find_user(login)
    stored_hash = user.password_hash if user and user.password_hash else _dummy_hash()
    valid = await asyncio.to_thread(verify_password, password, stored_hash)
    signed = user is not None and user.is_active and bool(user.password_hash) and valid
    return CredentialCheck(login_key, address_key, user.id if signed and user else None)


async def sign_in(
    check: CredentialCheck, *, user_agent: str, secret: str
) -> IssuedTokens | Rejected:
    """Writing half of signing in, in the caller's transaction: a session and its tokens, or
    the failure that counts towards throttling."""
    if check.throttled_for is not None:
        return Rejected(TooManyAttempts(check.throttled_for))
    user = None
    if check.user_id is not None:
        user = await User.get_or_none(id=check.user_id, is_active=True)
    if user is None:
        await LoginFailure.bulk_create(
            [LoginFailure(key=check.login_key), LoginFailure(key=check.address_key)]
        )
        return Rejected(NotAuthenticated())
    await LoginFailure.filter(key=check.login_key).delete()
    session = await Session.create(
        id=uuid.uuid4().hex, user_id=user.id, user_agent=user_agent[:255]
    )
    return await _issue(session, secret)


async def refresh_session(refresh_token: str, *, secret: str) -> IssuedTokens | Rejected:
    """Rotate a refresh token.

    Presenting one that was already rotated ends its whole session: either the client or a thief
    holds a copy, and the server cannot tell which.
    """
    record = await RefreshToken.get_or_none(token_hash=token_digest(refresh_token)).select_related(
        "session__user"
    )
    if record is None or record.expires_at <= now():
        return Rejected(NotAuthenticated())
    session = record.session
    if record.used_at is not None:
        if session.revoked_at is None:
            await Session.filter(id=session.id).update(revoked_at=now())
        return Rejected(NotAuthenticated())
    if session.revoked_at is not None or not session.user.is_active:
        return Rejected(NotAuthenticated())
    claimed = await RefreshToken.filter(id=record.id, used_at__isnull=True).update(used_at=now())
    if claimed != 1:  # a concurrent refresh won the race with the same token
        return Rejected(NotAuthenticated())
    await Session.filter(id=session.id).update(last_used_at=now())
    return await _issue(session, secret)


async def sign_out(session_id: str) -> None:
    await Session.filter(id=session_id, revoked_at__isnull=True).update(revoked_at=now())


@lru_cache(maxsize=4096)
def _signed_claims(token: str, secret: str) -> MappingProxyType[str, Any] | None:
    """The claims of a token signed with `secret`, or None. Cached: a phone sends the same
    access token with every request for its lifetime, and checking the signature each time was
    a visible share of the API's CPU. Expiry and the session are checked on every request."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[_ALGORITHM],
            options={"require": ["exp", "sub", "sid"], "verify_exp": False, "verify_iat": False},
        )
    except jwt.PyJWTError:
        return None
    return MappingProxyType(claims)


async def authenticate_access(token: str, *, secret: str) -> Authenticated:
    claims = _signed_claims(token, secret)
    if claims is None:
        raise NotAuthenticated()
    # Expiry is checked against the domain clock, like every other time rule.
    expired = not isinstance(claims["exp"], int) or claims["exp"] <= now().timestamp()
    if claims.get("typ") != "access" or expired:
        raise NotAuthenticated()
    actor = await _session_actor(str(claims["sid"]))
    if actor is None or str(actor.user_id) != claims["sub"]:
        raise NotAuthenticated()
    return Authenticated(actor, str(claims["sid"]))


_SESSION_ACTOR = f"""
    SELECT {ACTOR_COLUMNS}
    FROM auth_session s
    JOIN app_user u ON u.id = s.user_id
    JOIN office o ON o.id = u.office_id
    WHERE s.id = ? AND s.revoked_at IS NULL AND u.is_active
"""


async def _session_actor(session_id: str) -> Actor | None:
    """The actor of a live session of an active user, in one statement: it runs on every
    authenticated request, where building it through the ORM cost a tenth of the CPU time."""
    rows = await fetch(_SESSION_ACTOR, [session_id])
    return actor_from_row(rows[0]) if rows else None


async def revoke_all_sign_ins(user_id: int) -> None:
    """End every session and personal access token of a user at once."""
    stamp = now()
    await Session.filter(user_id=user_id, revoked_at__isnull=True).update(revoked_at=stamp)
    await PersonalAccessToken.filter(user_id=user_id, revoked_at__isnull=True).update(
        revoked_at=stamp
    )


async def purge_stale_sign_in_data() -> int:
    """Forget failures older than the throttling window and refresh tokens past their expiry."""
    at = now()
    failures = await LoginFailure.filter(at__lt=at - FAILURE_WINDOW).delete()
    tokens = await RefreshToken.filter(expires_at__lt=at).delete()
    return failures + tokens
