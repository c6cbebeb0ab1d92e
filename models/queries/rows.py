"""Hand-written SELECTs for the hottest reads, returning plain dicts.

Building a query through Tortoise and pypika, and a model instance per row, cost more than
SQLite's own work on the requests a phone sends most (bench/api.py, ADR 0014). The few reads
that run on every request or every list page are written here as SQL with `?` placeholders,
which this module numbers (`$1`, `$2`…) for PostgreSQL. Statements run on the connection of the
current transaction, like Tortoise's own queries.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from functools import cache
from typing import Any

from ciso8601 import parse_datetime
from tortoise import connections
from tortoise.fields import (
    BigIntField,
    CharField,
    DateField,
    DatetimeField,
    IntField,
    JSONField,
    SmallIntField,
    TextField,
)
from tortoise.fields.relational import RelationalField
from tortoise.models import Model

_PLACEHOLDER = re.compile(r"\?")


def _numbered(sql: str) -> str:
    counter = itertools.count(1)
    return _PLACEHOLDER.sub(lambda _: f"${next(counter)}", sql)


async def fetch(sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """Rows as dicts. SQL holds no literal `?`: every one is a parameter."""
    connection = connections.get("default")
    if connection.capabilities.dialect == "postgres":
        sql = _numbered(sql)
    rows: list[dict[str, Any]] = await connection.execute_query_dict(sql, list(params))
    return rows


def json_list(value: str, table: str, key: str, outer: str, order: str) -> str:
    """A correlated subquery giving `table.value` of the rows whose `key` is `outer`, in `order`,
    as the text of a JSON array: a row's small lists read in the row's own statement."""
    rows = f"FROM {table} WHERE {table}.{key} = {outer}"
    if connections.get("default").capabilities.dialect == "postgres":
        return f"(SELECT coalesce(json_agg({value} ORDER BY {order}), '[]'::json) {rows})::text"
    # SQLite before 3.44 has no ORDER BY inside an aggregate: an ordered subquery under an
    # aggregate is never flattened, so json_group_array sees its rows in order.
    return f"(SELECT json_group_array({value}) FROM (SELECT {value} {rows} ORDER BY {order}))"


def select_list(model: type[Model], table: str, names: Iterable[str] | None = None) -> str:
    """`"t"."column" AS "field", …` for `names` (None: every column) of `model` read as `table`
    (its name or an alias). Call after Tortoise is initialised: it adds the `…_id` columns."""
    projection = model._meta.fields_db_projection
    return ", ".join(f'{table}."{projection[name]}" AS "{name}"' for name in names or projection)


class Where:
    """AND-ed SQL conditions with their parameters, built up one filter at a time."""

    def __init__(self) -> None:
        self.conditions: list[str] = []
        self.params: list[Any] = []

    def copy(self) -> Where:
        where = Where()
        where.conditions, where.params = list(self.conditions), list(self.params)
        return where

    def add(self, condition: str, *params: Any) -> None:
        self.conditions.append(condition)
        self.params.extend(params)

    @property
    def sql(self) -> str:
        return " AND ".join(f"({c})" for c in self.conditions) if self.conditions else "1 = 1"


_PLAIN_FIELDS = (IntField, BigIntField, SmallIntField, CharField, TextField)


def _moment(value: datetime | str | None) -> datetime | None:
    """A stored moment: PostgreSQL returns it aware, SQLite as the ISO text of its UTC time."""
    if value is None or isinstance(value, datetime):
        return value
    parsed = parse_datetime(value)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


@cache
def _converters(model: type[Model]) -> dict[str, Callable[[Any], Any]]:
    """Columns whose stored form differs from the Python value (dates, JSON, booleans, enums).
    Moments skip Tortoise's converter: rows hold UTC already, and it re-zoned every value."""
    return {
        name: _moment if isinstance(field, DatetimeField) else field.to_python_value
        for name, field in model._meta.fields_map.items()
        if type(field) not in _PLAIN_FIELDS and not isinstance(field, RelationalField)
    }


def decoded_value(model: type[Model], name: str, value: Any) -> Any:
    """One stored value of `model`'s field `name` as the field gives it."""
    convert = _converters(model).get(name)
    return convert(value) if convert is not None else value


def decoded(model: type[Model], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of `model`'s table with values as its fields give them (Tortoise's own converters)."""
    converters = _converters(model)
    for row in rows:
        for name in row.keys() & converters.keys():
            row[name] = converters[name](row[name])
    return rows


def _sqlite_json_value(field: Any, column: str) -> str:
    """SQLite: the stored value of `field` at `column` as the API writes it in JSON."""
    if isinstance(field, DatetimeField):
        # Stored as Python's ISO text of the UTC moment (`_moment`: "2026-03-01 09:00:00.5+00:00"
        # or without the offset); written as the API writes it: "T", microseconds only when
        # there are any, "Z". Cut from the text, not parsed: SQLite's date functions cost more.
        day_time = f"substr({column}, 1, 10) || 'T' || substr({column}, 12, 8)"
        fraction = f"CASE WHEN substr({column}, 20, 1) = '.' THEN substr({column}, 20, 7) END"
        return f"{day_time} || coalesce({fraction}, '') || 'Z'"
    if isinstance(field, JSONField):
        return f"json({column})"
    if isinstance(field, (DateField, RelationalField)) or type(field) in _PLAIN_FIELDS:
        return column
    raise TypeError(f"{field.model_field_name}: no JSON form on SQLite")


def sqlite_json_object(
    model: type[Model], table: str, names: Iterable[str], lists: Mapping[str, str]
) -> str:
    """SQLite: a `json_object(…)` of the `names` of `model` read as `table`, plus `lists`, JSON
    arrays by name (`json_list`): a row written as JSON by SQLite itself, as the API writes it.
    Call after Tortoise is initialised."""
    projection, fields = model._meta.fields_db_projection, model._meta.fields_map
    values = []
    for name in names:
        column = f'{table}."{projection[name]}"'
        values.append(f"'{name}', {_sqlite_json_value(fields[name], column)}")
    values += [f"'{name}', json({sql})" for name, sql in lists.items()]
    return f"json_object({', '.join(values)})"
