"""One-time Telegram deep links that bind a Telegram account to a Voronka user."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from models.actor import Actor
from models.audit import audit_changes
from models.clock import now
from models.entities import TelegramLinkToken, User
from models.errors import DomainError, Forbidden, NotFound
from models.ops.sessions import token_digest
from models.text import Text

LINK_TTL = timedelta(minutes=10)
# Client subscription links (models/ops/subscriptions.py) start with it; staff links never do.
SUBSCRIPTION_PREFIX = "sub_"


class TelegramNotConfigured(DomainError):
    code = "telegram_not_configured"
    message = Text(
        "Telegram-бот не настроен: задайте VORONKA_TELEGRAM_BOT_USERNAME.",
        "The Telegram bot is not configured: set VORONKA_TELEGRAM_BOT_USERNAME.",
    )


@dataclass(frozen=True, slots=True)
class TelegramLink:
    url: str
    token: str
    expires_at: datetime


async def issue_telegram_link(actor: Actor, bot_username: str | None) -> TelegramLink:
    """A deep link `https://t.me/<bot>?start=<token>`: 192 random bits, valid ten minutes."""
    if not bot_username:
        raise TelegramNotConfigured()
    assert actor.user_id is not None
    token = secrets.token_urlsafe(24)  # [A-Za-z0-9_-]{32}: what Telegram's start parameter allows
    while token.startswith(SUBSCRIPTION_PREFIX):
        token = secrets.token_urlsafe(24)
    expires_at = now() + LINK_TTL
    await TelegramLinkToken.create(
        user_id=actor.user_id, token_hash=token_digest(token), expires_at=expires_at
    )
    return TelegramLink(f"https://t.me/{bot_username}?start={token}", token, expires_at)


async def consume_telegram_link(token: str, telegram_user_id: int) -> User | None:
    """Bind the Telegram account to the link's user, once. None for an unknown, expired or used
    token, or a deactivated user. A Telegram account linked to someone else moves to this user."""
    at = now()
    record = await TelegramLinkToken.get_or_none(token_hash=token_digest(token))
    if record is None:
        return None
    claimed = await TelegramLinkToken.filter(
        id=record.id, consumed_at__isnull=True, expires_at__gt=at
    ).update(consumed_at=at)
    if claimed != 1:
        return None
    user = await User.get_or_none(id=record.user_id, is_active=True)
    if user is None:
        return None
    previous = await User.get_or_none(telegram_user_id=telegram_user_id)
    system = Actor.system()
    if previous is not None and previous.id != user.id:
        await User.filter(id=previous.id).update(telegram_user_id=None, updated_at=at)
        await audit_changes(
            system, "user", previous.id, {"telegram_user_id": (telegram_user_id, None)}
        )
    if user.telegram_user_id != telegram_user_id:
        await User.filter(id=user.id).update(telegram_user_id=telegram_user_id, updated_at=at)
        await audit_changes(
            system, "user", user.id, {"telegram_user_id": (user.telegram_user_id, telegram_user_id)}
        )
        user.telegram_user_id = telegram_user_id
    return user


async def unlink_telegram(actor: Actor, user_id: int | None = None) -> bool:
    """Disconnect a Telegram account: the actor's own, or (admins) `user_id`'s. The bot then
    treats that Telegram user as a stranger. Audited; False when nothing was linked."""
    target = actor.user_id if user_id is None else user_id
    if target != actor.user_id and not actor.sees_everything:
        raise Forbidden()
    user = await User.get_or_none(id=target)
    if user is None:
        raise NotFound("user", target)
    if user.telegram_user_id is None:
        return False
    await User.filter(id=user.id).update(telegram_user_id=None, updated_at=now())
    await audit_changes(actor, "user", user.id, {"telegram_user_id": (user.telegram_user_id, None)})
    return True


async def purge_expired_links() -> int:
    """Forget link tokens past their expiry, used or not: `consume_telegram_link` refuses them
    from then on, and the binding a used one made is in the audit log (`user`,
    `telegram_user_id`)."""
    return await TelegramLinkToken.filter(expires_at__lte=now()).delete()
