"""Request body size limits, enforced while the body streams in.

Neither FastAPI nor Starlette bounds a JSON body (fastapi #1181): without this a client could make
the server buffer any amount of memory. A declared Content-Length over the limit is refused before
reading, and a body is counted as it arrives and cut off at the limit.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import ContentTooLarge, problem

_WITHOUT_BODY = frozenset({"GET", "HEAD", "OPTIONS"})


class BodyLimit:
    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in _WITHOUT_BODY:
            # No route of these methods reads a body, so none can be too large.
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, ContentTooLarge(limit))
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise ContentTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except ContentTooLarge as refusal:
            # Raised where no route catches it (a middleware reading the body): answer here.
            if started:
                raise
            await self._refuse(scope, receive, send, refusal)

    async def _refuse(
        self, scope: Scope, receive: Receive, send: Send, refusal: ContentTooLarge
    ) -> None:
        response = problem(Request(scope), 413, refusal.text, code="too_large")
        await response(scope, receive, send)
