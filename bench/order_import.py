"""Order import benchmark: how long a daily file of orders takes, on SQLite and PostgreSQL.

    .venv/bin/python bench/order_import.py                 # SQLite, 10,000 rows
    .venv/bin/python bench/order_import.py --rows 200      # smoke
    .venv/bin/python bench/order_import.py --postgres postgres://postgres@127.0.0.1:5432/postgres

`--rows` clients, each with a phone and an email, and a CSV of as many orders: every row names
its client by phone, every other row is `confirmed` (so it is created, then moved, and its
client notified by email). Timed, each as `voronka orders import` runs it (a transaction per
batch of rows, a savepoint per row): reading the file; a dry run; the import that creates the
orders; the same file again (nothing changes); a file moving every order on (`confirmed` →
`paid`, `new` → `confirmed`).

Prints figures; asserts nothing. One dialect per process.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import asyncpg
from tortoise.transactions import in_transaction

from models.actor import Actor, actor_from
from models.channels import use_channels
from models.db import close_database, migrate_database, open_database
from models.entities import (
    Channel,
    Contact,
    ContactEmail,
    ContactPhone,
    Office,
    OutboundMessage,
    Role,
    User,
)
from models.ops.order_import import (
    BATCH_ROWS,
    ImportReport,
    RowAction,
    RowOutcome,
    import_orders,
)
from models.ops.org import create_office, create_user
from models.ops.templates import install_default_templates
from models.rules.order_import import OrderFile, batches, read_order_file

T = TypeVar("T")


def _phone(n: int) -> str:
    return f"+7916{n:07d}"


async def _setup(rows: int) -> Actor:
    system = Actor.system()
    async with in_transaction():
        office = await create_office(system, name="Bench", timezone="Europe/Moscow")
        head = await create_user(
            system,
            office_id=office.id,
            role=Role.HEAD,
            email="head@bench.test",
            full_name="Head",
        )
        await install_default_templates()
        await Contact.bulk_create(
            [
                Contact(
                    first_name=f"Клиент {n}",
                    owner_id=head.id,
                    office_id=office.id,
                    preferred_channels=["email"],
                )
                for n in range(rows)
            ],
            batch_size=1000,
        )
        ids = await Contact.all().order_by("id").values_list("id", flat=True)
        await ContactPhone.bulk_create(
            [
                ContactPhone(contact_id=i, number=_phone(n), last4=_phone(n)[-4:])
                for n, i in enumerate(ids)
            ],
            batch_size=1000,
        )
        await ContactEmail.bulk_create(
            [ContactEmail(contact_id=i, email=f"c{n}@bench.test") for n, i in enumerate(ids)],
            batch_size=1000,
        )
    user = await User.get(id=head.id)
    return actor_from(user, await Office.get(id=office.id))


def _file(rows: int, statuses: tuple[str, str]) -> bytes:
    lines = ["Номер;Статус;Сумма;Телефон"]
    for n in range(rows):
        lines.append(f"B-{n:06d};{statuses[n % 2]};{1000 + n},50;{_phone(n)}")
    return ("\r\n".join(lines) + "\r\n").encode("cp1251")


async def _timed(call: Callable[[], Awaitable[T]]) -> tuple[T, float]:
    started = time.perf_counter()
    result = await call()
    return result, time.perf_counter() - started


def _counts(report: ImportReport) -> str:
    return ", ".join(f"{a.value} {report.count(a)}" for a in RowAction if report.count(a))


async def _import(actor: Actor, file: OrderFile, dry_run: bool = False) -> ImportReport:
    """As the CLI and the API run it: a transaction per batch."""
    outcomes: list[RowOutcome] = []
    for batch in batches(file.rows, BATCH_ROWS):
        async with in_transaction():
            outcomes += (await import_orders(actor, batch, dry_run=dry_run)).rows
    return ImportReport(tuple(outcomes), dry_run=dry_run)


async def _bench(url: str, rows: int, name: str) -> None:
    await migrate_database(url)
    await close_database()
    await open_database(url)
    try:
        actor = await _setup(rows)
        first = _file(rows, ("new", "confirmed"))
        parsed, read_s = await _timed(lambda: asyncio.to_thread(read_order_file, first))
        print(f"{name}: read {rows} rows of CSV in {read_s:.2f} s")
        with use_channels({Channel.EMAIL}):
            for label, data, dry_run in (
                ("dry run", first, True),
                ("first import", first, False),
                ("same file again", first, False),
                ("status changes", _file(rows, ("confirmed", "paid")), False),
            ):
                file = parsed if data is first else read_order_file(data)
                report, seconds = await _timed(lambda f=file, d=dry_run: _import(actor, f, d))
                print(
                    f"{name}: {label}: {seconds:.2f} s ({rows / seconds:,.0f} rows/s); "
                    f"{_counts(report)}"
                )
        print(f"{name}: outbox rows {await OutboundMessage.all().count()}")
    finally:
        await close_database()


async def bench_sqlite(rows: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        await _bench(f"sqlite://{Path(folder) / 'bench.sqlite3'}", rows, "sqlite")


async def bench_postgres(admin_url: str, rows: int) -> None:
    name = f"voronka_bench_{uuid.uuid4().hex[:8]}"
    dsn = admin_url.replace("postgres://", "postgresql://", 1)
    admin = await asyncpg.connect(dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        await _bench(f"{admin_url.rsplit('/', 1)[0]}/{name}", rows, "postgres")
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000, help="orders in the file")
    parser.add_argument("--postgres", help="admin URL of a PostgreSQL server to bench instead")
    args = parser.parse_args()
    if args.postgres:
        asyncio.run(bench_postgres(args.postgres, args.rows))
    else:
        asyncio.run(bench_sqlite(args.rows))


if __name__ == "__main__":
    main()
