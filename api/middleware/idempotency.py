"""Idempotency-Key on POST: a retried request runs once, repeats replay the stored response.

Keys are per user, so the caller is identified here from the bearer token (the route checks it
again, as every route does). Unauthenticated requests pass through untouched.
"""

from __future__ import annotations

import hashlib

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import authenticate_bearer
from api.problems import problem
from models.errors import NotAuthenticated
from models.ops.idempotency import (
    Claimed,
    InProgress,
    KeyReused,
    Replay,
    claim_key,
    complete_key,
    release_key,
)
from models.text import Text

HEADER = "idempotency-key"
MAX_KEY_LENGTH = 255
# Replayed with the body; hop-by-hop and length headers are recomputed.
KEPT_HEADERS = ("content-type", "location", "etag", "content-language")
_REUSED = Text(
    "Этот Idempotency-Key уже использован для другого запроса.",
    "This Idempotency-Key was already used for a different request.",
)
_RUNNING = Text(
    "Запрос с этим Idempotency-Key ещё выполняется. Повторите позже.",
    "A request with this Idempotency-Key is still running. Retry later.",
)
_BAD_KEY = Text(
    "Idempotency-Key: от 1 до 255 печатных символов.",
    "Idempotency-Key: 1 to 255 printable characters.",
)


class Idempotency:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        key = Headers(scope=scope).get(HEADER)
        if key is None:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        if not (0 < len(key) <= MAX_KEY_LENGTH and key.isprintable()):
            await problem(request, 422, _BAD_KEY, code="invalid_idempotency_key")(
                scope, receive, send
            )
            return
        user_id = await self._user_id(request)
        if user_id is None:
            await self.app(scope, receive, send)
            return
        body = await request.body()
        digest = hashlib.sha256(
            b"\n".join(
                [scope["method"].encode(), scope["path"].encode(), scope["query_string"], body]
            )
        ).hexdigest()
        outcome = await claim_key(user_id, key, digest)
        if isinstance(outcome, Replay):
            await self._replay(outcome, send)
        elif isinstance(outcome, KeyReused):
            await problem(request, 422, _REUSED, code="idempotency_key_reused")(
                scope, receive, send
            )
        elif isinstance(outcome, InProgress):
            await problem(request, 409, _RUNNING, code="request_in_progress")(scope, receive, send)
        else:
            await self._run_once(scope, body, send, outcome)

    async def _user_id(self, request: Request) -> int | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        try:
            auth = await authenticate_bearer(token.strip(), request.app.state.settings)
        except NotAuthenticated:
            return None
        return auth.actor.user_id

    async def _run_once(self, scope: Scope, body: bytes, send: Send, claim: Claimed) -> None:
        delivered = False

        async def replay_body() -> Message:
            nonlocal delivered
            if delivered:
                return {"type": "http.disconnect"}
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        status = 500
        kept: dict[str, str] = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                for name, value in Headers(raw=message["headers"]).items():
                    if name in KEPT_HEADERS:
                        kept[name] = value
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, replay_body, capture)
        except BaseException:
            await release_key(claim)
            raise
        if status >= 500:
            await release_key(claim)
        else:
            await complete_key(claim, status, kept, b"".join(chunks))

    async def _replay(self, replay: Replay, send: Send) -> None:
        raw = [(k.encode(), v.encode()) for k, v in replay.headers.items()]
        raw += [
            (b"content-length", str(len(replay.body)).encode()),
            (b"idempotent-replayed", b"true"),
        ]
        await send({"type": "http.response.start", "status": replay.status_code, "headers": raw})
        await send({"type": "http.response.body", "body": replay.body})
