"""The order file: which column is which, what a status may be called, and a row's checks.

Pure: a `Table` (models/rules/table_files.py) in, `ImportRow`s out; a row's values in, clean
values and field errors out. What needs the database (the order, the client, the owner) is looked
up by models/ops/order_import.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from models.entities.enums import OrderStatus
from models.errors import FieldError, FieldErrors, ValidationFailed
from models.rules.digits import MAX_ID, whole_number
from models.rules.emails import InvalidEmail, normalize_email
from models.rules.phones import InvalidPhone, normalize_phone
from models.rules.requisites import check_requisites
from models.rules.table_files import FILE_FIELD, Table, read_table
from models.rules.templates import ORDER_STATUS_LABELS
from models.text import Text

NUMBER_LENGTH = 64  # Order.number
COMMENT_LENGTH = 500  # OrderStatusChange.comment

# The columns of the file, by field, under the names 1C, web shops and people give them.
# Compared after `header_key`: case, ё/е, spaces and a trailing colon do not matter.
COLUMN_NAMES: dict[str, tuple[str, ...]] = {
    "number": (
        "номер",
        "номер заказа",
        "№",
        "№ заказа",
        "заказ",
        "number",
        "order number",
        "order",
    ),
    "status": ("статус", "статус заказа", "состояние", "status", "order status", "state"),
    "amount": ("сумма", "сумма заказа", "итого", "amount", "total", "sum"),
    "currency": ("валюта", "currency"),
    "phone": ("телефон", "телефон клиента", "phone", "telephone", "mobile"),
    "email": ("email", "e-mail", "почта", "эл. почта", "электронная почта", "mail"),
    "inn": ("инн", "инн клиента", "inn", "tax id"),
    "deal_id": ("сделка", "id сделки", "номер сделки", "deal", "deal id", "deal_id"),
    "owner": ("ответственный", "менеджер", "owner", "manager", "responsible"),
    "comment": ("комментарий", "примечание", "comment", "note", "notes"),
}
FIELDS = tuple(COLUMN_NAMES)
# How the documentation and the messages name each column.
COLUMN_TITLES: dict[str, Text] = {
    "number": Text("Номер", "number"),
    "status": Text("Статус", "status"),
    "amount": Text("Сумма", "amount"),
    "currency": Text("Валюта", "currency"),
    "phone": Text("Телефон", "phone"),
    "email": Text("Email", "email"),
    "inn": Text("ИНН", "inn"),
    "deal_id": Text("Сделка", "deal_id"),
    "owner": Text("Ответственный", "owner"),
    "comment": Text("Комментарий", "comment"),
}

_UNKNOWN_COLUMNS = Text(
    "Неизвестные столбцы: {names}. Допустимы: {known_ru}.",
    "Unknown columns: {names}. Known columns: {known_en}.",
)
_NO_NUMBER = Text(
    "Нет столбца с номером заказа («Номер» или “number”).",
    "No order number column (“Номер” or “number”).",
)
_TWICE = Text(
    "Столбцы {names} означают одно и то же: оставьте один.",
    "The columns {names} mean the same: keep one.",
)
_EXTRA_CELLS = Text(
    "В строке больше ячеек, чем столбцов в заголовке: проверьте разделители и кавычки.",
    "The row has more cells than the header has columns: check the delimiters and quotes.",
)
_REQUIRED = Text("Укажите номер заказа.", "Give the order number.")
_TOO_LONG = Text("Не длиннее {n} символов.", "At most {n} characters.")
_NUL = Text("Текст содержит символ NUL.", "The text contains a NUL character.")
_BAD_STATUS = Text(
    "Неизвестный статус «{value}». Допустимы: {ru}.",
    "Unknown status “{value}”. Use one of: {en}.",
)
_BAD_PHONE = Text(
    "Неверный номер телефона: укажите его с кодом, например +7 916 123-45-67.",
    "Invalid phone number: include the code, e.g. +7 916 123-45-67.",
)
_BAD_EMAIL = Text("Неверный адрес электронной почты.", "Invalid email address.")
_BAD_ID = Text("Укажите номер сделки (целое число).", "Give the deal's id (a whole number).")


def header_key(name: str) -> str:
    """A column name as compared: «Телефон:», "  PHONE " and «телефон» are one column."""
    return " ".join(name.casefold().replace("ё", "е").split()).rstrip(":").strip()


_BY_KEY: dict[str, str] = {
    header_key(name): column for column, names in COLUMN_NAMES.items() for name in names
} | {column: column for column in FIELDS}


def _status_key(value: str) -> str:
    return value.strip().casefold().replace("ё", "е")


_STATUSES: dict[str, OrderStatus] = {
    _status_key(name): status
    for status, label in ORDER_STATUS_LABELS.items()
    for name in (status.value, label.ru, label.en)
}


def parse_status(raw: str) -> OrderStatus | None:
    """The status a cell names: its code (`shipped`) or its label in Russian or English
    («Отправлен», "Shipped"), in any case, with ё or е."""
    return _STATUSES.get(_status_key(raw))


@dataclass(frozen=True, slots=True)
class ImportRow:
    """One data row: its number in the file, its cells by field (only the file's columns), and
    the problems already seen while reading it."""

    row: int
    values: Mapping[str, str]
    problems: tuple[FieldError, ...] = ()


@dataclass(frozen=True, slots=True)
class OrderFile:
    """The rows of an order file and, by field, the column names as the file spells them."""

    columns: Mapping[str, str]
    rows: list[ImportRow] = field(default_factory=list)


def _file_error(code: str, message: Text) -> ValidationFailed:
    return ValidationFailed([FieldError(FILE_FIELD, code, message)])


def _quoted(names: list[str]) -> str:
    return ", ".join(f"«{name}»" for name in names)


def map_columns(header: list[str]) -> list[str | None]:
    """The field of each header cell (None for a blank one); raises ValidationFailed naming the
    unknown columns, a field given twice, or the missing number column."""
    fields: list[str | None] = []
    unknown: list[str] = []
    seen: dict[str, list[str]] = {}
    for name in header:
        if not name:
            fields.append(None)
            continue
        column = _BY_KEY.get(header_key(name))
        if column is None:
            unknown.append(name)
        else:
            seen.setdefault(column, []).append(name)
        fields.append(column)
    problems: list[FieldError] = []
    if unknown:
        problems.append(
            FieldError(
                FILE_FIELD,
                "unknown_columns",
                _UNKNOWN_COLUMNS.format(
                    names=_quoted(unknown),
                    known_ru=_quoted([title.ru for title in COLUMN_TITLES.values()]),
                    known_en=", ".join(title.en for title in COLUMN_TITLES.values()),
                ),
            )
        )
    for names in seen.values():
        if len(names) > 1:
            problems.append(
                FieldError(FILE_FIELD, "duplicate_column", _TWICE.format(names=_quoted(names)))
            )
    if "number" not in seen:
        problems.append(FieldError(FILE_FIELD, "missing_column", _NO_NUMBER))
    if problems:
        raise ValidationFailed(problems)
    return fields


def order_rows(table: Table) -> OrderFile:
    fields = map_columns(table.header)
    columns = {name: title for name, title in zip(fields, table.header, strict=True) if name}
    rows: list[ImportRow] = []
    for number, cells in table.rows:
        values = {name: cell for name, cell in zip(fields, cells, strict=False) if name}
        extra = any(cells[len(fields) :])
        problems = (FieldError(FILE_FIELD, "extra_cells", _EXTRA_CELLS),) if extra else ()
        rows.append(ImportRow(number, values, problems))
    return OrderFile(columns, rows)


def read_order_file(data: bytes) -> OrderFile:
    """The order rows of a CSV or XLSX file; raises ValidationFailed naming `file`."""
    return order_rows(read_table(data))


@dataclass(frozen=True, slots=True)
class OrderLine:
    """A row's values after the checks that need no database. Blank cells are None."""

    number: str
    status: OrderStatus | None
    amount: str | None
    currency: str | None
    phone: str | None
    email: str | None
    inn: str | None
    deal_id: int | None
    owner: str | None
    comment: str


def _text(values: Mapping[str, str], name: str, limit: int, errors: FieldErrors) -> str:
    text = values.get(name, "").strip()
    if "\x00" in text:
        errors.add(name, "invalid_character", _NUL)
    elif len(text) > limit:
        errors.add(name, "too_long", _TOO_LONG.format(n=limit))
    return text


def check_line(values: Mapping[str, str], errors: FieldErrors) -> OrderLine:
    """Every problem of the row that needs no database goes to `errors`."""
    number = _text(values, "number", NUMBER_LENGTH, errors)
    if not number and not errors.has("number"):
        errors.add("number", "required", _REQUIRED)
    status = None
    if raw_status := values.get("status", "").strip():
        status = parse_status(raw_status)
        if status is None:
            errors.add("status", "invalid_choice", _status_choices(raw_status))
    currency = values.get("currency", "").strip().upper() or None
    phone = None
    if raw_phone := values.get("phone", "").strip():
        try:
            phone = normalize_phone(raw_phone)
        except InvalidPhone:
            errors.add("phone", "invalid_phone", _BAD_PHONE)
    email = None
    if raw_email := values.get("email", "").strip():
        try:
            email = normalize_email(raw_email)
        except InvalidEmail:
            errors.add("email", "invalid_email", _BAD_EMAIL)
    inn, _, _ = check_requisites(values.get("inn", "").strip() or None, None, None, errors)
    deal_id = None
    if raw_deal := values.get("deal_id", "").strip():
        deal_id = whole_number(raw_deal, MAX_ID) or None  # 0 names no deal
        if deal_id is None:
            errors.add("deal_id", "not_a_number", _BAD_ID)
    return OrderLine(
        number=number,
        status=status,
        amount=values.get("amount", "").strip() or None,
        currency=currency,
        phone=phone,
        email=email,
        inn=inn,
        deal_id=deal_id,
        owner=values.get("owner", "").strip() or None,
        comment=_text(values, "comment", COMMENT_LENGTH, errors),
    )


def _status_choices(value: str) -> Text:
    labels = ORDER_STATUS_LABELS.values()
    return _BAD_STATUS.format(
        value=value[:40],
        ru=", ".join(label.ru for label in labels),
        en=", ".join(label.en for label in labels),
    )


def batches(rows: list[ImportRow], size: int) -> list[list[ImportRow]]:
    """`rows` in file order, cut into batches of about `size` for one transaction each. A batch
    ends only where none of its numbers comes again further down the file, so every row of an
    order meets it as the rows before it left it, in a real run and in a dry run alike (a dry
    run rolls each batch back). Batches grow past `size` only for that."""
    last: dict[str, int] = {}
    for index, row in enumerate(rows):
        last[row.values.get("number", "").strip()] = index
    result: list[list[ImportRow]] = []
    current: list[ImportRow] = []
    reach = -1
    for index, row in enumerate(rows):
        current.append(row)
        reach = max(reach, last[row.values.get("number", "").strip()])
        if len(current) >= size and index >= reach:
            result.append(current)
            current = []
    if current:
        result.append(current)
    return result
