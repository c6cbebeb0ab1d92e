"""A loopback double of Twilio's Messages API, for tests.

An aiohttp server on 127.0.0.1 (a random free port) that answers
`POST /2010-04-01/Accounts/<sid>/Messages.json` the way Twilio does, closely enough for twilio's
own client: HTTP basic auth with the account SID and auth token (401 with code 20003 otherwise),
`To` required, and a 201 with the new Message resource (`sid` "SM" + 32 hex digits, status
`queued`). Point twilio's client at it with `VORONKA_TWILIO_BASE_URL=double.url`.

Every request is recorded (`calls`), refused ones too, with its form fields. It can be told to:

- `rate_limit(retry_after, times)`: 429 with a `Retry-After` header and code 20429;
- `server_error(times, status)`: 5xx;
- `stall(seconds, times)`: answer only after `seconds` (longer than the client's timeout);
- `refuse(code, message, times, status)`: a Twilio error with that code (400 by default);
- `unreachable(number, code)`: every message to `number` fails with that code (21211 …);
- `enforce_limits(per_sender)`: a sender (`From`, `whatsapp:+1…` for WhatsApp) sending more than
  its messages a second is refused with 429 (code 20429) and nothing is sent;
  `refused_by_limits` counts them (bench/fanout.py).

`callback(sid, status, error_code)` gives the form fields Twilio posts to the message's
StatusCallback URL for a status change; `signed(url, fields)` gives the `X-Twilio-Signature`
header twilio's own `RequestValidator` computes for them. `before_answer`, when set, is
awaited with a new message's sid before the 201 goes back: a status callback posted there
overtakes the answer, as Twilio's sometimes do.
"""

from __future__ import annotations

import asyncio
import base64
import secrets
import socket
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from twilio.request_validator import RequestValidator

from models.settings import Settings, load_settings
from tests.doubles.limits import SendLimit, admit

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "twilio-test-auth-token-0123456789"
WHATSAPP_FROM = "+14155238886"
SMS_FROM = "+15005550006"


@dataclass(frozen=True)
class TwilioCall:
    """One request the double received."""

    path: str
    params: dict[str, str]
    status: int
    at: float
    sid: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == 201

    @property
    def to(self) -> str | None:
        return self.params.get("To")


@dataclass
class _Failure:
    status: int
    code: int
    message: str
    retry_after: int | None = None
    stall: float = 0.0


class TwilioApiDouble:
    def __init__(
        self,
        *,
        account_sid: str = ACCOUNT_SID,
        auth_token: str = AUTH_TOKEN,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.clock = clock
        self.calls: list[TwilioCall] = []
        self._failures: deque[_Failure] = deque()
        self._unreachable: dict[str, _Failure] = {}
        self._messages: dict[str, dict[str, str]] = {}
        self._limits: dict[str, SendLimit] = {}
        self.refused_by_limits = 0
        self._runner: web.AppRunner | None = None
        self.url = ""
        self.before_answer: Callable[[str], Awaitable[None]] | None = None

    # ---- life cycle -------------------------------------------------------------------------

    async def start(self) -> TwilioApiDouble:
        app = web.Application()
        app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", self._create)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
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

    async def __aenter__(self) -> TwilioApiDouble:
        return await self.start()

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    # ---- telling it what to do --------------------------------------------------------------

    def enforce_limits(self, per_sender: dict[str, int]) -> None:
        self._limits = {sender: SendLimit(rate) for sender, rate in per_sender.items()}

    def rate_limit(self, retry_after: int = 1, times: int = 1) -> None:
        for _ in range(times):
            self._failures.append(_Failure(429, 20429, "Too Many Requests", retry_after))

    def server_error(self, times: int = 1, status: int = 503) -> None:
        for _ in range(times):
            self._failures.append(_Failure(status, 20500, "Internal Server Error"))

    def stall(self, seconds: float, times: int = 1) -> None:
        for _ in range(times):
            self._failures.append(_Failure(503, 20500, "stalled", stall=seconds))

    def refuse(self, code: int, message: str, times: int = 1, status: int = 400) -> None:
        for _ in range(times):
            self._failures.append(_Failure(status, code, message))

    def unreachable(self, number: str, code: int = 21211, message: str = "") -> None:
        text = message or f"The 'To' number {number} is not a valid phone number."
        self._unreachable[number] = _Failure(400, code, text)

    # ---- what happened ----------------------------------------------------------------------

    def sent(self, to: str | None = None) -> list[TwilioCall]:
        """Messages Twilio accepted, to one address or all."""
        return [call for call in self.calls if call.ok and (to is None or call.to == to)]

    def callback(
        self, sid: str, status: str, error_code: int | None = None
    ) -> tuple[str, dict[str, str]]:
        """The StatusCallback URL of a message and the form fields Twilio posts there."""
        message = self._messages[sid]
        fields = {
            "AccountSid": self.account_sid,
            "ApiVersion": "2010-04-01",
            "From": message["from"],
            "MessageSid": sid,
            "MessageStatus": status,
            "SmsSid": sid,
            "SmsStatus": status,
            "To": message["to"],
        }
        if error_code is not None:
            fields["ErrorCode"] = str(error_code)
        return message["status_callback"], fields

    # ---- the server ---------------------------------------------------------------------------

    def _authorized(self, request: web.Request, sid: str) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        header = request.headers.get("Authorization", "")
        return sid == self.account_sid and secrets.compare_digest(header, f"Basic {expected}")

    async def _create(self, request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        failure = self._answer(request, form)
        if failure is not None:
            self.calls.append(TwilioCall(request.path, form, failure.status, self.clock()))
            if failure.stall:
                await asyncio.sleep(failure.stall)
            headers = {}
            if failure.retry_after is not None:
                headers["Retry-After"] = str(failure.retry_after)
            body = {
                "code": failure.code,
                "message": failure.message,
                "more_info": f"https://www.twilio.com/docs/errors/{failure.code}",
                "status": failure.status,
            }
            return web.json_response(body, status=failure.status, headers=headers)
        sid = "SM" + secrets.token_hex(16)
        self._messages[sid] = {
            "to": form["To"],
            "from": form.get("From", ""),
            "status_callback": form.get("StatusCallback", ""),
        }
        self.calls.append(TwilioCall(request.path, form, 201, self.clock(), sid))
        if self.before_answer is not None:
            await self.before_answer(sid)
        return web.json_response(self._resource(sid, form), status=201)

    def _answer(self, request: web.Request, form: dict[str, str]) -> _Failure | None:
        if not self._authorized(request, request.match_info["sid"]):
            return _Failure(401, 20003, "Authenticate")
        if self._failures:
            return self._failures.popleft()
        to = form.get("To", "")
        if not to:
            return _Failure(400, 21604, "A 'To' phone number is required.")
        if not (form.get("Body") or form.get("ContentSid")):
            return _Failure(400, 21602, "Message body is required.")
        if not (form.get("From") or form.get("MessagingServiceSid")):
            return _Failure(400, 21603, "A 'From' phone number is required.")
        unreachable = self._unreachable.get(to.removeprefix("whatsapp:"))
        if unreachable is not None:
            return unreachable
        sender = form.get("From", "")
        limit = self._limits.get(sender)
        if limit is not None and not admit(time.monotonic(), (limit, sender)):
            self.refused_by_limits += 1
            return _Failure(429, 20429, "Too Many Requests", retry_after=1)
        return None

    def _resource(self, sid: str, form: dict[str, str]) -> dict[str, Any]:
        return {
            "sid": sid,
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "body": form.get("Body", ""),
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"),
            "num_media": "0",
            "num_segments": "1",
            "status": "queued",
            "to": form["To"],
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
        }


def twilio_settings(base_url: str, **values: Any) -> Settings:
    """Settings that send WhatsApp and SMS through the double at `base_url`."""
    values.setdefault("twilio_account_sid", ACCOUNT_SID)
    values.setdefault("twilio_auth_token", AUTH_TOKEN)
    values.setdefault("twilio_whatsapp_from", WHATSAPP_FROM)
    values.setdefault("twilio_sms_from", SMS_FROM)
    values.setdefault("twilio_timeout", 5.0)
    return load_settings(twilio_base_url=base_url, **values)


def signed(url: str, fields: dict[str, str], token: str = AUTH_TOKEN) -> dict[str, str]:
    """The header Twilio sends with a callback of `fields` posted to `url`."""
    return {"X-Twilio-Signature": RequestValidator(token).compute_signature(url, fields)}
