"""ETag from an object's version, and If-Match on changes (optimistic concurrency over HTTP)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, Response
from starlette.exceptions import HTTPException

from models.errors import PreconditionFailed


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = f'"{version}"'


def _parse_if_match(value: str) -> int:
    tag = value.strip().removeprefix("W/").strip('"')
    if not tag.isdigit():
        raise PreconditionFailed()
    return int(tag)


def required_version(
    if_match: Annotated[
        str | None, Header(description="The ETag of the version being changed")
    ] = None,
) -> int:
    """The version a change is based on; a change without If-Match is refused with 428."""
    if if_match is None:
        raise HTTPException(428, detail="If-Match required")
    return _parse_if_match(if_match)
