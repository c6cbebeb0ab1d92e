"""Personal access tokens for integrations: shown once, stored as a digest, revocable."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from models.actor import Actor, actor_from
from models.audit import audit_event
from models.clock import now
from models.entities import PersonalAccessToken
from models.errors import FieldErrors, NotAuthenticated, NotFound
from models.ops import fields as f
from models.ops.sessions import Authenticated, token_digest
from models.text import Text

PREFIX = "vrk_pat_"
_LAST_USED_GRANULARITY = timedelta(minutes=5)
_EXPIRY_PAST = Text("Срок должен быть в будущем.", "The expiry must be in the future.")


def looks_like_personal_token(token: str) -> bool:
    return token.startswith(PREFIX)


async def create_personal_token(
    actor: Actor, name: str, expires_at: datetime | None = None
) -> tuple[PersonalAccessToken, str]:
    """The stored token and its plain text, which is never available again."""
    errors = FieldErrors()
    clean_name = f.text_field({"name": name}, "name", 100, errors)
    if not clean_name:
        errors.add("name", "required", f.REQUIRED)
    expiry = f.aware_datetime(expires_at, "expires_at", errors)
    if expiry is not None and expiry <= now():
        errors.add("expires_at", "in_past", _EXPIRY_PAST)
    errors.raise_if_any()
    assert actor.user_id is not None
    plain = PREFIX + secrets.token_urlsafe(32)
    token = await PersonalAccessToken.create(
        user_id=actor.user_id,
        name=clean_name,
        token_hash=token_digest(plain),
        prefix=plain[: len(PREFIX) + 4],
        expires_at=expires_at,
    )
    await audit_event(actor, "personal_token", token.id, "create", clean_name)
    return token, plain


async def list_personal_tokens(actor: Actor) -> list[PersonalAccessToken]:
    return await PersonalAccessToken.filter(
        user_id=actor.user_id, revoked_at__isnull=True
    ).order_by("-created_at")


async def revoke_personal_token(actor: Actor, token_id: int) -> None:
    revoked = await PersonalAccessToken.filter(
        id=token_id, user_id=actor.user_id, revoked_at__isnull=True
    ).update(revoked_at=now())
    if not revoked:
        raise NotFound("personal_token", token_id)
    await audit_event(actor, "personal_token", token_id, "revoke")


async def authenticate_personal_token(token: str) -> Authenticated:
    record = await PersonalAccessToken.get_or_none(
        token_hash=token_digest(token), revoked_at__isnull=True, user__is_active=True
    ).select_related("user__office")
    at = now()
    if record is None or (record.expires_at is not None and record.expires_at <= at):
        raise NotAuthenticated()
    if record.last_used_at is None or at - record.last_used_at > _LAST_USED_GRANULARITY:
        await PersonalAccessToken.filter(id=record.id).update(last_used_at=at)
    return Authenticated(actor_from(record.user, record.user.office), None)
