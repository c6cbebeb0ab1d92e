"""Notices to staff: reminders, escalations, alerts and offers reach a user in Telegram (with
buttons) and as a push to each of their devices, through the same outbox as client messages.

`notify_user` writes the rows in the caller's transaction, one per channel and device, under
dedup keys derived from the caller's key, so a job that runs twice notifies once. A user reached
by no channel (no linked Telegram, no device, or those channels not configured) gets nothing
written, and the caller learns it from the empty result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any

from tortoise import connections

from models.channels import enabled_channels
from models.clock import now
from models.db import dialect
from models.entities import (
    Channel,
    ConsentPurpose,
    Device,
    MessageState,
    OutboundMessage,
    User,
)
from models.ops.outbox import DEDUP_KEY_LIMIT, insert_message
from models.text import Text

# The longest caller key that still leaves room for the channel and device suffix.
NOTICE_KEY_LIMIT = DEDUP_KEY_LIMIT - 32


@dataclass(frozen=True, slots=True)
class Button:
    """An inline button of the Telegram notice: the bot's handler for `callback_data`
    re-checks the presser's rights, as for every callback."""

    text: Text
    callback_data: str


@dataclass(frozen=True, slots=True)
class Notice:
    """What a user is told. `body` is plain text (escaped for Telegram's HTML here). `data`
    travels with the push for the app to open the right screen (FCM data values are strings)."""

    purpose: str
    title: Text
    body: Text
    buttons: tuple[tuple[Button, ...], ...] = ()
    data: dict[str, str] = field(default_factory=dict)

    def telegram_html(self, language: str) -> str:
        return f"<b>{escape(self.title.get(language))}</b>\n{escape(self.body.get(language))}"

    def telegram_buttons(self, language: str) -> list[list[dict[str, str]]]:
        return [
            [{"text": b.text.get(language), "callback_data": b.callback_data} for b in row]
            for row in self.buttons
        ]


def _rows(
    user: User, notice: Notice, dedup_key: str, devices: list[Device]
) -> list[dict[str, Any]]:
    """The outbox rows of one notice: Telegram when linked, a push per device, by what is on."""
    if not dedup_key or len(dedup_key) > NOTICE_KEY_LIMIT:
        raise ValueError(f"a notice key is 1 to {NOTICE_KEY_LIMIT} characters")
    enabled = enabled_channels()
    language = user.language
    base: dict[str, Any] = {
        "user_id": user.id,
        "purpose": notice.purpose,
        "language": language,
        "subject": notice.title.get(language),
        "state": MessageState.QUEUED,
        "next_attempt_at": now(),
    }
    rows: list[dict[str, Any]] = []
    if (
        Channel.TELEGRAM in enabled
        and user.telegram_user_id is not None
        and user.telegram_blocked_at is None
    ):
        rows.append(
            {
                **base,
                "channel": Channel.TELEGRAM,
                "address": str(user.telegram_user_id),
                "body": notice.telegram_html(language),
                "text_body": notice.body.get(language),
                "payload": {"buttons": notice.telegram_buttons(language)} if notice.buttons else {},
                "dedup_key": f"{dedup_key}:telegram",
            }
        )
    if Channel.PUSH in enabled:
        for device in devices:
            rows.append(
                {
                    **base,
                    "channel": Channel.PUSH,
                    "address": device.fcm_token,
                    "body": notice.body.get(language),
                    "text_body": notice.body.get(language),
                    "payload": {"data": dict(notice.data)},
                    "dedup_key": f"{dedup_key}:push:{device.id}",
                }
            )
    return rows


async def notify_user(user: User, notice: Notice, *, dedup_key: str) -> list[OutboundMessage]:
    """Queue `notice` for `user` in Telegram and as a push to each device; returns the rows
    (written now or earlier under the same key), none when the user is unreachable."""
    devices = []
    if Channel.PUSH in enabled_channels():
        devices = await Device.filter(user_id=user.id).order_by("id")
    return [await insert_message(row) for row in _rows(user, notice, dedup_key, devices)]


async def notify_users(notices: Sequence[tuple[User, Notice, str]]) -> int:
    """Many notices at once (the clock's bursts): `(user, notice, dedup key)` each, the same as
    `notify_user` for each but in a few statements. Keys written before (or concurrently) are
    skipped by the database. Returns how many rows were offered."""
    devices: dict[int, list[Device]] = {}
    if Channel.PUSH in enabled_channels():
        user_ids = {user.id for user, _, _ in notices}
        for device in await Device.filter(user_id__in=user_ids).order_by("id"):
            devices.setdefault(device.user_id, []).append(device)
    rows = [
        row
        for user, notice, key in notices
        for row in _rows(user, notice, key, devices.get(user.id, []))
    ]
    if not rows:
        return 0
    await _insert_rows(rows)
    return len(rows)


# Every column a notice sets, and the defaults of the others that are not null. A model object
# per row cost more than the database's own work in a burst (bench/scheduler.py): the rows go
# in as one parameterised INSERT, each value converted by its field as Tortoise would.
_DEFAULTS: dict[str, Any] = {
    "consent_purpose": ConsentPurpose.SERVICE,
    "attempts": 0,
    "last_error": "",
}


async def _insert_rows(rows: list[dict[str, Any]]) -> None:
    stamp = now()
    names = [*rows[0], *_DEFAULTS, "created_at"]
    fields = OutboundMessage._meta.fields_map
    marks = ", ".join("?" for _ in names)
    if dialect() == "postgres":
        marks = ", ".join(f"${n}" for n in range(1, len(names) + 1))
    columns = ", ".join(fields[name].source_field or name for name in names)
    # No lookup of the keys first: on a table growing by thousands of rows a second, before
    # PostgreSQL has analysed it, that lookup was planned as a scan and made a burst quadratic.
    sql = (
        f"INSERT INTO outbound_message ({columns}) VALUES ({marks}) "
        "ON CONFLICT (dedup_key) DO NOTHING"
    )
    values = [
        [
            fields[name].to_db_value(value, OutboundMessage)
            for name, value in (*row.items(), *_DEFAULTS.items(), ("created_at", stamp))
        ]
        for row in rows
    ]
    await connections.get("default").execute_many(sql, values)
