"""The Telegram side of a user account: who writes to the bot, who blocked it, and which
webhook updates were already acted on."""

from __future__ import annotations

from datetime import timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from models.clock import now
from models.entities import TelegramUpdate, User

# Telegram stops redelivering an unacknowledged update after 24 hours: twice that is plenty.
UPDATE_RETENTION = timedelta(days=2)


async def telegram_account(telegram_user_id: int) -> User | None:
    """The user linked to this Telegram account (with its office), active or not.

    An active user who writes to the bot can be reached again: a mark left by a refused message
    is cleared here.
    """
    user = await User.get_or_none(telegram_user_id=telegram_user_id).select_related("office")
    if user is not None and user.is_active and user.telegram_blocked_at is not None:
        await User.filter(id=user.id).update(telegram_blocked_at=None)
        user.telegram_blocked_at = None
    return user


async def mark_telegram_unreachable(telegram_user_id: int) -> bool:
    """Telegram refused a message to this account (the user blocked the bot, or deleted their
    account). Marks the linked user, if any, unless already marked. True when a user was
    marked."""
    marked = await User.filter(
        telegram_user_id=telegram_user_id, telegram_blocked_at__isnull=True
    ).update(telegram_blocked_at=now())
    return marked > 0


async def claim_telegram_update(bot_id: int, update_id: int) -> bool:
    """Record that this update is being acted on. False when it was already: a redelivery.

    Runs in a savepoint of the caller's transaction, so the claim commits with the update's
    effects, and a refused insert does not abort the caller's transaction on PostgreSQL.
    """
    try:
        async with in_transaction():
            await TelegramUpdate.create(bot_id=bot_id, update_id=update_id, received_at=now())
    except IntegrityError:
        return False
    return True


async def purge_telegram_updates() -> int:
    """Forget processed updates older than `UPDATE_RETENTION`."""
    return await TelegramUpdate.filter(received_at__lt=now() - UPDATE_RETENTION).delete()
