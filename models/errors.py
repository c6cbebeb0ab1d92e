"""Domain errors. Edges map them: the API to RFC 9457 problem+json, bots to one sentence."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from models.text import Text


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    code: str
    message: Text


class DomainError(Exception):
    code = "domain_error"
    message = Text("Операция не выполнена.", "The operation failed.")

    def __init__(self, message: Text | None = None) -> None:
        if message is not None:
            self.message = message
        super().__init__(self.message.en)


class NotFound(DomainError):
    code = "not_found"
    message = Text("Не найдено.", "Not found.")

    def __init__(self, entity: str, entity_id: object = None) -> None:
        self.entity = entity
        self.entity_id = entity_id
        super().__init__()


class Forbidden(DomainError):
    code = "forbidden"
    message = Text("Недостаточно прав.", "You are not allowed to do this.")


class NotAuthenticated(DomainError):
    code = "not_authenticated"
    message = Text(
        "Войдите заново: вход не выполнен или истёк.",
        "Please sign in again: not signed in or expired.",
    )


class TooManyAttempts(DomainError):
    code = "too_many_attempts"
    message = Text(
        "Слишком много неудачных попыток. Повторите позже.",
        "Too many failed attempts. Try again later.",
    )

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__()


class PreconditionFailed(DomainError):
    code = "stale_version"
    message = Text(
        "Запись уже изменил кто-то другой. Обновите её и повторите.",
        "Someone else changed this record. Reload it and try again.",
    )


@dataclass(frozen=True, slots=True)
class DuplicateCandidate:
    entity: str
    id: int
    label: str
    matched_on: str


class Conflict(DomainError):
    """The new record duplicates existing ones; `hidden` counts matches the actor may not see."""

    code = "duplicate"
    message = Text("Похожая запись уже есть.", "A matching record already exists.")

    def __init__(self, candidates: Sequence[DuplicateCandidate], hidden: int = 0) -> None:
        self.candidates = list(candidates)
        self.hidden = hidden
        super().__init__()


class ValidationFailed(DomainError):
    code = "validation_failed"
    message = Text("Проверьте введённые данные.", "Please check the values entered.")

    def __init__(self, errors: Sequence[FieldError]) -> None:
        self.errors = list(errors)
        super().__init__()
        self.args = ("; ".join(f"{e.field}: {e.message.en}" for e in self.errors),)


@dataclass(slots=True)
class FieldErrors:
    """Collects every problem of an input so the user hears about all of them at once."""

    items: list[FieldError] = field(default_factory=list)

    def add(self, field_name: str, code: str, message: Text) -> None:
        self.items.append(FieldError(field_name, code, message))

    def has(self, field_name: str) -> bool:
        return any(e.field == field_name for e in self.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise ValidationFailed(self.items)
