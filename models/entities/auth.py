"""Sign-in state: sessions with rotating refresh tokens, access tokens, devices, failures."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from models.clock import now

if TYPE_CHECKING:
    from tortoise.fields.relational import ForeignKeyRelation

    from models.entities.org import User


class Session(Model):
    """One sign-in on one device. Its refresh tokens form a family: revoking it ends them all."""

    id = fields.CharField(max_length=32, primary_key=True)
    user: ForeignKeyRelation[User] = fields.ForeignKeyField(
        "voronka.User", related_name="sessions", on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField(default=now)
    last_used_at = fields.DatetimeField(default=now)
    revoked_at = fields.DatetimeField(null=True)
    user_agent = fields.CharField(max_length=255, default="")

    user_id: int

    class Meta:
        table = "auth_session"
        indexes = (("user_id",),)


class RefreshToken(Model):
    """A refresh token, stored as its SHA-256. Used once: refreshing rotates it."""

    id = fields.BigIntField(primary_key=True)
    session: ForeignKeyRelation[Session] = fields.ForeignKeyField(
        "voronka.Session", related_name="refresh_tokens", on_delete=fields.CASCADE
    )
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(default=now)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    session_id: str

    class Meta:
        table = "auth_refresh_token"
        indexes = (("session_id",),)


class PersonalAccessToken(Model):
    """A long-lived token for an integration, stored as its SHA-256."""

    id = fields.IntField(primary_key=True)
    user: ForeignKeyRelation[User] = fields.ForeignKeyField(
        "voronka.User", related_name="access_tokens", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=100)
    token_hash = fields.CharField(max_length=64, unique=True)
    prefix = fields.CharField(max_length=12)
    created_at = fields.DatetimeField(default=now)
    expires_at = fields.DatetimeField(null=True)
    last_used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    user_id: int

    class Meta:
        table = "auth_personal_token"
        indexes = (("user_id",),)


class Device(Model):
    """A phone or browser of a user that receives push notifications through FCM."""

    id = fields.IntField(primary_key=True)
    user: ForeignKeyRelation[User] = fields.ForeignKeyField(
        "voronka.User", related_name="devices", on_delete=fields.CASCADE
    )
    fcm_token = fields.CharField(max_length=512, unique=True)
    platform = fields.CharField(max_length=16)
    name = fields.CharField(max_length=100, default="")
    created_at = fields.DatetimeField(default=now)
    last_seen_at = fields.DatetimeField(default=now)

    user_id: int

    class Meta:
        table = "device"
        indexes = (("user_id",),)


class LoginFailure(Model):
    """A failed sign-in, keyed by login or by client address, for throttling guessers."""

    id = fields.BigIntField(primary_key=True)
    key = fields.CharField(max_length=300)
    at = fields.DatetimeField(default=now)

    class Meta:
        table = "auth_login_failure"
        indexes = (("key", "at"),)


class IdempotencyRecord(Model):
    """The stored outcome of a POST sent with an Idempotency-Key, replayed for repeats.

    `status_code` is null while the first request is still running.
    """

    id = fields.BigIntField(primary_key=True)
    user_id = fields.IntField()
    key = fields.CharField(max_length=255)
    request_hash = fields.CharField(max_length=64)
    status_code = fields.SmallIntField(null=True)
    response_body = fields.BinaryField(null=True)
    response_headers: dict[str, str] = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(default=now, db_index=True)

    class Meta:
        table = "idempotency_record"
        unique_together = (("user_id", "key"),)


class TelegramLinkToken(Model):
    """A one-time token of a Telegram deep link that binds a Telegram account to a user."""

    id = fields.IntField(primary_key=True)
    user: ForeignKeyRelation[User] = fields.ForeignKeyField(
        "voronka.User", related_name="telegram_links", on_delete=fields.CASCADE
    )
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(default=now)
    expires_at = fields.DatetimeField()
    consumed_at = fields.DatetimeField(null=True)

    user_id: int

    class Meta:
        table = "telegram_link_token"
        indexes = (("user_id",),)
