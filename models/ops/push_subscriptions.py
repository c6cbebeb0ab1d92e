"""Clients subscribe to push notifications in the company's own client app (ADR 0024).

The app (a white-label mobile app or a PWA with FCM) gets the same `sub_…` token a manager
issues for the Telegram bot (`issue_subscription`, per contact or per order): typed, scanned
from the QR code of the Telegram link, or opened from it. It sends the token with its FCM
registration token to a public route; nobody signs in. `subscribe_push_device` then:

- binds the token to this device (the SHA-256 of its FCM token), like the Telegram chat: the
  same device may use it again while it is valid, any other device is refused, and the Telegram
  chat binding is separate (one token serves one chat and one device);
- makes the FCM token the contact's push `ChannelIdentity`, the address the outbox uses;
- records the service-notification consent for push with the version of the text the app shows
  (`CONSENT_TEXT`);
- puts push first in the contact's channels, unless their order already names push: then it
  was chosen with push in it (by the client, through a manager or an earlier subscription) and
  a repeat or a second phone does not reshuffle it. An empty order (the default, which has no
  push) becomes push followed by the default.

The app's FCM token is its credential for its own subscription from then on: it unsubscribes
with it (`unsubscribe_push_device`) and moves the subscription to a new FCM token when Firebase
rotates it (`replace_push_token`). A token FCM reports unregistered is forgotten by the relay
(`models.ops.outbox.forget_address`).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from models.actor import Actor
from models.audit import audit_event
from models.channels import enabled_channels
from models.clock import now
from models.entities import (
    Channel,
    ChannelIdentity,
    Contact,
    Order,
    OutboundMessage,
    TelegramSubscriptionToken,
)
from models.errors import DomainError, FieldError, FieldErrors, ValidationFailed
from models.ops.outbox import WAITING, default_language, reroute_waiting
from models.ops.sessions import token_digest
from models.ops.subscriptions import (
    ENTITY,
    consent_to_service,
    is_subscription_token,
    set_channels_by_client,
    withdraw_channel_consents,
)
from models.rules.outbox import DEFAULT_ORDER
from models.rules.push import PLATFORMS, is_fcm_token
from models.text import Text

# What the app shows when the subscription is recorded: the consent is to this text. Change the
# wording → change the version, so every recorded consent names what was shown.
CONSENT_TEXT_VERSION = "push-service-1"
CONSENT_TEXT = Text(
    "Уведомления о ваших заказах будут приходить в это приложение: вы согласились получать на "
    "этом устройстве служебные сообщения (статусы заказов, напоминания). Реклама — только с "
    "отдельного согласия. Отписаться можно в настройках приложения.",
    "Notifications about your orders will come to this app: you have agreed to receive service "
    "messages on this device (order statuses, reminders). Advertising only with a separate "
    "consent. You can unsubscribe in the app's settings.",
)
# One answer for a token that is wrong, expired or bound to another device: which of them it is
# would tell a prober that a token existed.
INVALID_TOKEN = Text(
    "Ссылка не сработала: она устарела, неверна или уже использована на другом устройстве. "
    "Попросите у менеджера новую.",
    "This link does not work: it has expired, is wrong, or was already used on another device. "
    "Ask your manager for a new one.",
)
_BAD_FCM_TOKEN = Text(
    "Неверный токен FCM: от 32 до 255 латинских букв, цифр и знаков «-», «_», «:».",
    "Invalid FCM token: 32 to 255 Latin letters, digits and '-', '_', ':'.",
)
_BAD_PLATFORM = Text("Платформа: android, ios или web.", "Platform: android, ios or web.")
_OUTDATED_CONSENT = Text(
    "Текст согласия изменился: покажите человеку текущий (GET /v1/client/push-consent) и "
    "отправьте его версию.",
    "The consent text has changed: show the person the current one (GET /v1/client/push-consent) "
    "and send its version.",
)


class PushNotConfigured(DomainError):
    code = "push_not_configured"
    message = Text(
        "Push-уведомления не настроены на сервере: задайте VORONKA_FCM_CREDENTIALS.",
        "Push notifications are not configured on the server: set VORONKA_FCM_CREDENTIALS.",
    )


@dataclass(frozen=True, slots=True)
class PushSubscribed:
    contact: Contact
    order: Order | None
    language: str


def _invalid_token() -> ValidationFailed:
    return ValidationFailed([FieldError("token", "invalid_subscription_token", INVALID_TOKEN)])


def _check_fcm_token(fcm_token: str, errors: FieldErrors, field: str = "fcm_token") -> None:
    if not is_fcm_token(fcm_token):
        errors.add(field, "invalid_fcm_token", _BAD_FCM_TOKEN)


async def subscribe_push_device(
    token: str, fcm_token: str, platform: str, consent_text_version: str
) -> PushSubscribed:
    """Subscribe the client app's device to the notifications of the token's contact, the
    person having agreed to the consent text of `consent_text_version`, which the app showed
    before asking (152-FZ: a consent is to the words that were shown). Raises ValidationFailed
    (`token` for a token that is unknown, expired or bound to another device, all alike;
    `fcm_token`, `platform` for their shape; `consent_text_version` when it is not the current
    text's) and PushNotConfigured."""
    errors = FieldErrors()
    if consent_text_version != CONSENT_TEXT_VERSION:
        errors.add("consent_text_version", "outdated_consent_text", _OUTDATED_CONSENT)
    _check_fcm_token(fcm_token, errors)
    if platform not in PLATFORMS:
        errors.add("platform", "invalid_choice", _BAD_PLATFORM)
    errors.raise_if_any()
    if Channel.PUSH not in enabled_channels():
        raise PushNotConfigured()
    if not is_subscription_token(token):
        raise _invalid_token()
    at = now()
    record = await TelegramSubscriptionToken.get_or_none(token_hash=token_digest(token))
    if record is None or record.expires_at <= at:
        raise _invalid_token()
    device = token_digest(fcm_token)
    claimed = await TelegramSubscriptionToken.filter(
        id=record.id, consumed_device_hash__isnull=True
    ).update(consumed_device_hash=device, device_consumed_at=at)
    if claimed != 1:
        await record.refresh_from_db()
        if not hmac.compare_digest(record.consumed_device_hash or "", device):
            raise _invalid_token()
    contact = await Contact.get(id=record.contact_id)
    order = await Order.get_or_none(id=record.order_id) if record.order_id else None
    await _subscribe(contact, fcm_token, platform, record.id)
    return PushSubscribed(contact, order, contact.language or default_language())


async def _subscribe(contact: Contact, fcm_token: str, platform: str, token_id: int) -> None:
    identity = ChannelIdentity.filter(
        channel=Channel.PUSH, address=fcm_token, contact_id=contact.id
    )
    if not await identity.exists():
        await ChannelIdentity.create(channel=Channel.PUSH, address=fcm_token, contact_id=contact.id)
        detail = f"link {token_id}, {platform}"
        await audit_event(Actor.system(), ENTITY, contact.id, "push_subscribed", detail)
    await consent_to_service(contact.id, Channel.PUSH, CONSENT_TEXT_VERSION)
    preferred = [str(c) for c in contact.preferred_channels]
    if Channel.PUSH.value not in preferred:
        rest = preferred or [c.value for c in DEFAULT_ORDER]
        await set_channels_by_client(contact, [Channel.PUSH.value, *rest])


async def _subscribed_contacts(fcm_token: str) -> list[Contact]:
    ids = await ChannelIdentity.filter(
        channel=Channel.PUSH, address=fcm_token, contact_id__isnull=False
    ).values_list("contact_id", flat=True)
    return await Contact.filter(id__in=list(ids)).order_by("id") if ids else []


async def unsubscribe_push_device(fcm_token: str) -> list[Contact]:
    """The app on this device gets nothing more. For every contact it was subscribed for: the
    identity goes, and the service messages still waiting for the device go through the
    contact's next channel. When the contact has no other device left, their push consents are
    withdrawn and push leaves their channels. Returns those contacts (empty: not subscribed).
    Raises ValidationFailed for a malformed token."""
    errors = FieldErrors()
    _check_fcm_token(fcm_token, errors)
    errors.raise_if_any()
    system = Actor.system()
    contacts = await _subscribed_contacts(fcm_token)
    for contact in contacts:
        await ChannelIdentity.filter(
            channel=Channel.PUSH, address=fcm_token, contact_id=contact.id
        ).delete()
        await audit_event(system, ENTITY, contact.id, "push_unsubscribed", "client app")
        if not await ChannelIdentity.exists(channel=Channel.PUSH, contact_id=contact.id):
            await withdraw_channel_consents(contact.id, Channel.PUSH)
            preferred = [str(c) for c in contact.preferred_channels]
            await set_channels_by_client(contact, [c for c in preferred if c != Channel.PUSH.value])
        await reroute_waiting(contact.id, Channel.PUSH, fcm_token, "unsubscribed in the app")
    return contacts


async def replace_push_token(old_fcm_token: str, fcm_token: str) -> int:
    """Firebase gave the app a new FCM token: the subscriptions of the old one move to it, with
    the messages still waiting for the old one and the binding of the tokens it used. Returns
    how many contacts it is subscribed for (0: it was not, and nothing changed). Raises
    ValidationFailed for a malformed token."""
    errors = FieldErrors()
    _check_fcm_token(old_fcm_token, errors, "old_fcm_token")
    _check_fcm_token(fcm_token, errors)
    errors.raise_if_any()
    contacts = await _subscribed_contacts(old_fcm_token)
    if not contacts or old_fcm_token == fcm_token:
        return len(contacts)
    system = Actor.system()
    for contact in contacts:
        old = ChannelIdentity.filter(
            channel=Channel.PUSH, address=old_fcm_token, contact_id=contact.id
        )
        if await ChannelIdentity.exists(
            channel=Channel.PUSH, address=fcm_token, contact_id=contact.id
        ):
            await old.delete()
        else:
            await old.update(address=fcm_token)
        await audit_event(system, ENTITY, contact.id, "push_token_replaced", "client app")
    await OutboundMessage.filter(
        channel=Channel.PUSH,
        address=old_fcm_token,
        contact_id__in=[c.id for c in contacts],
        state__in=WAITING,
        next_attempt_at__isnull=False,
    ).update(address=fcm_token)
    await TelegramSubscriptionToken.filter(consumed_device_hash=token_digest(old_fcm_token)).update(
        consumed_device_hash=token_digest(fcm_token)
    )
    return len(contacts)
