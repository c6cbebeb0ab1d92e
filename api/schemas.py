"""Base classes for request and response bodies."""

from __future__ import annotations

import re
from datetime import date, datetime
from types import NoneType, UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from annotated_types import Ge, Le
from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, model_validator
from pydantic_core import PydanticCustomError

from models.rules.digits import MAX_ID


class Input(BaseModel):
    """A request body: unknown fields are rejected, never silently dropped (mass assignment), and
    JSON types are taken as the contract states them.

    FastAPI validates bodies in pydantic's lax Python mode, which would read `0` as `false`,
    `true` as `1` and a number as a date. Those are client bugs to report, not to guess at; a
    full strict mode is no option because dates, times and enums arrive as JSON strings.
    """

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _json_types_as_declared(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        for name, value in data.items():
            field = cls.model_fields.get(name)
            if field is None or value is None:
                continue
            if _has_nul(value):
                # PostgreSQL cannot store U+0000 in text: refuse it here, not with a 500 there.
                raise _wrong_json_type(name, "text must not contain the NUL character")
            expected = _plain_types(field.annotation)
            if isinstance(value, bool) and bool not in expected:
                raise _wrong_json_type(name, "a boolean is not accepted here")
            if not isinstance(value, bool) and bool in expected and expected - {NoneType} <= {bool}:
                raise _wrong_json_type(name, "expected true or false")
            if isinstance(value, int | float) and expected & {date, datetime}:
                raise _wrong_json_type(name, "expected an ISO 8601 text")
        return data


WRONG_JSON_TYPE = "wrong_json_type"


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | tuple):
        return any(_has_nul(item) for item in value)
    if isinstance(value, dict):
        return any(_has_nul(item) for item in value.values())
    return False


def _wrong_json_type(field: str, message: str) -> PydanticCustomError:
    """An error the problem renderer files under `field` (a model validator has no field)."""
    return PydanticCustomError(WRONG_JSON_TYPE, message, {"field": field})


def _plain_types(annotation: Any) -> set[type]:
    """The classes an annotation admits, looking through Optional, unions and Annotated."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _plain_types(get_args(annotation)[0])
    if origin in (Union, UnionType):
        return {t for arg in get_args(annotation) for t in _plain_types(arg)}
    return {annotation} if isinstance(annotation, type) else set()


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# Every id in the API: a positive 32-bit integer, as the database stores them. Bounded here so an
# absurd id is a 422 naming the field, not a database error.
Id = Annotated[int, Ge(1), Le(MAX_ID)]


def _iso_text(value: object) -> object:
    """Datetimes come as ISO 8601 text. Pydantic would also read a bare number as Unix time,
    which the contract does not promise and which hides client bugs."""
    if not isinstance(value, str | datetime) or (isinstance(value, str) and _NUMBER.match(value)):
        raise ValueError("expected an ISO 8601 date-time with a time zone")
    return value


_NUMBER = re.compile(r"^\s*[-+]?\d+(\.\d*)?\s*$")
# An aware ISO 8601 date-time ("2026-03-02T09:00:00+03:00"); naive or numeric values are 422.
Moment = Annotated[AwareDatetime, BeforeValidator(_iso_text)]
