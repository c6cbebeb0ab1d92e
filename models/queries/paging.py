"""Keyset pagination: a page goes on after the (sort value, id) of the last row of the previous one.

Unlike OFFSET, a keyset page costs the same deep in a list and never skips or repeats rows when
rows are inserted meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

import orjson
from tortoise.expressions import Q
from tortoise.models import Model
from tortoise.queryset import QuerySet

from models.errors import FieldError, ValidationFailed
from models.queries.rows import (
    Where,
    decoded,
    decoded_value,
    fetch,
    select_list,
    sqlite_json_object,
)
from models.text import Text

M = TypeVar("M", bound=Model)
R = TypeVar("R")

MAX_LIMIT = 200
DEFAULT_LIMIT = 50
_BAD_CURSOR = Text(
    "Курсор недействителен: начните список сначала.", "Invalid cursor: start the list again."
)
_BAD_SORT = Text("Нельзя сортировать по этому полю.", "Cannot sort by this field.")


@dataclass(frozen=True, slots=True)
class Sort:
    field: str
    descending: bool

    @property
    def token(self) -> str:
        return f"-{self.field}" if self.descending else self.field


@dataclass(frozen=True, slots=True)
class Page(Generic[R]):
    items: list[R]
    next_after: list[Any] | None
    sort: Sort


def parse_sort(raw: str | None, allowed: dict[str, type], default: str) -> Sort:
    text = raw or default
    field = text.removeprefix("-")
    if field not in allowed:
        raise ValidationFailed([FieldError("sort", "invalid_sort", _BAD_SORT)])
    return Sort(field, text.startswith("-"))


def bad_cursor() -> ValidationFailed:
    return ValidationFailed([FieldError("cursor", "invalid_cursor", _BAD_CURSOR)])


def _after_values(after: list[Any], sort: Sort, allowed: dict[str, type]) -> tuple[Any, int]:
    """Check the decoded cursor: [sort token, last value, last id]."""
    if len(after) != 3 or after[0] != sort.token or not isinstance(after[2], int):
        raise bad_cursor()
    kind, value = allowed[sort.field], after[1]
    try:
        if kind is datetime:
            value = datetime.fromisoformat(value)
            if value.tzinfo is None:
                raise ValueError
        elif not isinstance(value, kind) or isinstance(value, bool):
            raise ValueError
    except (TypeError, ValueError):
        raise bad_cursor() from None
    return value, after[2]


def _cursor_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


async def keyset_page(
    query: QuerySet[M],
    sort: Sort,
    allowed: dict[str, type],
    after: list[Any] | None,
    limit: int,
) -> Page[M]:
    limit = max(1, min(limit, MAX_LIMIT))
    if after is not None:
        value, last_id = _after_values(after, sort, allowed)
        op = "lt" if sort.descending else "gt"
        if sort.field == "id":
            query = query.filter(**{f"id__{op}": last_id})
        else:
            query = query.filter(
                Q(**{f"{sort.field}__{op}": value}) | Q(**{sort.field: value, f"id__{op}": last_id})
            )
    tie = "-id" if sort.descending else "id"
    order = [tie] if sort.field == "id" else [sort.token, tie]
    rows = await query.order_by(*order).limit(limit + 1)
    return _page(rows, sort, limit, getattr)


def _page(rows: list[R], sort: Sort, limit: int, read: Callable[[R, str], Any]) -> Page[R]:
    """The first `limit` rows, and where the next page starts when a row more was fetched."""
    if len(rows) <= limit:
        return Page(rows, None, sort)
    rows = rows[:limit]
    last = rows[-1]
    return Page(rows, [sort.token, _cursor_value(read(last, sort.field)), read(last, "id")], sort)


async def keyset_rows(
    model: type[Model],
    columns: Iterable[str] | None,
    where: Where,
    sort: Sort,
    allowed: dict[str, type],
    after: list[Any] | None,
    limit: int,
    extra: Mapping[str, str] | None = None,
) -> Page[dict[str, Any]]:
    """`keyset_page` as one hand-written statement: the rows of `model` as dicts of `columns`
    (None: every column), plus the `extra` SQL expressions by name."""
    limit = max(1, min(limit, MAX_LIMIT))
    quoted = f'"{model._meta.db_table}"'
    expressions = [select_list(model, quoted, columns)]
    expressions += [f'{sql} AS "{name}"' for name, sql in (extra or {}).items()]
    rows = await fetch(*_keyset_statement(model, expressions, where, sort, allowed, after, limit))
    decoded(model, rows)
    return _page(rows, sort, limit, dict.__getitem__)


async def keyset_json(
    model: type[Model],
    columns: Iterable[str],
    where: Where,
    sort: Sort,
    allowed: dict[str, type],
    after: list[Any] | None,
    limit: int,
    lists: Mapping[str, str],
) -> Page[orjson.Fragment]:
    """SQLite: `keyset_rows` with each row written as JSON by SQLite (`sqlite_json_object`), for
    the API to send as it is. Making dicts of the rows, converting their values and writing them
    again as JSON was about a quarter of the Python time of the list the app opens most; SQLite
    does it in less, on aiosqlite's thread (ADR 0014)."""
    limit = max(1, min(limit, MAX_LIMIT))
    quoted = f'"{model._meta.db_table}"'
    sort_column = model._meta.fields_db_projection[sort.field]
    expressions = [
        f'{sqlite_json_object(model, quoted, columns, lists)} AS "json"',
        f'{quoted}."{sort_column}" AS "sort"',
        f'{quoted}."id" AS "id"',
    ]
    rows = await fetch(*_keyset_statement(model, expressions, where, sort, allowed, after, limit))

    def read(row: dict[str, Any], name: str) -> Any:
        return row["id"] if name == "id" else decoded_value(model, name, row["sort"])

    page = _page(rows, sort, limit, read)
    return Page([orjson.Fragment(row["json"]) for row in page.items], page.next_after, sort)


def _keyset_statement(
    model: type[Model],
    expressions: list[str],
    where: Where,
    sort: Sort,
    allowed: dict[str, type],
    after: list[Any] | None,
    limit: int,
) -> tuple[str, list[Any]]:
    """The SELECT of `expressions` for a page of `limit` rows, and one row more to tell whether
    another page follows, and its parameters."""
    table = model._meta.db_table
    select = f'SELECT {", ".join(expressions)} FROM "{table}"'
    column, key = f'"{table}"."{sort.field}"', f'"{table}"."id"'
    direction = "DESC" if sort.descending else "ASC"
    if after is not None:
        value, last_id = _after_values(after, sort, allowed)
        op = "<" if sort.descending else ">"
        where = where.copy()  # the caller's conditions stay as they were
        if sort.field == "id":
            where.add(f"{key} {op} ?", last_id)
        else:
            where.add(f"{column} {op} ? OR ({column} = ? AND {key} {op} ?)", value, value, last_id)
    order = f"{key} {direction}"
    if sort.field != "id":
        order = f"{column} {direction}, {order}"
    sql = f"{select} WHERE {where.sql} ORDER BY {order} LIMIT ?"
    return sql, [*where.params, limit + 1]
