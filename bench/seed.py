"""How long `voronka demo` takes to seed, and how big the database gets, on SQLite and PostgreSQL.

Run: `.venv/bin/python bench/seed.py` (SQLite), or with
`--postgres postgres://postgres@127.0.0.1:5432/postgres` (a throw-away database, dropped after).
One dialect per process: Tortoise keeps per-dialect state in the model classes.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
from tortoise.transactions import in_transaction

from models.db import close_database, migrate_database, open_database
from models.demo.seed import seed_demo


async def _seed(url: str) -> tuple[float, float, dict[str, int]]:
    started = time.perf_counter()
    await migrate_database(url)
    await close_database()
    migrated = time.perf_counter()
    await open_database(url)
    try:
        async with in_transaction():
            summary = await seed_demo("ru")
    finally:
        await close_database()
    return migrated - started, time.perf_counter() - migrated, summary.counts


def _report(name: str, migrate_s: float, seed_s: float, counts: dict[str, int], size: int) -> None:
    rows = sum(counts.values())
    print(
        f"{name}: migrate {migrate_s:.2f} s, seed {seed_s:.2f} s, {rows} rows "
        f"({rows / seed_s:,.0f} rows/s), database {size / 1e6:.1f} MB"
    )


async def bench_sqlite() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.sqlite3"
        migrate_s, seed_s, counts = await _seed(f"sqlite://{path}")
        size = sum(p.stat().st_size for p in Path(folder).iterdir())  # noqa: ASYNC240
        _report("sqlite", migrate_s, seed_s, counts, size)


async def bench_postgres(admin_url: str) -> None:
    name = f"voronka_bench_{uuid.uuid4().hex[:8]}"
    dsn = admin_url.replace("postgres://", "postgresql://", 1)
    admin = await asyncpg.connect(dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        migrate_s, seed_s, counts = await _seed(f"{admin_url.rsplit('/', 1)[0]}/{name}")
        size = await admin.fetchval("SELECT pg_database_size($1)", name)
        _report("postgres", migrate_s, seed_s, counts, int(size))
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", help="admin URL of a PostgreSQL server to bench instead")
    args = parser.parse_args()
    asyncio.run(bench_postgres(args.postgres) if args.postgres else bench_sqlite())
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
