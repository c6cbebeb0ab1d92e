"""Email through SMTP with aiosmtplib: a new connection per message, always with a timeout.

A message is multipart/alternative: the plain text first, then the HTML. Headers are built by
`email.message.EmailMessage` with the default policy, which encodes Cyrillic subjects and
display names as RFC 2047 encoded words. The Message-ID we generate is the provider id.

How SMTP answers become results:

- accepted → sent;
- the recipient refused with 5xx, or the message refused with 5xx after DATA → permanent
  (that mailbox or that message will never be taken; the outbox tries the next channel);
- any 4xx, a refused sender or sign-in, an unreachable or silent server, a timeout → retry:
  those are temporary or ours to fix, and the message waits for it.
"""

from __future__ import annotations

import html
import logging
import re
from dataclasses import dataclass
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Literal

import aiosmtplib

from models.channels import DeliveryResult, Outgoing
from models.clock import now
from models.entities import Channel
from models.settings import Settings
from schedulers.channels.pacing import MemoryPacer, Pacer

log = logging.getLogger(__name__)

TlsMode = Literal["starttls", "ssl", "none"]
DEFAULT_PORTS: dict[str, int] = {"starttls": 587, "ssl": 465, "none": 25}
DEFAULT_RATE = 20.0  # emails a second, as VORONKA_SMTP_RATE


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    host: str
    port: int
    sender: str  # the From header: "Name <address>" or an address
    tls: TlsMode = "starttls"
    username: str | None = None
    password: str | None = None
    timeout: float = 30.0
    ca_file: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpConfig | None:
        if not settings.smtp_host or not settings.smtp_from:
            return None
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port or DEFAULT_PORTS[settings.smtp_tls],
            sender=settings.smtp_from,
            tls=settings.smtp_tls,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            timeout=settings.smtp_timeout,
            ca_file=str(settings.smtp_ca_file) if settings.smtp_ca_file else None,
        )

    @property
    def sender_address(self) -> Address:
        name, address = parseaddr(self.sender)
        return Address(display_name=name, addr_spec=address)


_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_BLOCK_END = re.compile(r"</(p|div|h[1-6]|li|tr)>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")
_BLANK_LINES = re.compile(r"\n{3,}")


def plain_text(markup: str) -> str:
    """A readable plain-text version of simple HTML, for an email without its own."""
    text = _BLOCK_END.sub("\n\n", _BREAK.sub("\n", markup))
    text = html.unescape(_TAG.sub("", text))
    return _BLANK_LINES.sub("\n\n", "\n".join(line.strip() for line in text.splitlines())).strip()


class InvalidRecipient(ValueError):
    """The address cannot be written into a To header."""


class EmailChannel:
    channel = Channel.EMAIL

    def __init__(
        self, config: SmtpConfig, *, rate: float = DEFAULT_RATE, pacer: Pacer | None = None
    ) -> None:
        self.config = config
        self.rate = rate
        self.pacer = pacer or MemoryPacer()

    async def close(self) -> None:
        """Every message opens and closes its own SMTP connection: only the pacer is kept."""
        await self.pacer.close()

    def compose(self, message: Outgoing) -> EmailMessage:
        sender = self.config.sender_address
        try:
            recipient = Address(display_name=message.recipient_name, addr_spec=message.address)
        except (ValueError, IndexError, HeaderParseError) as error:
            raise InvalidRecipient(str(error)) from error
        email = EmailMessage()
        email["Subject"] = message.subject
        email["From"] = sender
        email["To"] = recipient
        email["Date"] = format_datetime(now())
        email["Message-ID"] = make_msgid(domain=sender.domain or "voronka.invalid")
        email.set_content(message.text_body or plain_text(message.body))
        if message.body:
            email.add_alternative(message.body, subtype="html")
        return email

    def _tls_options(self) -> dict[str, object]:
        mode = self.config.tls
        options: dict[str, object] = {
            "use_tls": mode == "ssl",
            "start_tls": mode == "starttls",
        }
        if mode != "none" and self.config.ca_file:
            options["cert_bundle"] = self.config.ca_file
        return options

    async def deliver(self, message: Outgoing) -> DeliveryResult:
        wait = await self.pacer.take(f"email:{self.config.sender_address.addr_spec}", self.rate)
        if wait is not None:
            return DeliveryResult.deferred(f"email is at its {self.rate:g}/s", wait)
        try:
            email = self.compose(message)
        except InvalidRecipient as error:
            return DeliveryResult.permanent(f"invalid address {message.address!r}: {error}")
        config = self.config
        try:
            await aiosmtplib.send(
                email,
                sender=config.sender_address.addr_spec,
                recipients=[message.address],
                hostname=config.host,
                port=config.port,
                username=config.username,
                password=config.password,
                timeout=config.timeout,
                **self._tls_options(),  # type: ignore[arg-type]
            )
        except aiosmtplib.SMTPRecipientsRefused as error:
            codes = [refused.code for refused in error.recipients]
            detail = "; ".join(f"{r.code} {r.message}" for r in error.recipients)
            return _by_code(min(codes, default=450), f"recipient refused: {detail}")
        except aiosmtplib.SMTPRecipientRefused as error:
            return _by_code(error.code, f"recipient refused: {error.code} {error.message}")
        except aiosmtplib.SMTPDataError as error:
            return _by_code(error.code, f"message refused: {error.code} {error.message}")
        except (aiosmtplib.SMTPAuthenticationError, aiosmtplib.SMTPSenderRefused) as error:
            log.warning("SMTP refused our sign-in or sender: %s %s", error.code, error.message)
            return DeliveryResult.retry(f"SMTP refused the sign-in or sender: {error}")
        except aiosmtplib.SMTPResponseException as error:
            return DeliveryResult.retry(f"SMTP answered {error.code} {error.message}")
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            return DeliveryResult.retry(f"SMTP unreachable: {type(error).__name__}: {error}")
        return DeliveryResult.sent(str(email["Message-ID"]))


def _by_code(code: int, detail: str) -> DeliveryResult:
    if 500 <= code < 600:
        return DeliveryResult.permanent(detail)
    return DeliveryResult.retry(detail)
