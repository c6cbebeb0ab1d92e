"""ETag from an object's version, and If-Match on changes (optimistic concurrency over HTTP).

If-Match is read lazily: RFC 9110 (13.2.1) evaluates preconditions only for requests that would
otherwise succeed, so an invalid body is a 422 whatever If-Match says, and the precondition is
checked when the route takes the version, after its input was validated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Response
from starlette.exceptions import HTTPException

from models.errors import PreconditionFailed
from models.rules.digits import MAX_ID, whole_number


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = f'"{version}"'


@dataclass(frozen=True, slots=True)
class IfMatch:
    raw: str | None

    @property
    def number(self) -> int:
        """The version the change is based on: 428 without If-Match, 412 for a foreign ETag."""
        if self.raw is None:
            raise HTTPException(428, detail="If-Match required")
        tag = self.raw.strip().removeprefix("W/").strip('"')
        # No more than the version column holds: a larger number matches no record, and the
        # database would refuse it as a parameter.
        if (number := whole_number(tag, MAX_ID)) is None:
            raise PreconditionFailed()
        return number


async def if_match(
    if_match: Annotated[
        str | None, Header(description="The ETag of the version being changed (required)")
    ] = None,
) -> IfMatch:
    return IfMatch(if_match)


Version = Annotated[IfMatch, Depends(if_match)]
