"""A real SMTP server (aiosmtpd) on loopback that keeps what it receives, for the email channel.

It runs on the test's own event loop. Tests make it refuse recipients or messages with a given
reply (`rcpt_reply`, `data_reply`), or hold a message after receiving it (`hold`) to cut a
delivery between the server's receipt and the sender hearing "250".
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session


@dataclass
class Mailbox:
    received: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)
    rcpt_reply: str | None = None
    data_reply: str | None = None
    hold: asyncio.Event | None = None
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.data_reply:
            return self.data_reply
        content: Any = envelope.original_content or envelope.content
        parsed = message_from_bytes(content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.received.append(parsed)
        self.recipients.append(list(envelope.rcpt_tos))
        self.arrived.set()
        if self.hold is not None:
            await self.hold.wait()
        return "250 Message accepted for delivery"


@dataclass
class SmtpDouble:
    mailbox: Mailbox
    port: int
    host: str = "127.0.0.1"


@asynccontextmanager
async def smtp_server() -> AsyncIterator[SmtpDouble]:
    loop = asyncio.get_running_loop()
    mailbox = Mailbox()
    server = await loop.create_server(
        lambda: SMTP(mailbox, hostname="mx.voronka.test", ident="voronka-test-smtp"),
        "127.0.0.1",
        0,
    )
    port = int(server.sockets[0].getsockname()[1])
    try:
        yield SmtpDouble(mailbox, port)
    finally:
        if mailbox.hold is not None:
            mailbox.hold.set()
        server.close()
        await server.wait_closed()


def free_port() -> int:
    """A loopback port nothing listens on (for "the SMTP server is down")."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
