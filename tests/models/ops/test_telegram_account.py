"""The Telegram side of an account: blocked marks, processed webhook updates, the language."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tortoise.transactions import in_transaction

from models.clock import FrozenClock
from models.entities import AuditEntry, TelegramUpdate, User
from models.errors import ValidationFailed
from models.ops.profile import set_my_language
from models.ops.telegram_account import (
    claim_telegram_update,
    mark_telegram_unreachable,
    purge_telegram_updates,
    telegram_account,
)
from tests.factories import T0, actor_for, make_user

pytestmark = pytest.mark.usefixtures("db")


async def test_a_refused_message_marks_the_user_until_they_write_again(
    clock: FrozenClock,
) -> None:
    user = await make_user()
    await User.filter(id=user.id).update(telegram_user_id=777)
    assert await mark_telegram_unreachable(777)
    assert not await mark_telegram_unreachable(777), "already marked: the first time stays"
    assert not await mark_telegram_unreachable(888), "nobody is linked to 888"
    assert (await User.get(id=user.id)).telegram_blocked_at == T0
    found = await telegram_account(777)
    assert found is not None
    assert found.id == user.id
    assert found.office.id == user.office_id
    assert found.telegram_blocked_at is None
    assert (await User.get(id=user.id)).telegram_blocked_at is None


async def test_a_deactivated_user_stays_marked() -> None:
    user = await make_user()
    await User.filter(id=user.id).update(telegram_user_id=777, is_active=False)
    await mark_telegram_unreachable(777)
    found = await telegram_account(777)
    assert found is not None
    assert not found.is_active
    assert found.telegram_blocked_at is not None
    assert await telegram_account(778) is None


async def test_an_update_is_claimed_once_per_bot(clock: FrozenClock) -> None:
    async with in_transaction():
        assert await claim_telegram_update(1, 100)
        assert not await claim_telegram_update(1, 100)
        assert await claim_telegram_update(2, 100), "another bot has its own update ids"
        assert await claim_telegram_update(1, 101), "the transaction goes on after a refusal"
    assert await TelegramUpdate.all().count() == 3


async def test_old_claims_are_purged(clock: FrozenClock) -> None:
    await claim_telegram_update(1, 1)
    clock.advance(timedelta(days=2, seconds=1))
    await claim_telegram_update(1, 2)
    assert await purge_telegram_updates() == 1
    assert [u.update_id for u in await TelegramUpdate.all()] == [2]


async def test_the_language_switch_is_audited_and_checked() -> None:
    user = await make_user(language="ru")
    actor = await actor_for(user)
    assert (await set_my_language(actor, "en")).language == "en"
    await set_my_language(actor, "en")
    with pytest.raises(ValidationFailed) as refused:
        await set_my_language(actor, "de")
    assert refused.value.errors[0].field == "language"
    audit = await AuditEntry.filter(entity="user", entity_id=user.id, field="language")
    assert [(a.old_value, a.new_value, a.actor_id) for a in audit] == [("ru", "en", user.id)]
