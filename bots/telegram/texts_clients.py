"""Texts the bot shows clients (people who subscribed to notifications, not staff) and the texts
of sending a client a message from a card, in Russian and English.

The consent sentence a client reads when subscribing is the domain's
(`models.ops.subscriptions.CONSENT_TEXT`): its version is recorded with the consent.
"""

from __future__ import annotations

from models.entities import Channel
from models.text import Text

# Subscribing (/start sub_…) and /stop
SUBSCRIBED_HELLO = Text("Здравствуйте, {name}!", "Hello, {name}!")
SUBSCRIBED_HELLO_NO_NAME = Text("Здравствуйте!", "Hello!")
SUBSCRIBED_ORDER = Text("Заказ № {number}: {status}.", "Order {number}: {status}.")
SUBSCRIPTION_INVALID = Text(
    "Ссылка не сработала: она устарела, неверна или её уже открыли из другого Telegram. "
    "Попросите у менеджера новую.",
    "This link does not work: it has expired, is wrong, or was already opened from another "
    "Telegram account. Ask your manager for a new one.",
)
SUBSCRIPTION_FOR_CLIENTS = Text(
    "Это ссылка для клиентов: ваш Telegram связан с учётной записью сотрудника, поэтому "
    "подписать его как клиента нельзя.",
    "This link is for clients: your Telegram is linked to a staff account, so it cannot be "
    "subscribed as a client.",
)
UNSUBSCRIBED = Text(
    "Вы отписались: уведомления больше не будут приходить в этот чат. Подписаться снова можно "
    "по ссылке от менеджера.",
    "You have unsubscribed: notifications will no longer come to this chat. To subscribe again, "
    "ask your manager for a link.",
)
NOT_SUBSCRIBED = Text(
    "Этот чат не подписан на уведомления.", "This chat is not subscribed to notifications."
)
STOP_IS_FOR_CLIENTS = Text(
    "/stop отписывает клиентов от уведомлений. Чтобы отключить свой Telegram от Voronka: /unlink",
    "/stop unsubscribes clients from notifications. To disconnect your Telegram from Voronka: "
    "/unlink",
)
CLIENT_INFO = Text(
    "Этот чат получает уведомления о ваших заказах. Отписаться: /stop",
    "This chat receives notifications about your orders. To unsubscribe, send /stop",
)

# Sending a client a message from a card
WRITE_BUTTON = Text("✉️ Написать", "✉️ Message")
CHOOSE_TEMPLATE = Text(
    "✉️ Сообщение для <b>{name}</b>: выберите шаблон.",
    "✉️ A message to <b>{name}</b>: choose a template.",
)
NO_TEMPLATES = Text(
    "Нет ни одного активного шаблона: попросите администратора их добавить.",
    "There are no active templates: ask your administrator to add some.",
)
NO_CONTACT = Text(
    "У сделки нет контакта: некому писать. Укажите контакт в сделке.",
    "The deal has no contact: there is nobody to write to. Set the deal's contact first.",
)
MARKETING_MARK = Text("📣 {name}", "📣 {name}")
ORDER_STATUS_MARK = Text("📦 Заказ №{number}: {status}", "📦 Order No. {number}: {status}")
PREVIEW = Text(
    "✉️ <b>{purpose}</b> для {name}\nКанал: {channel} · {address}\n\n{text}",
    "✉️ <b>{purpose}</b> to {name}\nChannel: {channel} · {address}\n\n{text}",
)
CANNOT_SEND = Text(
    "✉️ <b>{purpose}</b> для {name}\n\nОтправить не получится: у клиента нет доступного "
    "канала ({reason}).",
    "✉️ <b>{purpose}</b> to {name}\n\nThis cannot be sent: the client has no usable channel "
    "({reason}).",
)
# Why a channel could not be used, as the outbox's plan says (`Plan.problems`)
PROBLEMS = {
    "not_configured": Text("{channel}: не подключён", "{channel}: not set up"),
    "no_template": Text("{channel}: нет шаблона", "{channel}: no template"),
    "no_address": Text("{channel}: нет адреса", "{channel}: no address"),
    "no_marketing_consent": Text(
        "{channel}: нет согласия на рекламу", "{channel}: no marketing consent"
    ),
    "render_failed": Text("{channel}: шаблон с ошибкой", "{channel}: the template is broken"),
}
SEND_BUTTON = Text("📤 Отправить", "📤 Send")
CANCEL_BUTTON = Text("Отмена", "Cancel")
SENT = Text(
    "✅ Отправлено: <b>{purpose}</b> для {name} через {channel}. Записано в историю.",
    "✅ Sent: <b>{purpose}</b> to {name} via {channel}. Logged in the history.",
)
ALREADY_SENT = Text("Это сообщение уже отправлено.", "This message has already been sent.")
SENT_TOAST = Text("Отправлено", "Sent")
NOT_SENT = Text(
    "Не отправлено: у клиента нет доступного канала ({reason}).",
    "Not sent: the client has no usable channel ({reason}).",
)
CHANNELS = {
    Channel.TELEGRAM: Text("Telegram", "Telegram"),
    Channel.WHATSAPP: Text("WhatsApp", "WhatsApp"),
    Channel.SMS: Text("SMS", "SMS"),
    Channel.EMAIL: Text("почта", "email"),
    Channel.PUSH: Text("push", "push"),
}

# The client card
CONSENTS = Text("Согласия: {consents}", "Consents: {consents}")
CONSENT_PURPOSES = {
    "service": Text("уведомления", "notifications"),
    "marketing": Text("реклама", "marketing"),
}
EVERY_CHANNEL = Text("все каналы", "every channel")

# The language of the client's messages, on the contact card
LANGUAGE_LINE = Text("Язык сообщений клиенту: {language}", "Messages to the client in: {language}")
LANGUAGE_DEFAULT = Text("{language} (по умолчанию)", "{language} (the default)")
LANGUAGE_NAMES = {"ru": Text("русский", "Russian"), "en": Text("английский", "English")}
LANGUAGE_BUTTON = Text("🌐 Язык сообщений", "🌐 Message language")
LANGUAGE_CHOICES = {
    "ru": Text("Русский", "Russian"),
    "en": Text("English", "English"),
    "default": Text("По умолчанию ({language})", "Default ({language})"),
}
LANGUAGE_CHOOSE = Text(
    "На каком языке писать клиенту?", "Which language should the client's messages be in?"
)
LANGUAGE_CHOSEN = Text("Сообщения клиенту: {language}.", "Messages to the client: {language}.")
STALE_CONTACT = Text(
    "Контакт уже изменили: карточка обновлена. Повторите, если ещё нужно.",
    "The contact has changed meanwhile: the card is refreshed. Repeat if still needed.",
)
