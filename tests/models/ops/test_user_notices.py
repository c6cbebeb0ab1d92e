"""Notices to staff: one Telegram message with buttons and one push per device, once per key,
nothing for a user no channel reaches."""

from __future__ import annotations

import pytest

from models.channels import use_channels
from models.entities import Channel, Device, MessageState, OutboundMessage, User
from models.ops.user_notices import Button, Notice, notify_user
from models.text import Text
from tests.factories import Org

pytestmark = pytest.mark.usefixtures("db")

REMINDER = Notice(
    purpose="task_reminder",
    title=Text("Напоминание", "Reminder"),
    body=Text("Позвонить <Иванову>", "Call <Ivanov>"),
    buttons=((Button(Text("Готово", "Done"), "t:done:1"), Button(Text("+1 ч", "+1 h"), "t:1h:1")),),
    data={"task_id": "1"},
)


async def _user(org: Org, **values: object) -> User:
    assert org.manager.user_id is not None
    await User.filter(id=org.manager.user_id).update(**values)
    return await User.get(id=org.manager.user_id)


async def test_telegram_and_every_device_get_the_notice(org: Org) -> None:
    user = await _user(org, telegram_user_id=555, language="en")
    phone = await Device.create(user_id=user.id, fcm_token="token-phone", platform="android")
    tablet = await Device.create(user_id=user.id, fcm_token="token-tablet", platform="ios")

    with use_channels({Channel.TELEGRAM, Channel.PUSH}):
        messages = await notify_user(user, REMINDER, dedup_key="task:1:remind")

    by_address = {m.address: m for m in messages}
    assert set(by_address) == {"555", phone.fcm_token, tablet.fcm_token}
    telegram = by_address["555"]
    assert telegram.channel == Channel.TELEGRAM
    assert telegram.state == MessageState.QUEUED
    assert telegram.body == "<b>Reminder</b>\nCall &lt;Ivanov&gt;"
    assert telegram.payload == {
        "buttons": [
            [
                {"text": "Done", "callback_data": "t:done:1"},
                {"text": "+1 h", "callback_data": "t:1h:1"},
            ]
        ]
    }
    push = by_address[phone.fcm_token]
    assert (push.channel, push.subject, push.body) == (Channel.PUSH, "Reminder", "Call <Ivanov>")
    assert push.payload == {"data": {"task_id": "1"}}
    assert {m.user_id for m in messages} == {user.id}


async def test_the_same_key_notifies_once(org: Org) -> None:
    user = await _user(org, telegram_user_id=556)
    with use_channels({Channel.TELEGRAM, Channel.PUSH}):
        first = await notify_user(user, REMINDER, dedup_key="task:2:remind")
        again = await notify_user(user, REMINDER, dedup_key="task:2:remind")

    assert [m.id for m in again] == [m.id for m in first]
    assert await OutboundMessage.filter(user_id=user.id).count() == 1
    assert first[0].body.startswith("<b>Напоминание</b>")  # Russian by default


async def test_unreachable_users_get_nothing(org: Org) -> None:
    blocked = await _user(org, telegram_user_id=557, telegram_blocked_at=org.root.created_at)
    await Device.create(user_id=blocked.id, fcm_token="token-x", platform="android")

    with use_channels({Channel.TELEGRAM}):  # push is not configured
        assert await notify_user(blocked, REMINDER, dedup_key="task:3:remind") == []
    with use_channels({Channel.EMAIL}):
        assert await notify_user(blocked, REMINDER, dedup_key="task:4:remind") == []


async def test_a_key_too_long_is_refused(org: Org) -> None:
    user = await _user(org)
    with pytest.raises(ValueError, match="notice key"):
        await notify_user(user, REMINDER, dedup_key="x" * 200)
