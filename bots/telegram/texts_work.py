"""Texts of the working day: `/today`, `/tasks`, the task buttons and `/deals`, in Russian and
English. Values put into them are escaped by `texts.render` (Telegram HTML); button labels and
button answers are plain text."""

from __future__ import annotations

from models.text import Text

# /today
TODAY_TITLE = Text("<b>Мой день</b>, {day}", "<b>My day</b>, {day}")
TODAY_OVERDUE = Text("<b>Просрочено</b>", "<b>Overdue</b>")
TODAY_DUE = Text("<b>На сегодня</b>", "<b>Due today</b>")
TODAY_STUCK = Text("<b>Дольше срока в этапе</b>", "<b>Over their stage time</b>")
TODAY_NOTHING = Text(
    "Ничего не горит: просроченных задач и задач на сегодня нет, все сделки в срок.\n"
    "Все задачи: /tasks, сделки: /deals",
    "Nothing is burning: no overdue tasks, none due today, every deal within its stage time.\n"
    "All tasks: /tasks, deals: /deals",
)
TODAY_MORE_TASKS = Text(
    "…и ещё {count}: все задачи — /tasks", "…and {count} more: all tasks — /tasks"
)
TODAY_MORE_DEALS = Text(
    "…и ещё {count}: все сделки — /deals", "…and {count} more: all deals — /deals"
)
STUCK_LINE = Text(
    "• {title} — «{stage}»: {days} в этапе, по плану {planned}",
    "• {title} — “{stage}”: {days} in the stage, planned {planned}",
)
DEAL_BUTTON = Text("💼 {title}", "💼 {title}")

# Task lines and buttons (/today and /tasks)
TASK_LINE = Text("{n}. {title} — {when}", "{n}. {title} — {when}")
TASK_LINE_OVERDUE = Text("{n}. ⚠️ {title} — {when}", "{n}. ⚠️ {title} — {when}")
TASK_LINE_UNDATED = Text("{n}. {title} — без срока", "{n}. {title} — no due date")
DONE_BUTTON = Text("{n}. Готово", "{n}. Done")
HOUR_BUTTON = Text("+1 ч", "+1 h")
TOMORROW_BUTTON = Text("Завтра", "Tomorrow")
PICK_BUTTON = Text("Дата…", "Date…")

# A task reminder from the clock, after one of its buttons: the message without its buttons
REMINDER_DONE = Text(
    "<b>Напоминание</b>\n{title}\n\n✅ Выполнено.", "<b>Reminder</b>\n{title}\n\n✅ Done."
)
REMINDER_MOVED = Text(
    "<b>Напоминание</b>\n{title}\n\n⏰ Перенесено на {when}.",
    "<b>Reminder</b>\n{title}\n\n⏰ Moved to {when}.",
)

# What a task button answers (toasts: plain text)
TASK_DONE = Text("Готово: «{title}» выполнена.", "Done: “{title}” is complete.")
TASK_MOVED = Text("Перенёс «{title}» на {when}.", "Moved “{title}” to {when}.")
TASK_GONE = Text(
    "Задача не найдена: её удалили или она не ваша. Откройте список заново: /tasks",
    "Task not found: it was deleted or is not yours. Open the list again: /tasks",
)

# Pick date: the free-text step
PICK_PROMPT = Text(
    "Когда напомнить про «{title}»? Напишите дату и время, например: завтра в 15:00, "
    "в пятницу, через 2 часа, 27.11 в 10:00.",
    "When shall I remind you of “{title}”? Write a date and time, e.g. tomorrow 3pm, friday, "
    "in 2 hours, Nov 27 10:00.",
)
PICK_RETRY = Text(
    "{problem}\nНапишите ещё раз или нажмите «Отмена».",
    "{problem}\nWrite it again, or press Cancel.",
)
PICK_DONE = Text("Напомню {when}: «{title}».", "I will remind you on {when}: “{title}”.")
PICK_CANCEL_BUTTON = Text("Отмена", "Cancel")
PICK_CANCELLED = Text("Хорошо, срок не меняю.", "OK, the due date stays as it was.")

# /tasks
TASKS_TITLE = Text("<b>Мои открытые задачи</b>: {count}", "<b>My open tasks</b>: {count}")
TASKS_NONE = Text("Открытых задач нет. Мой день: /today", "You have no open tasks. My day: /today")
TASKS_MORE_BUTTON = Text("Ещё ›", "More ›")
TASKS_FIRST_BUTTON = Text("« В начало", "« Back to the start")

# /deals
DEALS_TITLE = Text("<b>Мои открытые сделки</b>: {count}", "<b>My open deals</b>: {count}")
DEALS_NONE = Text("Открытых сделок нет.", "You have no open deals.")
DEALS_PIPELINE = Text("<b>Воронка «{name}»</b>", "<b>Pipeline “{name}”</b>")
DEALS_STAGE = Text("<b>{stage}</b> — {count}", "<b>{stage}</b> — {count}")
DEALS_STAGE_WITH_SUM = Text("<b>{stage}</b> — {count} · {sum}", "<b>{stage}</b> — {count} · {sum}")
DEAL_LINE = Text("{n}. {title}", "{n}. {title}")
DEAL_AMOUNT = Text(" — {amount}", " — {amount}")
DEAL_OVERDUE = Text(" · ⏰ {days} в этапе", " · ⏰ {days} in the stage")
DEALS_STAGE_MORE = Text("…и ещё {count}", "…and {count} more")
DEALS_LIST_BUTTON = Text("{n}. {title}", "{n}. {title}")

# /digest
DIGEST_ON = Text(
    "Утренняя сводка приходит каждый день в {time} по вашему времени: задачи на сегодня, "
    "просроченное, сделки дольше срока и без контакта.\n"
    "Другое время: /digest 08:30, выключить: /digest off",
    "The morning digest comes every day at {time} your time: today's tasks, overdue ones, "
    "deals over their stage time and with no contact.\n"
    "Another time: /digest 08:30, turn it off: /digest off",
)
DIGEST_OFF = Text(
    "Утренняя сводка выключена. Включить: /digest on",
    "The morning digest is off. Turn it on: /digest on",
)
DIGEST_BAD = Text(
    "Не понял: напишите время, например /digest 08:30, или /digest on, /digest off.",
    "I did not get that: write a time, like /digest 08:30, or /digest on, /digest off.",
)
