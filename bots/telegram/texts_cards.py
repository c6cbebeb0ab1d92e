"""Texts of the client and deal cards and their buttons, in Russian and English.

Lines of a card are rendered one by one with `texts.render` (values escaped for Telegram HTML)
and joined by the views in `views/cards.py`.
"""

from __future__ import annotations

from models.text import Text

# Refusals
UNAVAILABLE = Text(
    "Эта запись удалена или недоступна вам. Найдите нужную через /find.",
    "This record was deleted or is not available to you. Look it up with /find.",
)
STALE_DEAL = Text(
    "Сделку уже изменили: карточка обновлена. Повторите действие, если оно ещё нужно.",
    "The deal has changed meanwhile: the card is refreshed. Repeat the action if still needed.",
)
DEAL_CLOSED = Text("Сделка уже закрыта.", "The deal is already closed.")
NO_NEXT_STAGE = Text(
    "Это последний открытый этап: дальше сделку только закрывают.",
    "This is the last open stage: from here the deal can only be closed.",
)
NO_LOSS_REASONS = Text(
    "Нет ни одной причины проигрыша: попросите администратора заполнить справочник.",
    "There are no loss reasons yet: ask your administrator to add some.",
)
NO_SOURCES = Text(
    "Нет ни одного источника: попросите администратора заполнить справочник.",
    "There are no sources yet: ask your administrator to add some.",
)

# Card lines
PLAIN = Text("{value}", "{value}")
CONTACT_TITLE = Text("👤 <b>{name}</b>", "👤 <b>{name}</b>")
COMPANY_TITLE = Text("🏢 <b>{name}</b>", "🏢 <b>{name}</b>")
DEAL_TITLE = Text("💼 <b>{name}</b>", "💼 <b>{name}</b>")
NO_NAME = Text("(без имени)", "(no name)")
PHONES = Text("📞 {phones}", "📞 {phones}")
EMAILS = Text("✉️ {emails}", "✉️ {emails}")
REQUISITES = Text("ИНН {inn}", "INN {inn}")
KPP = Text("КПП {kpp}", "KPP {kpp}")
OWNER = Text("Ответственный: {name}", "Owner: {name}")
OPEN_DEALS = Text("Открытых сделок: {count}", "Open deals: {count}")
NEXT_TASK = Text("Следующая задача: {when} — {title}", "Next task: {when} — {title}")
NEXT_TASK_UNDATED = Text("Следующая задача: {title}", "Next task: {title}")
NO_NEXT_TASK = Text("Задач нет.", "No tasks.")
AMOUNT = Text("Сумма: {amount}", "Amount: {amount}")
NO_AMOUNT = Text("Сумма: не указана", "Amount: not set")
STAGE = Text("Этап: {stage} · {duration}", "Stage: {stage} · {duration}")
STAGE_OVERDUE = Text(
    "Этап: {stage} · {duration} ⚠️ дольше плана ({planned})",
    "Stage: {stage} · {duration} ⚠️ over the plan ({planned})",
)
STAGE_CLOSED = Text("Этап: {stage} · закрыта {when}", "Stage: {stage} · closed {when}")
LOSS_REASON = Text("Причина: {reason}", "Reason: {reason}")
CLIENT = Text("Клиент: {client}", "Client: {client}")
DEADLINE = Text("Срок: {when}", "Deadline: {when}")
DEADLINE_PASSED = Text("Срок: {when} ⚠️ прошёл", "Deadline: {when} ⚠️ passed")
LAST_INTERACTIONS = Text("Последние касания:", "Latest interactions:")
NO_INTERACTIONS = Text("Касаний пока не было.", "No interactions yet.")
UNDER_AN_HOUR = Text("меньше часа", "under an hour")
HOURS = (("час", "часа", "часов"), ("hour", "hours"))

# Tasks and history in place of the card
TASKS_TITLE = Text("✅ <b>Задачи: {name}</b>", "✅ <b>Tasks: {name}</b>")
NO_TASKS = Text("Открытых задач нет.", "No open tasks.")
TASK_LINE = Text("• {when} — {title}", "• {when} — {title}")
TASK_LINE_OVERDUE = Text("• ⚠️ {when} — {title}", "• ⚠️ {when} — {title}")
TASK_LINE_UNDATED = Text("• без срока — {title}", "• no due date — {title}")
HISTORY_TITLE = Text("🕘 <b>История: {name}</b>", "🕘 <b>History: {name}</b>")
INTERACTION_LINE = Text("• {when} · {kind} · {author}", "• {when} · {kind} · {author}")
INTERACTION_LINE_NO_AUTHOR = Text("• {when} · {kind}", "• {when} · {kind}")
OUTCOME_LINE = Text("  {outcome}", "  {outcome}")
KINDS = {
    "call": Text("звонок", "call"),
    "meeting": Text("встреча", "meeting"),
    "visit": Text("визит", "visit"),
    "email": Text("письмо", "email"),
    "message": Text("сообщение", "message"),
    "note": Text("заметка", "note"),
}
DIRECTIONS = {
    "inbound": Text("входящий", "inbound"),
    "outbound": Text("исходящий", "outbound"),
}

# Buttons
LOG_BUTTON = Text("📝 Записать итог", "📝 Log outcome")
REMIND_BUTTON = Text("⏰ Напомнить", "⏰ Remind")
NEXT_STAGE_BUTTON = Text("➡️ {stage}", "➡️ {stage}")
LOST_BUTTON = Text("✖️ Проиграна", "✖️ Lost")
TASKS_BUTTON = Text("✅ Задачи", "✅ Tasks")
HISTORY_BUTTON = Text("🕘 История", "🕘 History")
BACK_BUTTON = Text("← К карточке", "← Back to the card")
CANCEL_BUTTON = Text("Отмена", "Cancel")

# Next stage: the required fields, one by one
STAGE_NEEDS = Text(
    "Чтобы перевести сделку на этап «{stage}», заполните: {fields}.",
    "To move the deal to “{stage}”, fill in: {fields}.",
)
ASK_AMOUNT = Text(
    "Сумма сделки ({currency})? Например: 150 000", "The deal amount ({currency})? E.g. 150000"
)
ASK_DEADLINE = Text(
    "Срок сделки? Например: 25.12, «в пятницу в 18:00», «через неделю».",
    "The deal deadline? E.g. Dec 25, “friday 6pm”, “in a week”.",
)
ASK_CONTACT = Text(
    "Контакт сделки? Напишите имя, телефон или email.",
    "The deal's contact? Send a name, a phone or an email.",
)
ASK_COMPANY = Text(
    "Компания сделки? Напишите название или ИНН.",
    "The deal's company? Send its name or INN.",
)
ASK_SOURCE = Text("Источник сделки? Выберите:", "The deal's source? Choose one:")
CHOOSE = Text("Выберите:", "Choose one:")
NOBODY_FOUND = Text(
    "По запросу «{query}» ничего не нашлось. Напишите иначе.",
    "Nothing found for “{query}”. Try other words.",
)
TRY_AGAIN = Text("Попробуйте ещё раз.", "Please try again.")
USE_BUTTONS = Text("Выберите вариант кнопкой.", "Choose one of the buttons.")
MOVED = Text("Готово: сделка на этапе «{stage}».", "Done: the deal is now at “{stage}”.")

# Lost
CHOOSE_LOSS_REASON = Text("Выберите причину проигрыша.", "Choose why the deal was lost.")
LOST = Text("Сделка закрыта как проигранная: {reason}.", "The deal is closed as lost: {reason}.")

# Remind
REMIND_ASK = Text(
    "Когда напомнить про «{name}»? Например: «завтра в 10», «в пятницу», «через 2 часа».",
    "When should I remind you about “{name}”? E.g. “tomorrow 10am”, “friday”, “in 2 hours”.",
)
REMIND_TITLE = Text("Связаться: {name}", "Follow up: {name}")
REMIND_SET = Text("Напомню {when}: {title}.", "I will remind you {when}: {title}.")

CANCELLED = Text("Отменено.", "Cancelled.")
