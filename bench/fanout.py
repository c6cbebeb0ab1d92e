"""Fan-out benchmark: 100k notifications to 100k clients through the outbox, against loopback
doubles of the platforms that enforce their limits.

    .venv/bin/python bench/fanout.py                     # SQLite, 100k clients, 60 s of delivery
    .venv/bin/python bench/fanout.py --postgres postgres://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/fanout.py --contacts 2000 --seconds 15 --api-seconds 5   # a smoke run
    .venv/bin/python bench/fanout.py --split   # the relay in a separate `voronka scheduler`


1. Seeds the demo account plus clients who prefer, in turn: Telegram (a chat id) 4 in 10,
   WhatsApp 2 in 10, SMS 1 in 10, email 3 in 10.
2. Enqueues one notification per client (`enqueue_for_contact`, 1,000 per transaction) and
   reports the time. The messages are held (due in the far future) until step 4.
3. Starts `voronka run` (the API, and its scheduler with the relay as a child process, ADR 0026;
   with `--split` the API alone, next to a separately started `voronka scheduler` that relays)
   against doubles that answer 429 above the platforms' limits (Telegram: 30 sends a second,
   one a second per chat; Twilio: 10 WhatsApp and 1 SMS a second per sender) and an SMTP server
   (aiosmtpd). Push is not part of it. It measures the contact list's latency while idle.
4. Releases the messages and measures, for `--seconds`: each channel's delivery rate, as a share
   of its limit where it has one; the share of sends refused with 429; and the contact list's
   latency during the fan-out.
5. Stops the server and accounts for every message. A message is lost if the database says
   sent but no double received it, or if its row is missing. The run also reports duplicates
   and what is still waiting.

Targets (issue #5): rate ≥ 90 % of each limit, ≤ 1 % 429s, 0 lost, API p95 during the fan-out
≤ 1.25 × idle. It asserts nothing: it prints. Traffic goes to 127.0.0.1 only; every phase is
bounded in time.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # not bench/: its api.py would shadow the project's api package

from tortoise.transactions import in_transaction  # noqa: E402

from bench.api import (  # noqa: E402
    MANAGER,
    PASSWORD,
    Client,
    bench_database,
    cpu_seconds,
    seed,
    start_server,
)
from models.channels import use_channels  # noqa: E402
from models.clock import now  # noqa: E402
from models.db import close_database, open_database  # noqa: E402
from models.entities import (  # noqa: E402
    Channel,
    ChannelIdentity,
    Contact,
    MessageState,
    OutboundMessage,
)
from models.ops.outbox import enqueue_for_contact  # noqa: E402
from models.ops.templates import install_default_templates  # noqa: E402
from tests.doubles.smtp import SmtpDouble, smtp_server  # noqa: E402
from tests.doubles.telegram_api import TelegramApiDouble  # noqa: E402
from tests.doubles.twilio_api import (  # noqa: E402
    ACCOUNT_SID,
    AUTH_TOKEN,
    SMS_FROM,
    WHATSAPP_FROM,
    TwilioApiDouble,
)

TELEGRAM_LIMIT = 30  # sends a second, overall
WHATSAPP_LIMIT = 10  # a second per sender
SMS_LIMIT = 1
# Each client's channel, by the last digit of its position: 4 in 10 Telegram, 2 WhatsApp, 1 SMS,
# 3 email.
PREFERENCE = ["telegram"] * 4 + ["whatsapp"] * 2 + ["sms"] + ["email"] * 3
CHAT_BASE = 7_000_000_000  # chat ids of the clients reachable in Telegram
ENQUEUE_BATCH = 1000
HELD = timedelta(days=3650)
API_CLIENTS = 4


async def prepare(url: str, contacts: int) -> tuple[int, float]:
    """Clients prefer channels by PREFERENCE (Telegram ones get a chat id; every client has a
    phone and an email). Returns how many messages were enqueued and how long it took."""
    await seed(url, contacts, 0)
    await open_database(url)
    try:
        async with in_transaction():
            await install_default_templates()
        ids = await Contact.all().order_by("id").values_list("id", flat=True)
        by_channel: dict[str, list[int]] = {channel: [] for channel in PREFERENCE}
        for position, contact_id in enumerate(ids):
            by_channel[PREFERENCE[position % len(PREFERENCE)]].append(contact_id)
        async with in_transaction():
            await ChannelIdentity.bulk_create(
                [
                    ChannelIdentity(
                        channel=Channel.TELEGRAM, address=str(CHAT_BASE + i), contact_id=i
                    )
                    for i in by_channel["telegram"]
                ],
                batch_size=500,
            )
            for channel, members in by_channel.items():
                for start in range(0, len(members), ENQUEUE_BATCH):
                    await Contact.filter(id__in=members[start : start + ENQUEUE_BATCH]).update(
                        preferred_channels=[channel]
                    )
        started = time.perf_counter()
        with use_channels({Channel.TELEGRAM, Channel.WHATSAPP, Channel.SMS, Channel.EMAIL}):
            for start in range(0, len(ids), ENQUEUE_BATCH):
                async with in_transaction():
                    chunk = await Contact.filter(id__in=ids[start : start + ENQUEUE_BATCH])
                    for contact in chunk:
                        await enqueue_for_contact(
                            contact, "thanks_after_call", dedup_key=f"fanout:{contact.id}"
                        )
        elapsed = time.perf_counter() - started
        async with in_transaction():
            await OutboundMessage.all().update(next_attempt_at=now() + HELD)
        return await OutboundMessage.filter(state=MessageState.QUEUED).count(), elapsed
    finally:
        await close_database()


async def release(url: str) -> None:
    await open_database(url)
    try:
        async with in_transaction():
            await OutboundMessage.filter(state=MessageState.QUEUED).update(next_attempt_at=now())
    finally:
        await close_database()


async def account(url: str) -> Counter[tuple[str, str]]:
    """Messages by (channel, state) once the server has stopped."""
    await open_database(url)
    try:
        rows = await OutboundMessage.all().values_list("channel", "state")
        return Counter((str(channel), str(state)) for channel, state in rows)
    finally:
        await close_database()


async def list_latencies(client: Client, seconds: float) -> list[float]:
    """API_CLIENTS clients reading the contact list, one request after another, for `seconds`."""
    latencies: list[float] = []
    deadline = time.monotonic() + seconds

    async def reader() -> None:
        while time.monotonic() < deadline:
            started = time.perf_counter()
            reply = await client.get("/v1/contacts", params={"limit": 50, "sort": "-updated_at"})
            if reply.status == 200:
                latencies.append((time.perf_counter() - started) * 1000)

    await asyncio.gather(*(reader() for _ in range(API_CLIENTS)))
    return latencies


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] if ordered else float("nan")


def start_scheduler(url: str, folder: Path, settings: dict[str, str]) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VORONKA_")}
    env |= {"VORONKA_DATABASE_URL": url, "VORONKA_DATA_DIR": str(folder), **settings}
    return subprocess.Popen(
        [sys.executable, "-m", "cli.main", "scheduler"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=60)


LIMITS = {"telegram": TELEGRAM_LIMIT, "whatsapp": WHATSAPP_LIMIT, "sms": SMS_LIMIT, "email": None}


@dataclass
class Doubles:
    telegram: TelegramApiDouble
    twilio: TwilioApiDouble
    smtp: SmtpDouble

    def received(self) -> dict[str, list[str]]:
        """Per channel, the address of every message a double accepted."""
        twilio = [(c.params.get("From", ""), c.params.get("To", "")) for c in self.twilio.sent()]
        return {
            "telegram": [str(call.chat_id) for call in self.telegram.sent()],
            "whatsapp": [to for sender, to in twilio if sender.startswith("whatsapp:")],
            "sms": [to for sender, to in twilio if not sender.startswith("whatsapp:")],
            "email": [to for recipients in self.smtp.mailbox.recipients for to in recipients],
        }

    def counts(self) -> dict[str, int]:
        return {channel: len(addresses) for channel, addresses in self.received().items()}

    def refused(self) -> dict[str, int]:
        return {
            "telegram": self.telegram.refused_by_limits,
            "twilio": self.twilio.refused_by_limits,
        }

    def settings(self) -> dict[str, str]:
        return {
            "VORONKA_TELEGRAM_TOKEN": "123456:bench",
            "VORONKA_TELEGRAM_API_BASE": self.telegram.url,
            "VORONKA_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "VORONKA_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "VORONKA_TWILIO_WHATSAPP_FROM": WHATSAPP_FROM,
            "VORONKA_TWILIO_SMS_FROM": SMS_FROM,
            "VORONKA_TWILIO_BASE_URL": self.twilio.url,
            "VORONKA_SMTP_HOST": self.smtp.host,
            "VORONKA_SMTP_PORT": str(self.smtp.port),
            "VORONKA_SMTP_TLS": "none",
            "VORONKA_SMTP_FROM": "Воронка <crm@bench.test>",
            "VORONKA_OUTBOX_INTERVAL": "1",
            "VORONKA_LOG_LEVEL": "WARNING",
        }


async def fan_out(
    url: str, folder: Path, seconds: float, api_seconds: float, *, split: bool
) -> None:
    async with TelegramApiDouble() as telegram, TwilioApiDouble() as twilio, smtp_server() as smtp:
        telegram.enforce_limits(per_second=TELEGRAM_LIMIT, per_chat_interval=1.0)
        twilio.enforce_limits({f"whatsapp:{WHATSAPP_FROM}": WHATSAPP_LIMIT, SMS_FROM: SMS_LIMIT})
        doubles = Doubles(telegram, twilio, smtp)
        channels = doubles.settings()
        relay = start_scheduler(url, folder, channels) if split else None
        api_settings = {**channels, "VORONKA_SCHEDULER": "false"} if split else channels
        process, base = start_server(url, folder, api_settings)
        client = Client(base, process.pid)
        try:
            login = await client.post(
                "/v1/auth/login", json={"login": MANAGER, "password": PASSWORD}
            )
            client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
            await list_latencies(client, 2)  # warm-up
            idle = await list_latencies(client, api_seconds)
            await release(url)
            await asyncio.sleep(5)  # the relay's first run and the pacing's ramp
            working = relay or process
            cpu_before = cpu_seconds(working.pid)
            before, refused_before = doubles.counts(), doubles.refused()
            started = time.perf_counter()
            busy = await list_latencies(client, seconds)
            elapsed = time.perf_counter() - started
            after, refused_after = doubles.counts(), doubles.refused()
            cpu_after = cpu_seconds(working.pid)
        finally:
            await client.close()
            await asyncio.to_thread(stop, process)
            if relay is not None:
                await asyncio.to_thread(stop, relay)
        for channel, limit in LIMITS.items():
            rate = (after[channel] - before[channel]) / elapsed
            share = f" = {rate / limit:.0%} of the limit ({limit}/s)" if limit else " (no limit)"
            print(f"{channel}: {rate:.1f} msg/s{share}")
        tries = {
            "telegram": len(telegram.calls_of("sendMessage")),
            "twilio": len(twilio.calls),
        }
        for platform, attempts in tries.items():
            refused = refused_after[platform]
            share = refused / max(attempts, 1)
            print(
                f"{platform} 429: {refused} of {attempts} sends ({share:.2%}), "
                f"{refused - refused_before[platform]} in the window"
            )
        if cpu_before is not None and cpu_after is not None:
            share = (cpu_after - cpu_before) / elapsed
            where = "voronka scheduler" if split else "voronka run"
            print(f"{where} CPU during the window: {share:.0%} of a core")
        print(
            f"contact list, {API_CLIENTS} clients: idle p50 {statistics.median(idle):.1f} ms, "
            f"p95 {p95(idle):.1f} ms ({len(idle)} requests); during the fan-out p50 "
            f"{statistics.median(busy):.1f} ms, p95 {p95(busy):.1f} ms ({len(busy)} requests); "
            f"p95 ratio {p95(busy) / p95(idle):.2f}"
        )
        await report_accounting(url, doubles)


async def report_accounting(url: str, doubles: Doubles) -> None:
    states = await account(url)
    for channel, received in doubles.received().items():
        sent = states[(channel, "sent")]
        distinct = len(set(received))
        waiting = sum(n for (c, s), n in states.items() if c == channel and s != "sent")
        by_state = ", ".join(f"{s} {n}" for (c, s), n in sorted(states.items()) if c == channel)
        print(
            f"{channel}: {by_state}; the double received {len(received)} ({distinct} distinct); "
            f"lost {max(sent - distinct, 0)}, duplicates {len(received) - distinct}, "
            f"still to send {waiting}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--postgres", help="admin URL of a PostgreSQL server (default: SQLite)")
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=60, help="the measured delivery window")
    parser.add_argument("--api-seconds", type=float, default=15, help="the idle API window")
    parser.add_argument(
        "--split", action="store_true", help="relay in `voronka scheduler`, apart from the API"
    )
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp,
        bench_database(args.postgres, Path(tmp), "fanout") as url,
    ):
        queued, took = asyncio.run(prepare(url, args.contacts))
        print(
            f"dialect {'postgres' if args.postgres else 'sqlite'}: enqueued {queued} messages "
            f"in {took:.1f} s ({queued / took:.0f}/s)"
        )
        print(
            "topology:",
            "voronka run (API) + voronka scheduler"
            if args.split
            else "voronka run (API, scheduler as its child process)",
        )
        asyncio.run(fan_out(url, Path(tmp), args.seconds, args.api_seconds, split=args.split))


if __name__ == "__main__":
    main()
