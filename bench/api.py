"""API benchmark: a seeded database, `voronka run` on loopback, five scenarios at 20 clients.

    .venv/bin/python bench/api.py                       # SQLite, 100k contacts, 20k deals
    .venv/bin/python bench/api.py --postgres postgres://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/api.py --contacts 2000 --deals 400 --requests 100   # a smoke run
    .venv/bin/python bench/api.py --rounds 5            # a series on one seeded database
    .venv/bin/python bench/api.py --with-scheduler      # the scheduler's process running too
    .venv/bin/python bench/api.py --api-workers 1       # the API in one process (ADR 0027)

Scenarios: S1 create contact, S2 a filtered list of 50 contacts, S3 the deal card, S4 stage moves
by 20 concurrent writers, S5 the board. Prints p50/p95 latency, requests/s, errors by status and
bytes per response raw and gzipped. Targets (issue #3, SQLite, this 2-core machine): S2 and S3
p95 ≤ 50 ms, a list of 50 contacts ≤ 4 KB gzipped, no "database is locked" in S4. It asserts
nothing: it reports. Traffic goes to 127.0.0.1 only; every loop is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tortoise import connections  # noqa: E402
from tortoise.transactions import in_transaction  # noqa: E402

from models.clock import now  # noqa: E402
from models.db import close_database, migrate_database, open_database  # noqa: E402
from models.demo.ids import reserve_ids  # noqa: E402
from models.demo.seed import seed_demo  # noqa: E402
from models.entities import (  # noqa: E402
    Contact,
    ContactEmail,
    ContactPhone,
    Deal,
    Pipeline,
    Stage,
    StageKind,
    StageTransition,
    User,
)
from models.ops.search_index import rebuild_search_index  # noqa: E402
from models.settings import load_settings  # noqa: E402

CONCURRENCY = 20
BATCH = 2000
MANAGER = "manager@demo.test"
PASSWORD = "demo-password"


@dataclass
class Result:
    name: str
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    raw_bytes: list[int] = field(default_factory=list)
    gzip_bytes: list[int] = field(default_factory=list)
    elapsed: float = 0.0
    locked: int = 0
    server_cpu: float | None = None

    def report(self) -> str:
        ms = sorted(x * 1000 for x in self.latencies)
        p50 = statistics.median(ms)
        p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
        rps = len(ms) / self.elapsed if self.elapsed else 0.0
        size = ""
        if self.raw_bytes:
            size = (
                f", {statistics.median(self.raw_bytes) / 1024:.1f} KB raw / "
                f"{statistics.median(self.gzip_bytes) / 1024:.1f} KB gzip"
            )
        statuses = ", ".join(f"{k}×{v}" for k, v in sorted(self.statuses.items()))
        locked = f", database locked: {self.locked}" if self.name.startswith("S4") else ""
        cpu = ""
        if self.server_cpu is not None:
            cpu = f"  server CPU {1000 * self.server_cpu / len(ms):4.2f} ms/req"
        return (
            f"{self.name:<28} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  {rps:7.1f} req/s{cpu}  "
            f"[{statuses}]{size}{locked}"
        )


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time so far of a process and its children, on Linux:
    the server's cost per request apart from the client's, which shares this machine."""
    total, found = 0, False
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if stat.parent.name == str(pid) or fields[1] == str(pid):
            total += int(fields[11]) + int(fields[12])
            found = True
    return total / os.sysconf("SC_CLK_TCK") if found else None


async def seed(url: str, contacts: int, deals: int) -> None:
    """The demo account, then more contacts and deals in bulk up to the asked numbers."""
    await migrate_database(url)
    await close_database()
    await open_database(url)
    try:
        async with in_transaction():
            await seed_demo("ru")
            await _more_contacts(contacts - await Contact.all().count())
            await _more_deals(deals - await Deal.all().count())
            await rebuild_search_index()
        # Fresh statistics, as autovacuum (PostgreSQL) or `PRAGMA optimize` (SQLite) would
        # have after a bulk load: without them PostgreSQL's planner guesses row counts and its
        # index-only scans still visit the table.
        connection = connections.get("default")
        if connection.capabilities.dialect == "postgres":
            await connection.execute_script("VACUUM ANALYZE")
        else:
            await connection.execute_script("ANALYZE")
    finally:
        await close_database()


async def _more_contacts(count: int) -> None:
    rng = random.Random(7)
    managers = await User.filter(role="manager")
    for start in range(0, max(count, 0), BATCH):
        size = min(BATCH, count - start)
        ids = await reserve_ids(Contact, size)
        rows, phones, emails = [], [], []
        for offset, contact_id in enumerate(ids):
            owner = rng.choice(managers)
            rows.append(
                Contact(
                    id=contact_id,
                    first_name=rng.choice(["Иван", "Анна", "Пётр", "Мария", "Олег", "Елена"]),
                    last_name=rng.choice(["Смирнов", "Иванова", "Кузнецов", "Попова", "Орлов"]),
                    position="Менеджер по закупкам",
                    owner_id=owner.id,
                    office_id=owner.office_id,
                )
            )
            number = f"+7912{start + offset:07d}"
            phones.append(ContactPhone(contact_id=contact_id, number=number, last4=number[-4:]))
            emails.append(ContactEmail(contact_id=contact_id, email=f"c{contact_id}@bench.test"))
        await Contact.bulk_create(rows, batch_size=500)
        await ContactPhone.bulk_create(phones, batch_size=500)
        await ContactEmail.bulk_create(emails, batch_size=500)


async def _more_deals(count: int) -> None:
    rng = random.Random(11)
    managers = await User.filter(role="manager")
    pipeline = await Pipeline.filter(is_default=True).first()
    assert pipeline is not None
    stages = await Stage.filter(pipeline_id=pipeline.id, kind=StageKind.OPEN).order_by("position")
    contact_ids = await Contact.all().limit(5000).values_list("id", flat=True)
    at = now()
    for start in range(0, max(count, 0), BATCH):
        size = min(BATCH, count - start)
        ids = await reserve_ids(Deal, size)
        deals, stays = [], []
        for deal_id in ids:
            owner, stage = rng.choice(managers), rng.choice(stages)
            entered = at - timedelta(days=rng.randint(0, 30))
            deals.append(
                Deal(
                    id=deal_id,
                    title=f"Поставка №{deal_id}",
                    amount_minor=rng.randint(1, 500) * 100_000,
                    pipeline_id=pipeline.id,
                    stage_id=stage.id,
                    stage_entered_at=entered,
                    owner_id=owner.id,
                    office_id=owner.office_id,
                    contact_id=rng.choice(contact_ids),
                    created_at=entered,
                    updated_at=entered,
                )
            )
            stays.append(StageTransition(deal_id=deal_id, stage_id=stage.id, entered_at=entered))
        await Deal.bulk_create(deals, batch_size=500)
        await StageTransition.bulk_create(stays, batch_size=500)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def listening_sockets(port: int) -> int:
    """How many sockets listen on the port: the first API process answers /healthz while the
    others still start, and a client that connects then has every connection on the first."""
    lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return sum(
        1 for line in lines if line.split()[3] == "0A" and int(line.split()[1][-4:], 16) == port
    )


def start_server(
    url: str, folder: Path, settings: Mapping[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    """`voronka run` on a free loopback port, with `settings` (VORONKA_* variables) added."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("VORONKA_")}
    env |= {
        "VORONKA_DATABASE_URL": url,
        "VORONKA_DATA_DIR": str(folder),
        "VORONKA_RATE_LIMIT_PER_MINUTE": "1000000",
        "VORONKA_LOG_LEVEL": "WARNING",
        **(settings or {}),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "run", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    workers = env.get("VORONKA_API_WORKERS")
    processes = load_settings(api_workers=int(workers) if workers else None).api_process_count
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"voronka run exited: {process.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
        try:
            httpx.get(f"{base}/healthz", timeout=1)
        except httpx.TransportError:
            time.sleep(0.2)
            continue
        if listening_sockets(port) >= processes:
            return process, base
        time.sleep(0.2)
    process.kill()
    raise SystemExit("voronka run did not start within 90 s")


@dataclass
class Reply:
    status: int
    body: bytes
    wire_bytes: int
    headers: Mapping[str, str]

    def json(self) -> Any:
        return json.loads(self.body)


class Client:
    """A thin aiohttp client: httpx spent more CPU per request than the server under test,
    so its own queueing showed up as the API's latency."""

    def __init__(self, base: str, server_pid: int) -> None:
        self.server_pid = server_pid
        connector = aiohttp.TCPConnector(limit=CONCURRENCY)
        self.session = aiohttp.ClientSession(
            base, connector=connector, timeout=aiohttp.ClientTimeout(total=30)
        )
        self.headers: dict[str, str] = {"Accept-Encoding": "gzip"}

    async def request(self, method: str, path: str, **kwargs: Any) -> Reply:
        headers = self.headers | kwargs.pop("headers", {})
        async with self.session.request(method, path, headers=headers, **kwargs) as response:
            body = await response.read()
            wire = int(response.headers.get("Content-Length", len(body)))
            return Reply(response.status, body, wire, response.headers)

    async def get(self, path: str, **kwargs: Any) -> Reply:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> Reply:
        return await self.request("POST", path, **kwargs)

    async def close(self) -> None:
        await self.session.close()


async def run_scenario(
    name: str, total: int, call: Callable[[Client, int], Awaitable[Reply]], client: Client
) -> Result:
    result = Result(name)
    cpu_before = cpu_seconds(client.server_pid)
    queue = iter(range(total))

    async def worker() -> None:
        for index in queue:
            started = time.perf_counter()
            response = await call(client, index)
            result.latencies.append(time.perf_counter() - started)
            result.statuses[response.status] += 1
            if response.status >= 500 and b"locked" in response.body:
                result.locked += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    result.elapsed = time.perf_counter() - started
    cpu_after = cpu_seconds(client.server_pid)
    if cpu_before is not None and cpu_after is not None:
        result.server_cpu = cpu_after - cpu_before
    return result


async def drive(base: str, server_pid: int, requests: int) -> list[Result]:
    client = Client(base, server_pid)
    try:
        return await _scenarios(client, requests)
    finally:
        await client.close()


async def _scenarios(client: Client, requests: int) -> list[Result]:
    login = await client.post("/v1/auth/login", json={"login": MANAGER, "password": PASSWORD})
    client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
    me = (await client.get("/v1/me")).json()
    listed = await client.get("/v1/deals", params={"limit": 200, "status": "open"})
    deal_ids = [d["id"] for d in listed.json()["items"]]
    pipeline = (await client.get("/v1/pipelines")).json()["items"][0]
    open_stages = [
        s["id"] for s in pipeline["stages"] if s["kind"] == "open" and not s["required_fields"]
    ]
    run = uuid.uuid4().int % 10_000_000
    results = []

    async def create(c: Client, i: int) -> Reply:
        body = {
            "first_name": "Бенч",
            "last_name": f"Тестов{i}",
            "phones": [f"+7913{run:07d}"[:-3] + f"{i:03d}"],
        }
        return await c.post("/v1/contacts", json=body, params={"force": "true"})

    sizes: list[tuple[int, int]] = []

    async def listing(c: Client, i: int) -> Reply:
        params = {"limit": 50, "owner_id": me["id"], "sort": "-updated_at"}
        response = await c.get("/v1/contacts", params=params)
        sizes.append((len(response.body), response.wire_bytes))
        return response

    async def card(c: Client, i: int) -> Reply:
        return await c.get(f"/v1/deals/{deal_ids[i % len(deal_ids)]}/card")

    async def move(c: Client, i: int) -> Reply:
        deal_id = deal_ids[i % len(deal_ids)]
        current = await c.get(f"/v1/deals/{deal_id}")
        target = random.choice([s for s in open_stages if s != current.json()["stage_id"]])
        return await c.post(
            f"/v1/deals/{deal_id}/move",
            json={"stage_id": target},
            headers={"If-Match": current.headers["ETag"]},
        )

    async def board(c: Client, i: int) -> Reply:
        return await c.get(f"/v1/pipelines/{pipeline['id']}/board")

    results.append(await run_scenario("S1 create contact", requests, create, client))
    s2 = await run_scenario("S2 list 50 (owner filter)", requests, listing, client)
    s2.raw_bytes = [raw for raw, _ in sizes]
    s2.gzip_bytes = [wire for _, wire in sizes]
    results.append(s2)
    results.append(await run_scenario("S3 deal card", requests, card, client))
    results.append(await run_scenario("S4 move stage, 20 writers", requests, move, client))
    results.append(await run_scenario("S5 board", max(requests // 4, 20), board, client))
    return results


async def _pg(admin_url: str, statement: str) -> None:
    connection = await asyncpg.connect(admin_url.replace("postgres://", "postgresql://", 1))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@contextlib.contextmanager
def bench_database(postgres: str | None, folder: Path, name: str) -> Iterator[str]:
    """The URL of a fresh database: a throw-away PostgreSQL database on the server `postgres`
    (an admin URL), dropped afterwards, or an SQLite file in `folder`."""
    if not postgres:
        yield f"sqlite://{folder / f'{name}.sqlite3'}"
        return
    database = f"voronka_{name}_{uuid.uuid4().hex[:8]}"
    asyncio.run(_pg(postgres, f'CREATE DATABASE "{database}"'))
    try:
        yield f"{postgres.rsplit('/', 1)[0]}/{database}"
    finally:
        asyncio.run(_pg(postgres, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--postgres", help="admin URL of a PostgreSQL server (default: SQLite)")
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--deals", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=1000, help="per scenario")
    parser.add_argument(
        "--rounds", type=int, default=1, help="run the scenarios this many times on one server"
    )
    parser.add_argument(
        "--api-workers",
        type=int,
        help="API processes of `voronka run` (default: its own, one per core up to 4)",
    )
    parser.add_argument(
        "--with-scheduler",
        action="store_true",
        help="start the scheduler too (its first runs work through every seeded deal)",
    )
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp,
        bench_database(args.postgres, Path(tmp), "bench") as url,
    ):
        started = time.perf_counter()
        asyncio.run(seed(url, args.contacts, args.deals))
        print(
            f"dialect {'postgres' if args.postgres else 'sqlite'}: seeded {args.contacts} "
            f"contacts, {args.deals} deals in {time.perf_counter() - started:.1f} s; "
            f"{CONCURRENCY} clients"
        )
        # The API alone by default: `voronka run` starts its scheduler as a second process
        # (ADR 0026), whose first runs walk the 20,000 seeded deals (deal timers, digests) and
        # would take the cores and the write lock from the scenarios at random moments.
        scheduler = {} if args.with_scheduler else {"VORONKA_SCHEDULER": "false"}
        workers = load_settings(api_workers=args.api_workers).api_process_count
        print(f"API processes: {workers}")
        process, base = start_server(
            url, Path(tmp), scheduler | {"VORONKA_API_WORKERS": str(workers)}
        )
        try:
            for round_number in range(1, args.rounds + 1):
                if args.rounds > 1:
                    print(f"-- round {round_number} of {args.rounds}")
                for result in asyncio.run(drive(base, process.pid, args.requests)):
                    print(result.report())
        finally:
            process.send_signal(signal.SIGINT)
            _, errors = process.communicate(timeout=30)
            locked = errors.decode(errors="replace").count("database is locked")
            print(f"server log: 'database is locked' ×{locked}")


if __name__ == "__main__":
    main()
