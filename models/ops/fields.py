"""Checks shared by operations: text lengths, references, owners. Problems go to a FieldErrors."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from tortoise.models import Model

from models.actor import Actor
from models.entities import LossReason, Segment, Source, User
from models.errors import FieldErrors, NotFound
from models.rules.emails import InvalidEmail, normalize_email
from models.rules.phones import InvalidPhone, normalize_phone
from models.scope import assignable_user
from models.text import Text

LONG_TEXT = 10_000  # notes, descriptions: long, but not a place for a whole document
REQUIRED = Text("Обязательное поле.", "This field is required.")
TOO_LONG = Text("Не длиннее {n} символов.", "At most {n} characters.")
NOT_FOUND_REF = Text("Не найдено или нет доступа.", "Not found or not accessible.")
BAD_PHONE = Text(
    "Неверный номер телефона: укажите его с кодом, например +7 916 123-45-67.",
    "Invalid phone number: include the code, e.g. +7 916 123-45-67.",
)
BAD_EMAIL = Text("Неверный адрес электронной почты.", "Invalid email address.")
NAIVE_TIME = Text("Укажите время с часовым поясом.", "Give the time with a time zone.")
NUL_CHARACTER = Text("Текст содержит символ NUL.", "The text contains a NUL character.")
UNKNOWN_FIELD = Text("Неизвестное поле.", "Unknown field.")


def text_field(
    values: Mapping[str, Any], name: str, max_length: int, errors: FieldErrors
) -> str | None:
    """The stripped text under `name`, or None when absent; too long goes to `errors`."""
    if name not in values:
        return None
    raw = values[name]
    text = "" if raw is None else str(raw).strip()
    if "\x00" in text:
        errors.add(name, "invalid_character", NUL_CHARACTER)
        return text.replace("\x00", "")
    if len(text) > max_length:
        errors.add(name, "too_long", TOO_LONG.format(n=max_length))
    return text


def text_columns(
    values: Mapping[str, Any],
    limits: Mapping[str, int],
    errors: FieldErrors,
    required: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The stripped texts of the fields in `limits` that `values` carries; a field named in
    `required` that is present but blank is reported once."""
    columns: dict[str, Any] = {}
    for name, limit in limits.items():
        text = text_field(values, name, limit, errors)
        if text is None:
            continue
        if not text and name in required and not errors.has(name):
            errors.add(name, "required", REQUIRED)
        columns[name] = text
    return columns


def phone_field(raw: str | None, name: str, errors: FieldErrors) -> str | None:
    if raw is None or not str(raw).strip():
        return None
    try:
        return normalize_phone(str(raw))
    except InvalidPhone:
        errors.add(name, "invalid_phone", BAD_PHONE)
        return None


def email_field(raw: str | None, name: str, errors: FieldErrors) -> str | None:
    if raw is None or not str(raw).strip():
        return None
    try:
        return normalize_email(str(raw))
    except InvalidEmail:
        errors.add(name, "invalid_email", BAD_EMAIL)
        return None


def phone_list(raw: list[str], name: str, errors: FieldErrors) -> list[str]:
    numbers: list[str] = []
    for index, item in enumerate(raw):
        number = phone_field(item, f"{name}.{index}", errors)
        if number and number not in numbers:
            numbers.append(number)
    return numbers


def email_list(raw: list[str], name: str, errors: FieldErrors) -> list[str]:
    addresses: list[str] = []
    for index, item in enumerate(raw):
        address = email_field(item, f"{name}.{index}", errors)
        if address and address not in addresses:
            addresses.append(address)
    return addresses


def aware_datetime(value: datetime | None, name: str, errors: FieldErrors) -> datetime | None:
    """The time in UTC, as every time is stored and returned, whatever offset it came with."""
    if value is None:
        return None
    if value.tzinfo is None:
        errors.add(name, "naive_datetime", NAIVE_TIME)
        return None
    return value.astimezone(UTC)


def past_date(value: date | None, name: str, errors: FieldErrors, today: date) -> date | None:
    if value is not None and value > today:
        errors.add(
            name,
            "in_future",
            Text("Дата не может быть в будущем.", "The date cannot be in the future."),
        )
        return None
    return value


async def reference(
    model: type[Model], object_id: int | None, name: str, errors: FieldErrors
) -> int | None:
    """An id of a plain reference table (source, segment, loss reason) that must exist."""
    if object_id is None:
        return None
    if not await model.exists(id=object_id):
        errors.add(name, "not_found", NOT_FOUND_REF)
        return None
    return object_id


async def source_ref(object_id: int | None, errors: FieldErrors) -> int | None:
    return await reference(Source, object_id, "source_id", errors)


async def segment_ref(object_id: int | None, errors: FieldErrors) -> int | None:
    return await reference(Segment, object_id, "segment_id", errors)


async def loss_reason_ref(object_id: int | None, errors: FieldErrors) -> int | None:
    return await reference(LossReason, object_id, "loss_reason_id", errors)


async def owner_for(
    actor: Actor, owner_id: int | None, errors: FieldErrors, name: str = "owner_id"
) -> User | None:
    """The owner of a new or reassigned record: given, or the acting user by default.

    Problems are reported under `name`, the field the caller's input calls the owner.
    """
    wanted = owner_id if owner_id is not None else actor.user_id
    if wanted is None:
        errors.add(name, "required", REQUIRED)
        return None
    try:
        return await assignable_user(actor, wanted)
    except NotFound:
        errors.add(name, "not_found", NOT_FOUND_REF)
        return None


def reject_unknown(values: Mapping[str, Any], allowed: set[str], errors: FieldErrors) -> None:
    for name in values:
        if name not in allowed:
            errors.add(name, "unknown_field", UNKNOWN_FIELD)
