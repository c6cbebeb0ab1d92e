"""What the bot says while capturing: `/new` (a contact, company or deal, asked field by field),
`/log` (a call, meeting, visit or note, shown as a draft before it is saved), files sent to a
client or deal, and `/cancel`. Every sentence in Russian and English (see `texts.py`)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from bots.telegram import formats
from models.text import Text

# ---- shared --------------------------------------------------------------------------------------

CANCEL = Text("Отмена", "Cancel")
SKIP = Text("Пропустить", "Skip")
CANCELLED = Text("Отменено: ничего не сохранено.", "Cancelled: nothing was saved.")
NOTHING_TO_CANCEL = Text("Отменять нечего.", "There is nothing to cancel.")
NOT_AVAILABLE = Text(
    "Эта запись не найдена или недоступна вам. Найдите клиента или сделку заново.",
    "That record is not found or not available to you. Look the client or deal up again.",
)
FOUND = Text("Нашлось — выберите:", "Found — pick one:")
NOTHING_FOUND = Text(
    "По «{text}» ничего не нашлось. Напишите иначе: имя, телефон или его последние 4 цифры, "
    "ИНН, название.",
    "Nothing found for “{text}”. Try other words: a name, a phone or its last 4 digits, an INN, "
    "a title.",
)
IN_CONTEXT = Text("Сейчас открыт: {label}", "Open now: {label}")
OPEN_CARD = Text("Открыть карточку", "Open the card")
OPEN_EXISTING = Text("Открыть: {label}", "Open: {label}")
LOG_BUTTON = Text("Записать звонок или встречу", "Log a call or meeting")

KIND_NAMES = {
    "contact": Text("Контакт", "Contact"),
    "company": Text("Компания", "Company"),
    "deal": Text("Сделка", "Deal"),
}

# ---- /new ---------------------------------------------------------------------------------------

NEW_WHAT = Text("Что создать?", "What shall we create?")
NEW_QUESTIONS = {
    "name": Text(
        "Новый контакт. Имя и фамилия? Например: Иван Петров.",
        "New contact. First and last name? For example: John Smith.",
    ),
    "phone": Text(
        "Телефон? Например: +7 916 123-45-67.", "Phone number? For example: +7 916 123-45-67."
    ),
    "email": Text("Электронная почта?", "Email address?"),
    "company": Text(
        "Компания контакта? Напишите её название или ИНН, я найду.",
        "The contact's company? Type its name or INN and I will look it up.",
    ),
    "company_name": Text("Новая компания. Название?", "New company. Its name?"),
    "inn": Text(
        "ИНН? 10 цифр у организации, 12 у ИП.",
        "INN? 10 digits for an organisation, 12 for a sole trader.",
    ),
    "kpp": Text("КПП? 9 символов.", "KPP? 9 characters."),
    "title": Text(
        "Новая сделка. Название? Например: Поставка бумаги.",
        "New deal. Its title? For example: Paper supply.",
    ),
    "client": Text(
        "Клиент сделки? Напишите имя, телефон, название компании или ИНН, я найду.",
        "The deal's client? Type a name, phone, company name or INN and I will look it up.",
    ),
    "amount": Text(
        "Сумма сделки в рублях? Например: 150000 или 1 250 000,50.",
        "The deal's amount in roubles? For example: 150000 or 1250000.50.",
    ),
}
NEW_LABELS = {
    "name": Text("Имя", "Name"),
    "phone": Text("Телефон", "Phone"),
    "email": Text("Почта", "Email"),
    "company": Text("Компания", "Company"),
    "company_name": Text("Название", "Name"),
    "inn": Text("ИНН", "INN"),
    "kpp": Text("КПП", "KPP"),
    "title": Text("Название", "Title"),
    "client": Text("Клиент", "Client"),
    "amount": Text("Сумма", "Amount"),
}
NEW_SUMMARY = Text("Проверьте и создайте — {kind}:", "Check and create — {kind}:")
NEW_CREATE = Text("Создать", "Create")
NEW_CREATED = Text("Готово: создано — {kind} «{label}».", "Done: {kind} “{label}” created.")
DUPLICATE_TITLE = Text("Похожие записи уже есть:", "Matching records already exist:")
DUPLICATE_HIDDEN = Text(
    "Ещё совпадений, недоступных вам: {count}.",
    "More matches you cannot see: {count}.",
)
DUPLICATE_QUESTION = Text(
    "Откройте существующую запись или всё равно создайте новую.",
    "Open the existing record, or create a new one anyway.",
)
CREATE_ANYWAY = Text("Всё равно создать", "Create anyway")
MATCHED_ON = {
    "phone": Text("телефон", "phone"),
    "email": Text("почта", "email"),
    "inn": Text("ИНН", "INN"),
}

# ---- /log ---------------------------------------------------------------------------------------

LOG_WHO = Text(
    "Кого касается запись? Напишите имя, телефон или его последние 4 цифры, ИНН или название "
    "сделки.",
    "Who is it about? Type a name, a phone or its last 4 digits, an INN or a deal's title.",
)
LOG_KIND = Text("Запись: {label}\nЧто было?", "Logging: {label}\nWhat happened?")
LOG_KINDS = {
    "call": Text("Звонок", "Call"),
    "meeting": Text("Встреча", "Meeting"),
    "visit": Text("Визит", "Visit"),
    "note": Text("Заметка", "Note"),
}
LOG_OUTCOME = Text(
    "{kind} — {label}. Чем закончилось? Напишите итог.",
    "{kind} — {label}. How did it go? Write the outcome.",
)
LOG_NOTE_TEXT = Text("Заметка — {label}. Текст заметки?", "Note — {label}. The note's text?")
LOG_NEXT = Text(
    "Следующий шаг? Напишите, что сделать (например: Отправить КП), или нажмите «Без "
    "следующего шага».",
    "The next step? Write what to do (for example: Send the offer), or press “No next step”.",
)
LOG_NO_NEXT = Text("Без следующего шага", "No next step")
LOG_WHEN = Text(
    "Когда? Например: завтра в 15:00, в пятницу, через 2 часа, 25.12 в 10:00.",
    "When? For example: tomorrow 3pm, friday, in 2 hours, Dec 25 10:00.",
)
LOG_DRAFT = Text("Черновик, ещё не сохранён. Проверьте:", "A draft, not saved yet. Please check:")
LOG_LABELS = {
    "target": Text("Клиент", "Client"),
    "deal": Text("Сделка", "Deal"),
    "kind": Text("Что", "What"),
    "outcome": Text("Итог", "Outcome"),
    "next": Text("Следующий шаг", "Next step"),
    "files": Text("Файлы", "Files"),
}
LOG_NO_NEXT_SHOWN = Text("нет", "none")
LOG_SAVE = Text("Сохранить", "Save")
LOG_EDIT = Text("Изменить", "Edit")
LOG_EDIT_WHAT = Text("Что изменить?", "What shall I change?")
LOG_EDIT_FIELDS = {
    "kind": Text("Что было", "What happened"),
    "outcome": Text("Итог", "Outcome"),
    "next": Text("Следующий шаг", "Next step"),
    "due": Text("Срок", "When"),
    "back": Text("← К черновику", "← Back to the draft"),
}
LOG_SAVED = Text("Сохранено: {kind} — {label}.", "Saved: {kind} — {label}.")
LOG_SAVED_TASK = Text("Задача «{title}»: {when}.", "Task “{title}”: {when}.")
LOG_SAVED_FILES = Text("Файлов: {count}.", "Files: {count}.")
LOG_FILES_LOST = Text(
    "Файлов не нашлось: {count}. Отправьте их ещё раз.",
    "Files that could not be found: {count}. Please send them again.",
)
LOG_DRAFT_CHANGED = Text(
    "Черновик уже изменился: пользуйтесь его последним сообщением.",
    "The draft has changed since: use its latest message.",
)
LOG_REPLACED = Text(
    "Прежний несохранённый черновик удалён.", "The previous unsaved draft was discarded."
)

# ---- files ---------------------------------------------------------------------------------------

FILE_WHAT = {
    "voice": Text("голосовое сообщение", "voice note"),
    "photo": Text("фото", "photo"),
    "document": Text("документ «{name}»", "document “{name}”"),
}
FILE_SAVED = Text(
    "Сохранено в заметку — {label}: {what}, {size}.", "Saved as a note — {label}: {what}, {size}."
)
FILE_IN_DRAFT = Text(
    "Добавлено к черновику: {what}, {size}. Файлов в черновике: {count}.",
    "Added to the draft: {what}, {size}. Files in the draft: {count}.",
)
FILE_NO_TARGET = Text(
    "Файл не сохранён: непонятно, к какому клиенту он относится. Откройте карточку клиента или "
    "сделки или начните запись командой /log, затем отправьте файл ещё раз.",
    "The file was not saved: it is not clear which client it belongs to. Open a client's or "
    "deal's card, or start a record with /log, then send the file again.",
)
FILE_TOO_LARGE = Text(
    "Файл больше {limit} МБ, такой не сохранить. Отправьте файл поменьше.",
    "The file is over {limit} MB, too large to keep. Please send a smaller one.",
)
FILE_FAILED = Text(
    "Не удалось получить файл из Telegram. Отправьте его ещё раз чуть позже.",
    "Could not get the file from Telegram. Please send it again in a moment.",
)
FILE_TOO_MANY = Text(
    "В одной записи не больше {count} файлов: сохраните черновик и отправьте остальные после.",
    "At most {count} files per record: save the draft and send the rest afterwards.",
)

# ---- formatting ----------------------------------------------------------------------------------


def due_text(at: datetime, timezone: str, language: str, *, now: datetime) -> str:
    """When a next step is due, with its weekday so a typed «в пятницу» can be checked:
    «пт, 7 марта в 15:00» / "Fri, 7 March at 15:00" (the year when it is not this one's)."""
    wall = formats.local(at, timezone)
    day = formats.day_title(at, timezone, language)
    if wall.year != formats.local(now, timezone).year:
        day = f"{day} {wall.year}"
    joiner = " at " if language == "en" else " в "
    return f"{day}{joiner}{wall:%H:%M}"


def money_text(amount: Decimal, language: str) -> str:
    """An amount in roubles as the rest of the bot shows money (`formats.money`)."""
    return formats.money(amount, "RUB", language)


def size_text(size: int, language: str) -> str:
    """12 КБ / 1,5 МБ; 12 KB / 1.5 MB."""
    if size < 1024 * 1024:
        shown, unit = f"{max(1, round(size / 1024))}", Text("КБ", "KB")
    else:
        shown, unit = f"{size / (1024 * 1024):.1f}", Text("МБ", "MB")
        if language != "en":
            shown = shown.replace(".", ",")
    return f"{shown} {unit.get(language)}"


def block(title: Text, rows: Sequence[tuple[Text, Text | str]]) -> Text:
    """A title and «Label: value» lines, as Telegram HTML with the values escaped; a value is
    either typed text (escaped) or a Text of ours."""

    def lines(language: str) -> str:
        out = [title.get(language)]
        for label, value in rows:
            shown = value.get(language) if isinstance(value, Text) else html.escape(value)
            out.append(f"{label.get(language)}: {shown}")
        return "\n".join(out)

    return Text(lines("ru"), lines("en"))
