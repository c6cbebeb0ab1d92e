"""Clients subscribe to notifications in the company's Telegram bot through a deep link, and in
the company's client app with the same token (push: `models/ops/push_subscriptions.py`).

A manager (API, per contact or per order) gets a `sub_<token>`, valid for `SUBSCRIPTION_TTL`,
and with a bot configured the link `https://t.me/<bot>?start=sub_<token>`, and hands it to the
client (email, SMS, a QR code on the invoice). When a Telegram user who is not staff opens it,
the bot calls `subscribe_telegram_chat`: the chat becomes the contact's Telegram
`ChannelIdentity` (which the outbox picks before anything else), Telegram goes first in the
contact's preferred channels, and the service-notification consent for Telegram is recorded
with the version of the text the bot shows (`CONSENT_TEXT`).

The token is bound to the first chat that opens it: the same chat opening it again (a double
tap, or after /stop) subscribes again while it is valid, any other chat is refused. So the link
is personal without being spoiled by a second tap (ADR 0018). The client app's device is bound
the same way, separately: one token serves one chat and one device (ADR 0024).

`/stop` (`unsubscribe_telegram_chat`) removes the identity, withdraws the Telegram consents and
sends what was still waiting for that chat through the contact's next channel.

Staff deep links (`models/ops/telegram_link.py`) carry a bare token, client links the
`sub_` prefix: the bot tells the two apart without looking in two tables.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.expressions import F

from models.actor import Actor
from models.audit import audit_changes, audit_event
from models.channels import enabled_channels
from models.clock import now
from models.entities import (
    Channel,
    ChannelIdentity,
    Consent,
    ConsentPurpose,
    Contact,
    Order,
    TelegramSubscriptionToken,
)
from models.errors import FieldError, ValidationFailed
from models.ops.consents import give_consent, withdraw_consent
from models.ops.outbox import default_language, reroute_waiting
from models.ops.sessions import token_digest
from models.ops.telegram_link import SUBSCRIPTION_PREFIX, TelegramNotConfigured
from models.scope import get_visible
from models.text import Text

ENTITY = "contact"
SUBSCRIPTION_TTL = timedelta(days=7)
# What the client reads when the subscription is recorded: the consent they give is to this
# text. Change the wording → change the version, so every recorded consent names what was shown.
CONSENT_TEXT_VERSION = "tg-service-1"
CONSENT_TEXT = Text(
    "Уведомления о ваших заказах будут приходить сюда, в Telegram: вы согласились получать в "
    "этом чате служебные сообщения (статусы заказов, напоминания). Реклама — только с "
    "отдельного согласия. Отписаться: /stop",
    "Notifications about your orders will come here, to Telegram: you have agreed to receive "
    "service messages in this chat (order statuses, reminders). Advertising only with a "
    "separate consent. To unsubscribe, send /stop",
)
_NO_CONTACT = Text(
    "У заказа нет контакта: укажите контакт, которого подписать.",
    "The order has no contact: set the contact to subscribe.",
)
# Kept under TelegramNotConfigured's code, which the manager app already branches on.
_NOWHERE_TO_SUBSCRIBE = Text(
    "Подписываться клиентам некуда: задайте VORONKA_TELEGRAM_BOT_USERNAME (Telegram-бот) или "
    "VORONKA_FCM_CREDENTIALS (push в приложении для клиентов).",
    "Clients have nowhere to subscribe: set VORONKA_TELEGRAM_BOT_USERNAME (the Telegram bot) "
    "or VORONKA_FCM_CREDENTIALS (push in the client app).",
)


def is_subscription_token(token: str) -> bool:
    return token.startswith(SUBSCRIPTION_PREFIX)


@dataclass(frozen=True, slots=True)
class SubscriptionLink:
    """A client's subscription token, and where it can be used: `url` is the Telegram deep link
    (None without a bot), `channels` Telegram and/or push (the client app)."""

    token: str
    expires_at: datetime
    url: str | None
    channels: tuple[Channel, ...]


async def issue_subscription(
    actor: Actor,
    bot_username: str | None,
    *,
    contact_id: int | None = None,
    order_id: int | None = None,
) -> SubscriptionLink:
    """A token that subscribes the contact (or the order's contact) in Telegram and in the
    client app: 192 random bits, valid `SUBSCRIPTION_TTL`, bound to the first chat and the
    first device that use it. Refused when neither a bot nor push is configured."""
    order = None
    if order_id is not None:
        order = await get_visible(Order, actor, order_id)
        if order.contact_id is None:
            raise ValidationFailed([FieldError("contact_id", "no_contact", _NO_CONTACT)])
        contact_id = order.contact_id
    assert contact_id is not None, "a contact or an order"
    contact = (
        await get_visible(Contact, actor, contact_id)
        if order is None
        else await Contact.get(id=contact_id)
    )
    channels = tuple(
        channel
        for channel, usable in (
            (Channel.TELEGRAM, bool(bot_username)),
            (Channel.PUSH, Channel.PUSH in enabled_channels()),
        )
        if usable
    )
    if not channels:
        raise TelegramNotConfigured(_NOWHERE_TO_SUBSCRIBE)
    token = SUBSCRIPTION_PREFIX + secrets.token_urlsafe(24)
    expires_at = now() + SUBSCRIPTION_TTL
    record = await TelegramSubscriptionToken.create(
        token_hash=token_digest(token),
        contact_id=contact.id,
        order_id=order.id if order else None,
        created_by_id=actor.user_id,
        expires_at=expires_at,
    )
    detail = f"link {record.id}" + (f" for order {order.id}" if order else "")
    await audit_event(actor, ENTITY, contact.id, "telegram_subscription_link", detail)
    url = f"https://t.me/{bot_username}?start={token}" if bot_username else None
    return SubscriptionLink(token, expires_at, url, channels)


@dataclass(frozen=True, slots=True)
class Subscribed:
    contact: Contact
    order: Order | None
    language: str


async def subscribe_telegram_chat(token: str, chat_id: int) -> Subscribed | None:
    """Subscribe the chat that opened a client link. None for an unknown or expired token, or
    one another chat opened first. The caller makes sure the chat is not staff's."""
    at = now()
    record = await TelegramSubscriptionToken.get_or_none(token_hash=token_digest(token))
    if record is None or record.expires_at <= at:
        return None
    claimed = await TelegramSubscriptionToken.filter(id=record.id, consumed_at__isnull=True).update(
        consumed_at=at, consumed_chat_id=chat_id
    )
    if claimed != 1:
        await record.refresh_from_db()
        if record.consumed_chat_id != chat_id:
            return None
    contact = await Contact.get_or_none(id=record.contact_id)
    if contact is None:
        return None
    order = await Order.get_or_none(id=record.order_id) if record.order_id else None
    await _subscribe(contact, chat_id, record.id)
    return Subscribed(contact, order, contact.language or default_language())


async def purge_expired_subscription_links() -> int:
    """Forget client link tokens past their expiry, used or not: the bound chat and device may
    use a token again only while it is valid, so nothing reads them afterwards. What they did
    stays: the issue and the subscription in the audit log, the chat or device in the contact's
    `ChannelIdentity`, the consent in `Consent`."""
    return await TelegramSubscriptionToken.filter(expires_at__lte=now()).delete()


async def _subscribe(contact: Contact, chat_id: int, token_id: int) -> None:
    system = Actor.system()
    address = str(chat_id)
    identity = ChannelIdentity.filter(
        channel=Channel.TELEGRAM, address=address, contact_id=contact.id
    )
    if not await identity.exists():
        await ChannelIdentity.create(
            channel=Channel.TELEGRAM, address=address, contact_id=contact.id
        )
        await audit_event(system, ENTITY, contact.id, "telegram_subscribed", f"link {token_id}")
    await consent_to_service(contact.id, Channel.TELEGRAM, CONSENT_TEXT_VERSION)
    preferred = [str(c) for c in contact.preferred_channels]
    if preferred and preferred[0] != Channel.TELEGRAM.value:
        # The client asked for Telegram: it goes first. An empty list already starts with it.
        ordered = [Channel.TELEGRAM.value, *(c for c in preferred if c != Channel.TELEGRAM.value)]
        await set_channels_by_client(contact, ordered)


async def consent_to_service(contact_id: int, channel: Channel, text_version: str) -> None:
    """The client agreed, by subscribing, to service messages through `channel` under the text
    of `text_version`: recorded once (subscribing again adds no second consent)."""
    consented = await Consent.filter(
        contact_id=contact_id,
        purpose=ConsentPurpose.SERVICE,
        channel=channel,
        text_version=text_version,
        withdrawn_at=None,
    ).exists()
    if not consented:
        await give_consent(
            Actor.system(),
            contact_id,
            ConsentPurpose.SERVICE.value,
            text_version=text_version,
            channel=channel.value,
        )


async def withdraw_channel_consents(contact_id: int, channel: Channel) -> None:
    """The client unsubscribed from `channel`: every consent of theirs for it is withdrawn
    (marketing waiting there is cancelled by the withdrawal)."""
    given = await Consent.filter(
        contact_id=contact_id, channel=channel, withdrawn_at=None
    ).values_list("purpose", flat=True)
    for purpose in sorted({ConsentPurpose(str(p)) for p in given}):
        await withdraw_consent(Actor.system(), contact_id, purpose.value, channel=channel.value)


async def set_channels_by_client(contact: Contact, ordered: Sequence[str]) -> None:
    """The client's own subscribing or unsubscribing changes the order of their channels:
    audited as the system's change."""
    preferred = [str(c) for c in contact.preferred_channels]
    ordered = list(ordered)
    if ordered == preferred:
        return
    # No If-Match here: the client is not editing the contact. The version still moves, so an
    # editor holding the old one gets 412 instead of overwriting this.
    await Contact.filter(id=contact.id).update(
        preferred_channels=ordered, version=F("version") + 1, updated_at=now()
    )
    await audit_changes(
        Actor.system(), ENTITY, contact.id, {"preferred_channels": (preferred, ordered)}
    )
    contact.preferred_channels = ordered
    contact.version += 1


async def subscribed_contacts(chat_id: int) -> list[Contact]:
    """The contacts this Telegram chat receives notifications for."""
    ids = await ChannelIdentity.filter(
        channel=Channel.TELEGRAM, address=str(chat_id), contact_id__isnull=False
    ).values_list("contact_id", flat=True)
    return await Contact.filter(id__in=list(ids)).order_by("id") if ids else []


async def unsubscribe_telegram_chat(chat_id: int) -> list[Contact]:
    """/stop: this chat gets nothing more. For every contact it was subscribed for: the identity
    goes, the Telegram consents are withdrawn (marketing waiting for Telegram is cancelled), and
    the service messages still waiting for the chat go through the contact's next channel.
    Returns those contacts (empty: the chat was not subscribed)."""
    system = Actor.system()
    contacts = await subscribed_contacts(chat_id)
    address = str(chat_id)
    for contact in contacts:
        await ChannelIdentity.filter(
            channel=Channel.TELEGRAM, address=address, contact_id=contact.id
        ).delete()
        await audit_event(system, ENTITY, contact.id, "telegram_unsubscribed", "/stop")
        await withdraw_channel_consents(contact.id, Channel.TELEGRAM)
        await reroute_waiting(contact.id, Channel.TELEGRAM, address, "unsubscribed in Telegram")
    return contacts
