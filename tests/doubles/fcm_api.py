"""A loopback double of Firebase Cloud Messaging (HTTP v1) and of Google's OAuth token endpoint.

An aiohttp server on 127.0.0.1 (a random free port):

- `POST /token` takes the service account's signed JWT (grant type jwt-bearer), checks its
  signature with the account's public key, its issuer and audience, and answers an access token, the
  way `oauth2.googleapis.com/token` does for google-auth;
- `POST /v1/projects/<project>/messages:send` takes `{"message": {...}}` with that token as a
  Bearer and answers `{"name": "projects/<project>/messages/<id>"}`, or FCM's error body.

`service_account(path)` writes a service account JSON with a fresh RSA key whose `token_uri`
points at this double: firebase-admin and google-auth use it as they would a real one. Point the
push channel here with `VORONKA_FCM_CREDENTIALS=path` and `VORONKA_FCM_BASE_URL=double.url`.

Every send is recorded (`calls`), refused ones too. It can be told to:

- `unregister(token)`: 404 UNREGISTERED for that token (the app was removed);
- `rate_limit(retry_after, times)`: 429 QUOTA_EXCEEDED with a Retry-After header;
- `server_error(times, status)`: 5xx (firebase-admin itself retries 500 and 503 a few times);
- `stall(seconds, times)`: answer only after `seconds`.

A token that does not look like one (`FCM_TOKEN`'s shape) gets FCM's 400 INVALID_ARGUMENT
"The registration token is not a valid FCM registration token".
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import secrets
import socket
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

PROJECT_ID = "voronka-test"
# google-auth addresses its assertion to Google's endpoint whatever token_uri it posts it to.
AUDIENCE = "https://oauth2.googleapis.com/token"
CLIENT_EMAIL = f"firebase-adminsdk@{PROJECT_ID}.iam.gserviceaccount.com"
_TOKEN = re.compile(r"[A-Za-z0-9_:\-]{20,4096}")


def fcm_token(n: int = 1) -> str:
    """A string shaped like an FCM registration token."""
    return f"dev{n:04d}:APA91b" + "x" * 60


@dataclass(frozen=True)
class FcmCall:
    """One send the double received."""

    project: str
    message: dict[str, Any]
    status: int
    at: float
    name: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def token(self) -> str | None:
        return self.message.get("token")


@dataclass
class _Failure:
    status: int
    code: str
    message: str
    fcm_code: str | None = None
    retry_after: int | None = None
    stall: float = 0.0


class FcmApiDouble:
    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.calls: list[FcmCall] = []
        self.token_requests = 0
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._access_tokens: set[str] = set()
        self._failures: deque[_Failure] = deque()
        self._unregistered: set[str] = set()
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.url = ""

    # ---- life cycle -------------------------------------------------------------------------

    async def start(self) -> FcmApiDouble:
        app = web.Application()
        app.router.add_post("/token", self._token)
        app.router.add_post("/v1/projects/{project}/messages:send", self._send)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        await web.SockSite(self._runner, sock).start()
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FcmApiDouble:
        return await self.start()

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    @property
    def token_uri(self) -> str:
        return f"{self.url}/token"

    def service_account(self, path: Path) -> Path:
        """Write the service account JSON (its key and token_uri are this double's)."""
        pem = self._key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        info = {
            "type": "service_account",
            "project_id": PROJECT_ID,
            "private_key_id": secrets.token_hex(20),
            "private_key": pem,
            "client_email": CLIENT_EMAIL,
            "client_id": "100000000000000000001",
            "token_uri": self.token_uri,
        }
        path.write_text(json.dumps(info))
        return path

    # ---- telling it what to do --------------------------------------------------------------

    def unregister(self, token: str) -> None:
        self._unregistered.add(token)

    def rate_limit(self, retry_after: int = 1, times: int = 1) -> None:
        for _ in range(times):
            self._failures.append(
                _Failure(
                    429,
                    "RESOURCE_EXHAUSTED",
                    "Quota exceeded for this project.",
                    "QUOTA_EXCEEDED",
                    retry_after,
                )
            )

    def server_error(self, times: int = 1, status: int = 502) -> None:
        code = {500: "INTERNAL", 503: "UNAVAILABLE"}.get(status, "UNKNOWN")
        for _ in range(times):
            self._failures.append(_Failure(status, code, "The service is unavailable.", code))

    def stall(self, seconds: float, times: int = 1) -> None:
        for _ in range(times):
            self._failures.append(_Failure(503, "UNAVAILABLE", "stalled", stall=seconds))

    # ---- what happened ----------------------------------------------------------------------

    def sent(self, token: str | None = None) -> list[FcmCall]:
        return [call for call in self.calls if call.ok and (token is None or call.token == token)]

    # ---- the server ---------------------------------------------------------------------------

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        self.token_requests += 1
        try:
            claims = jwt.decode(
                str(form.get("assertion", "")),
                self._key.public_key(),
                algorithms=["RS256"],
                audience=AUDIENCE,
            )
        except jwt.PyJWTError as error:
            return web.json_response(
                {"error": "invalid_grant", "error_description": str(error)}, status=400
            )
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" or (
            claims.get("iss") != CLIENT_EMAIL
        ):
            return web.json_response({"error": "invalid_grant"}, status=400)
        access = "ya29." + secrets.token_urlsafe(24)
        self._access_tokens.add(access)
        return web.json_response(
            {"access_token": access, "expires_in": 3599, "token_type": "Bearer"}
        )

    async def _send(self, request: web.Request) -> web.Response:
        project = request.match_info["project"]
        body = await request.json()
        message = body.get("message") or {}
        failure = self._answer(request, project, message)
        if failure is not None:
            self.calls.append(FcmCall(project, message, failure.status, self.clock()))
            if failure.stall:
                await asyncio.sleep(failure.stall)
            return _error(failure)
        name = f"projects/{project}/messages/0:{next(self._ids)}"
        self.calls.append(FcmCall(project, message, 200, self.clock(), name))
        return web.json_response({"name": name})

    def _answer(
        self, request: web.Request, project: str, message: dict[str, Any]
    ) -> _Failure | None:
        bearer = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if bearer not in self._access_tokens:
            return _Failure(401, "UNAUTHENTICATED", "Request had invalid authentication.")
        if project != PROJECT_ID:
            return _Failure(403, "PERMISSION_DENIED", "Permission denied.", "SENDER_ID_MISMATCH")
        if self._failures:
            return self._failures.popleft()
        token = str(message.get("token") or "")
        if not _TOKEN.fullmatch(token):
            return _Failure(
                400,
                "INVALID_ARGUMENT",
                "The registration token is not a valid FCM registration token",
                "INVALID_ARGUMENT",
            )
        if token in self._unregistered:
            return _Failure(404, "NOT_FOUND", "Requested entity was not found.", "UNREGISTERED")
        return None


def _error(failure: _Failure) -> web.Response:
    error: dict[str, Any] = {
        "code": failure.status,
        "message": failure.message,
        "status": failure.code,
    }
    if failure.fcm_code:
        error["details"] = [
            {
                "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                "errorCode": failure.fcm_code,
            }
        ]
    headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after else {}
    return web.json_response({"error": error}, status=failure.status, headers=headers)
