"""Texts of the orders of a client or deal, the order card, its status buttons and `/order`, in
Russian and English. The status names themselves are the domain's (`ORDER_STATUS_LABELS`,
the same words the client's notifications use)."""

from __future__ import annotations

from models.entities import OrderStatus
from models.text import Text

# The button on a client or deal card, and the list it opens
ORDERS_BUTTON = Text("📦 Заказы ({count})", "📦 Orders ({count})")
ORDERS_TITLE = Text("📦 <b>Заказы: {name}</b>", "📦 <b>Orders: {name}</b>")
ORDERS_RANGE = Text("Показаны {first}–{last} из {total}.", "Showing {first}–{last} of {total}.")
NO_ORDERS = Text("Заказов нет.", "No orders.")
ORDER_BUTTON = Text("№{number} · {status} · {amount}", "No. {number} · {status} · {amount}")
ORDER_BUTTON_NO_AMOUNT = Text("№{number} · {status}", "No. {number} · {status}")
MORE_BUTTON = Text("Ещё ›", "More ›")
EARLIER_BUTTON = Text("‹ Назад", "‹ Back")

# The order card
ORDER_TITLE = Text("📦 <b>Заказ №{number}</b>", "📦 <b>Order No. {number}</b>")
STATUS = Text("Статус: <b>{status}</b>", "Status: <b>{status}</b>")
AMOUNT = Text("Сумма: {amount}", "Amount: {amount}")
NO_AMOUNT = Text("Сумма: не указана", "Amount: not set")
CLIENT = Text("Клиент: {client}", "Client: {client}")
DEAL = Text("Сделка: {deal}", "Deal: {deal}")
HISTORY = Text("История статусов:", "Status history:")
CREATED_LINE = Text("• {when} · создан: {status} · {by}", "• {when} · created: {status} · {by}")
CHANGE_LINE = Text("• {when} · {old} → {new} · {by}", "• {when} · {old} → {new} · {by}")
COMMENT_LINE = Text("  {comment}", "  {comment}")
BY_SYSTEM = Text("автоматически", "automatically")
FINAL = Text(
    "Статус окончательный: дальше не меняется.", "This status is final: it does not change further."
)

# One button per status the order may go to next
STATUS_BUTTONS = {
    OrderStatus.CONFIRMED: Text("✅ Подтвердить", "✅ Confirm"),
    OrderStatus.PAID: Text("💳 Оплачен", "💳 Paid"),
    OrderStatus.SHIPPED: Text("🚚 Отправлен", "🚚 Shipped"),
    OrderStatus.DELIVERED: Text("📬 Доставлен", "📬 Delivered"),
    OrderStatus.COMPLETED: Text("🏁 Выполнен", "🏁 Completed"),
    OrderStatus.CANCELLED: Text("✖️ Отменить заказ", "✖️ Cancel the order"),
}
WRITE_BUTTON = Text("✉️ Написать о заказе", "✉️ Message about the order")
BACK_TO_ORDERS = Text("← Заказы", "← Orders")

# Cancelling asks first
CONFIRM_CANCEL = Text(
    "Отменить заказ №{number}? Это необратимо: отменённый заказ больше не меняет статус.",
    "Cancel order No. {number}? This cannot be undone: a cancelled order never changes status "
    "again.",
)
CANCEL_YES = Text("✖️ Да, отменить", "✖️ Yes, cancel it")
CANCEL_NO = Text("Нет, оставить", "No, keep it")

# After a change
CHANGED = Text("Готово: заказ №{number} — {status}.", "Done: order No. {number} is {status}.")
CHANGED_LINE = Text("✅ Статус изменён: {status}.", "✅ Status changed: {status}.")
NOTICE_QUEUED = Text(
    "Клиенту уйдёт уведомление: {channel}.", "The client will be notified: {channel}."
)
NOTICE_NO_CHANNEL = Text(
    "Уведомление клиенту не уйдёт: у него нет доступного канала (нет адреса или канал не "
    "подключён).",
    "No notification: the client has no usable channel (no address, or the channel is not set up).",
)
NOTICE_NO_CONSENT = Text(
    "Уведомление клиенту не уйдёт: нет его согласия на такие сообщения.",
    "No notification: the client has not consented to such messages.",
)
NOTICE_NO_CONTACT = Text(
    "Уведомлять некого: у заказа нет контакта.",
    "Nobody to notify: the order has no contact.",
)
NOTICE_SWITCHED_OFF = Text(
    "Уведомление не отправляется: для статуса «{status}» нет активного шаблона.",
    "No notification: there is no active template for “{status}”.",
)

# Refusals
STALE_ORDER = Text(
    "Заказ уже изменили: карточка обновлена. Выберите статус ещё раз, если он ещё нужен.",
    "The order has changed meanwhile: the card is refreshed. Choose the status again if still "
    "needed.",
)
ALREADY = Text("Заказ уже в статусе «{status}».", "The order is already “{status}”.")
NOT_ALLOWED = Text(
    "Из статуса «{old}» в «{new}» заказ не переводится.",
    "An order cannot go from “{old}” to “{new}”.",
)

# /order
ORDER_USAGE = Text("Напишите номер заказа: /order З-17", "Send the order's number: /order A-17")
ORDER_NOT_FOUND = Text(
    "Заказ №{number} не найден: номер неверен или заказ вам недоступен.",
    "Order No. {number} is not found: the number is wrong or the order is not available to you.",
)
