"""The templates a fresh installation ships: every order status and the common cases, in Russian
and English, for Telegram, WhatsApp, SMS, email and push (the client app).

Each case is written once as a title and a short text; the channels' forms are made from them
(`default_templates`). A push is the title as the notification's title and the short text as its
body: a phone shows a title of about 40 to 65 characters and a body of about 100 to 180 before
cutting them, and FCM takes 4 KB in all. Admins edit the installed copies; installing again
never overwrites them.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.entities.enums import Channel, ConsentPurpose, OrderStatus
from models.text import Text


@dataclass(frozen=True, slots=True)
class Case:
    purpose: str
    title: Text
    text: Text
    consent: ConsentPurpose = ConsentPurpose.SERVICE


@dataclass(frozen=True, slots=True)
class DefaultTemplate:
    purpose: str
    channel: Channel
    language: str
    consent_purpose: ConsentPurpose
    subject: str
    body: str
    text_body: str


def order_status_purpose(status: OrderStatus | str) -> str:
    return f"order_status.{OrderStatus(status).value}"


_NO = "№\u00a0{{ order.number }}"
_AMOUNT_RU = "{% if order.amount %} на сумму {{ order.amount }} {{ order.currency }}{% endif %}"
_AMOUNT_EN = "{% if order.amount %} for {{ order.amount }} {{ order.currency }}{% endif %}"

ORDER_CASES: dict[OrderStatus, Case] = {
    OrderStatus.NEW: Case(
        order_status_purpose(OrderStatus.NEW),
        Text(f"Заказ {_NO} принят", "Order {{ order.number }} received"),
        Text(
            f"Мы получили ваш заказ {_NO}{_AMOUNT_RU}. Сообщим, когда он будет подтверждён.",
            f"We have received your order {{{{ order.number }}}}{_AMOUNT_EN}. "
            "We will let you know when it is confirmed.",
        ),
    ),
    OrderStatus.CONFIRMED: Case(
        order_status_purpose(OrderStatus.CONFIRMED),
        Text(f"Заказ {_NO} подтверждён", "Order {{ order.number }} confirmed"),
        Text(
            f"Ваш заказ {_NO}{_AMOUNT_RU} подтверждён. Мы сообщим о следующих шагах.",
            f"Your order {{{{ order.number }}}}{_AMOUNT_EN} is confirmed. "
            "We will tell you about the next steps.",
        ),
    ),
    OrderStatus.PAID: Case(
        order_status_purpose(OrderStatus.PAID),
        Text(f"Заказ {_NO} оплачен", "Order {{ order.number }} paid"),
        Text(
            f"Спасибо! Мы получили оплату заказа {_NO}.",
            "Thank you! We have received the payment for order {{ order.number }}.",
        ),
    ),
    OrderStatus.SHIPPED: Case(
        order_status_purpose(OrderStatus.SHIPPED),
        Text(f"Заказ {_NO} отправлен", "Order {{ order.number }} shipped"),
        Text(
            f"Ваш заказ {_NO} отправлен. Напишем, когда он будет доставлен.",
            "Your order {{ order.number }} has been shipped. We will write when it is delivered.",
        ),
    ),
    OrderStatus.DELIVERED: Case(
        order_status_purpose(OrderStatus.DELIVERED),
        Text(f"Заказ {_NO} доставлен", "Order {{ order.number }} delivered"),
        Text(
            f"Ваш заказ {_NO} доставлен. Если что-то не так, свяжитесь с нами.",
            "Your order {{ order.number }} has been delivered. "
            "If anything is wrong, please contact us.",
        ),
    ),
    OrderStatus.COMPLETED: Case(
        order_status_purpose(OrderStatus.COMPLETED),
        Text(f"Заказ {_NO} выполнен", "Order {{ order.number }} completed"),
        Text(
            f"Заказ {_NO} выполнен. Спасибо, что выбрали нас!",
            "Order {{ order.number }} is completed. Thank you for choosing us!",
        ),
    ),
    OrderStatus.CANCELLED: Case(
        order_status_purpose(OrderStatus.CANCELLED),
        Text(f"Заказ {_NO} отменён", "Order {{ order.number }} cancelled"),
        Text(
            f"Заказ {_NO} отменён. Если это ошибка, свяжитесь с нами.",
            "Order {{ order.number }} has been cancelled. If this is a mistake, please contact us.",
        ),
    ),
}

_DEAL_RU = "{% if deal.title %} по вопросу «{{ deal.title }}»{% endif %}"
_DEAL_EN = "{% if deal.title %} about “{{ deal.title }}”{% endif %}"
_MANAGER_RU = "{% if manager.full_name %} с {{ manager.full_name }}{% endif %}"
_MANAGER_EN = "{% if manager.full_name %} with {{ manager.full_name }}{% endif %}"

COMMON_CASES: tuple[Case, ...] = (
    Case(
        "thanks_after_call",
        Text("Спасибо за разговор", "Thank you for the call"),
        Text(
            "Спасибо за разговор! Если появятся вопросы, пишите"
            "{% if manager.phone %} или звоните: {{ manager.phone }}{% endif %}.",
            "Thank you for the call! If you have any questions, write to us"
            "{% if manager.phone %} or call {{ manager.phone }}{% endif %}.",
        ),
    ),
    Case(
        "proposal_sent",
        Text(
            "Коммерческое предложение{% if deal.title %}: {{ deal.title }}{% endif %}",
            "Our proposal{% if deal.title %}: {{ deal.title }}{% endif %}",
        ),
        Text(
            f"Мы отправили вам коммерческое предложение{_DEAL_RU}. Будем рады ответить на вопросы.",
            f"We have sent you our proposal{_DEAL_EN}. We will be glad to answer your questions.",
        ),
    ),
    Case(
        "appointment_reminder",
        Text("Напоминание о встрече", "Meeting reminder"),
        Text(
            f"Напоминаем о встрече{_MANAGER_RU}{_DEAL_RU}. "
            "Если планы изменились, пожалуйста, сообщите нам.",
            f"A reminder of your meeting{_MANAGER_EN}{_DEAL_EN}. "
            "If your plans have changed, please let us know.",
        ),
    ),
    Case(
        "birthday_greeting",
        Text("С днём рождения!", "Happy birthday!"),
        Text(
            "{% if client.first_name %}{{ client.first_name }}, п{% else %}П{% endif %}"
            "оздравляем вас с днём рождения! Желаем успехов и отличного настроения.",
            "{% if client.first_name %}{{ client.first_name }}, h{% else %}H{% endif %}"
            "appy birthday! We wish you success and a great mood.",
        ),
        ConsentPurpose.MARKETING,
    ),
)

_GREETING = Text(
    "Здравствуйте{% if client.first_name %}, {{ client.first_name }}{% endif %}!",
    "Hello{% if client.first_name %}, {{ client.first_name }}{% endif %}!",
)
_SIGNATURE = Text(
    "{% if manager.full_name %}С уважением, {{ manager.full_name }}{% endif %}",
    "{% if manager.full_name %}Kind regards, {{ manager.full_name }}{% endif %}",
)

CLIENT_CHANNELS = (Channel.TELEGRAM, Channel.WHATSAPP, Channel.SMS, Channel.EMAIL, Channel.PUSH)


def _forms(case: Case, channel: Channel, language: str) -> tuple[str, str, str]:
    """(subject, body, text_body) of a case in one channel and language."""
    title, text = case.title.get(language), case.text.get(language)
    greeting, signature = _GREETING.get(language), _SIGNATURE.get(language)
    if channel is Channel.TELEGRAM:
        return "", f"<b>{title}</b>\n\n{text}", ""
    if channel is Channel.EMAIL:
        html = f"<p>{greeting}</p>\n<p>{text}</p>\n<p>{signature}</p>"
        plain = f"{greeting}\n\n{text}\n\n{signature}"
        return title, html, plain
    if channel is Channel.PUSH:
        return title, text, ""
    return "", text, ""


def default_templates() -> list[DefaultTemplate]:
    cases = [*ORDER_CASES.values(), *COMMON_CASES]
    return [
        DefaultTemplate(
            case.purpose, channel, language, case.consent, *_forms(case, channel, language)
        )
        for case in cases
        for channel in CLIENT_CHANNELS
        for language in ("ru", "en")
    ]
