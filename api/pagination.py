"""Opaque list cursors and the page envelope."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Annotated, Any, Generic, TypeVar

import orjson
from fastapi import Query, Response
from pydantic import BaseModel, Field

from models.queries.paging import DEFAULT_LIMIT, MAX_LIMIT, Page, bad_cursor

T = TypeVar("T")


class PageOut(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end"
    )


def encode_cursor(after: list[Any] | None) -> str | None:
    if after is None:
        return None
    raw = json.dumps(after, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> list[Any] | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise bad_cursor() from None
    if not isinstance(value, list):
        raise bad_cursor()
    return value


def page_out(page: Page[Any], items: list[T]) -> PageOut[T]:
    return PageOut[T](items=items, next_cursor=encode_cursor(page.next_after))


class RowsPage(Response):
    """A page of rows written as JSON by orjson, for the lists the app opens most (ADR 0014).

    The route still declares its `PageOut[…]` model, which is the contract. The rows hold
    exactly the item model's fields with JSON-ready values (strings, numbers, lists, dates, UTC
    datetimes), and orjson writes them as pydantic would (`Z` for UTC), or they are that JSON
    already (`orjson.Fragment`, written by SQLite): tests compare list rows with the same records
    read through the model. Validating and serialising 50 rows through pydantic was a quarter of
    the request's CPU.
    """

    media_type = "application/json"

    def __init__(self, page: Page[dict[str, Any]] | Page[orjson.Fragment]) -> None:
        body = {"items": page.items, "next_cursor": encode_cursor(page.next_after)}
        super().__init__(orjson.dumps(body, option=orjson.OPT_UTC_Z))


Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size")]
Cursor = Annotated[str | None, Query(max_length=1000, description="From the previous page")]
DEFAULT_PAGE_SIZE = DEFAULT_LIMIT
