"""What WhatsApp and SMS share: one twilio `Client` on an aiohttp session, and how Twilio's
answers become delivery results.

The client is twilio's own (`twilio.rest.Client`, `messages.create_async`), on an asynchronous
HTTP client of ours (`TwilioHttp`, a `twilio.http.AsyncHttpClient`) for two reasons twilio's
`AsyncTwilioHttpClient` does not cover: every request has a real total timeout
(`VORONKA_TWILIO_TIMEOUT`), and a 429 or 5xx keeps its `Retry-After`, which
`TwilioRestException` drops. The REST API's base URL is `VORONKA_TWILIO_BASE_URL` (the `api`
domain's `base_url`), so tests reach a loopback double.

How answers become results:

Each sender keeps its rate (`schedulers/channels/pacing.py`): a send waits for its turn, or, when
the turn is further than the pacer's limit, goes back to the outbox with that wait.

- 201 → sent, the provider id is the MessageSid;
- 429 and 5xx → retry, after `Retry-After` when Twilio gives one; a timeout or a network error
  → retry (the message may have gone: at least once);
- a Twilio error code that says the recipient or the message can never be taken (an invalid or
  unreachable number, a landline, an unsubscribed recipient, a WhatsApp message outside the
  session window) → permanent: the outbox tries the next channel;
- anything else (a wrong account, token or sender: ours to fix) → retry.
"""

from __future__ import annotations

import base64
import logging
import re
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http import AsyncHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from models.channels import DeliveryResult
from models.clock import now
from models.rules.digits import ascii_digits
from models.settings import Settings
from schedulers.channels.pacing import Pacer

log = logging.getLogger(__name__)

STATUS_CALLBACK_PATH = "/webhooks/twilio/status"
_E164 = re.compile(r"\+[1-9]\d{6,14}")

# Twilio error codes after which this recipient (or this message) will never be taken.
PERMANENT_CODES: dict[int, str] = {
    21211: "invalid 'To' number",
    21217: "the number does not appear to be valid",
    21408: "sending to this region is not enabled",
    21610: "the recipient unsubscribed (STOP)",
    21612: "the number cannot be reached from this sender",
    21614: "'To' is not a mobile number",
    21602: "the message body is required",
    21617: "the message body is too long",
    63003: "the channel could not find the 'To' address",
    63016: "outside the 24-hour window only approved templates may be sent",
    63024: "invalid message recipient",
}


def is_phone(address: str) -> bool:
    return bool(_E164.fullmatch(address))


class TwilioUnavailable(Exception):
    """Twilio answered 429 or 5xx: try again, after `retry_after` seconds when it said."""

    def __init__(self, status: int, retry_after: float | None, detail: str) -> None:
        super().__init__(f"{status} {detail}".strip())
        self.status = status
        self.retry_after = retry_after


def retry_after_of(value: str | None) -> float | None:
    """Seconds from a Retry-After header: a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if ascii_digits(value):
        return float(value)
    try:
        at = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (at - now()).total_seconds())


class TwilioHttp(AsyncHttpClient):
    """twilio's asynchronous HTTP client contract on one aiohttp session, opened on first use
    (inside the event loop) and closed with the channel."""

    def __init__(self, timeout: float) -> None:
        super().__init__(log, is_async=True, timeout=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def request(
        self,
        method: str,
        uri: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 (twilio's signature)
        allow_redirects: bool = False,
    ) -> Response:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        headers = dict(headers or {})
        if auth is not None:
            # aiohttp deprecates BasicAuth objects: the header, as RFC 7617 writes it.
            pair = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
            headers["Authorization"] = f"Basic {pair}"
        async with self._session.request(
            method.upper(),
            uri,
            params={k: str(v) for k, v in params.items()} if params else None,
            data=data,
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=timeout or self.timeout),
            allow_redirects=allow_redirects,
        ) as answer:
            text = await answer.text()
        if answer.status == 429 or answer.status >= 500:
            raise TwilioUnavailable(
                answer.status, retry_after_of(answer.headers.get("Retry-After")), _detail(text)
            )
        return Response(answer.status, text, dict(answer.headers))

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _detail(text: str) -> str:
    return " ".join(text.split())[:200]


@dataclass(frozen=True, slots=True)
class TwilioConfig:
    account_sid: str
    auth_token: str
    base_url: str = "https://api.twilio.com"
    timeout: float = 15.0
    status_callback: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> TwilioConfig | None:
        if settings.twilio_account_sid is None or settings.twilio_auth_token is None:
            return None
        callback = settings.public_url + STATUS_CALLBACK_PATH if settings.public_url else None
        return cls(
            account_sid=settings.twilio_account_sid,
            auth_token=settings.twilio_auth_token.get_secret_value(),
            base_url=settings.twilio_base_url,
            timeout=settings.twilio_timeout,
            status_callback=callback,
        )


class TwilioMessages:
    """Creates Messages through twilio's client, one sender's at most `rate` a second, and turns
    the answer into a DeliveryResult."""

    def __init__(
        self, config: TwilioConfig, name: str, *, sender: str, rate: float, pacer: Pacer
    ) -> None:
        self.config = config
        self.name = name  # "WhatsApp" or "SMS", in error texts
        self.sender = sender
        self.rate = rate
        self.pacer = pacer
        self.bucket = f"{name.lower()}:{sender}"
        self.http = TwilioHttp(config.timeout)
        self.client = Client(config.account_sid, config.auth_token, http_client=self.http)
        # The REST API's host is fixed in the library; its domain keeps it in `base_url`.
        self.client.api.base_url = config.base_url

    async def close(self) -> None:
        await self.http.close()
        await self.pacer.close()

    async def create(self, **params: Any) -> DeliveryResult:
        wait = await self.pacer.take(self.bucket, self.rate)
        if wait is not None:
            return DeliveryResult.deferred(
                f"{self.name} sender {self.sender} is at its {self.rate:g}/s", wait
            )
        if self.config.status_callback:
            params["status_callback"] = self.config.status_callback
        try:
            created = await self.client.messages.create_async(**params)
        except TwilioUnavailable as error:
            return DeliveryResult.retry(
                f"Twilio {error.status}: {self.name} not accepted now", error.retry_after
            )
        except TwilioRestException as error:
            return self._refused(error)
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            return DeliveryResult.retry(
                f"Twilio unreachable: {type(error).__name__}: {error}".rstrip(": ")
            )
        except TwilioException as error:
            return DeliveryResult.retry(f"Twilio: {error}")
        if not created.sid:
            return DeliveryResult.retry("Twilio accepted the message without a MessageSid")
        return DeliveryResult.sent(created.sid)

    def _refused(self, error: TwilioRestException) -> DeliveryResult:
        code = error.code if isinstance(error.code, int) else None
        detail = f"Twilio {error.status} error {code}: {error.msg}"
        if code in PERMANENT_CODES:
            return DeliveryResult.permanent(f"{detail} ({PERMANENT_CODES[code]})")
        log.warning("Twilio refused the %s request: %s", self.name, detail)
        return DeliveryResult.retry(detail)
