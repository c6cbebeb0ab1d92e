"""Several OS processes doing read-then-write transactions on one SQLite file.

A deferred `BEGIN` that reads and then writes cannot upgrade its lock while another process
writes, and fails at once with "database is locked". models.sqlite_engine opens transactions with
`BEGIN IMMEDIATE`, so they wait for the write lock instead, queued first on the cross-process
writer lock (models/sqlite_writer_lock.py), also by several tasks of one process at once. The
counter also shows that no increment is lost.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

PROCESSES = 4
TRANSACTIONS = 25
ROOT = Path(__file__).resolve().parents[2]

SETUP = """
import asyncio, sys
from models.db import close_database, migrate_database, open_database
from models.entities import Office

async def main(url):
    await migrate_database(url)
    await close_database()
    await open_database(url)
    await Office.create(name="0", path="")
    await close_database()

asyncio.run(main(sys.argv[1]))
"""

WORKER = """
import asyncio, sys, time
from pathlib import Path
from tortoise.transactions import in_transaction
from models.db import close_database, open_database
from models.entities import Office

async def increment(count, failures):
    for _ in range(count):
        try:
            async with in_transaction():
                office = await Office.get(name__not="")
                await asyncio.sleep(0.002)
                office.name = str(int(office.name) + 1)
                await office.save(update_fields=["name"])
        except Exception as exc:
            failures.append(repr(exc))

async def main(url, go, count, tasks):
    await open_database(url)
    while not Path(go).exists():
        time.sleep(0.01)
    failures = []
    await asyncio.gather(*(increment(count // tasks, failures) for _ in range(tasks)))
    await close_database()
    print(len(failures))
    for failure in failures[:3]:
        print(failure)
    sys.exit(1 if failures else 0)

asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
"""


def run_python(code: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.mark.sqlite_only
@pytest.mark.parametrize("tasks", [1, 5], ids=["one-task-each", "five-tasks-each"])
def test_processes_doing_read_then_write_never_see_database_is_locked(
    tmp_path: Path, tasks: int
) -> None:
    url = f"sqlite://{tmp_path / 'shared.sqlite3'}"
    go = tmp_path / "go"
    setup = run_python(SETUP, url)
    output, _ = setup.communicate(timeout=60)
    assert setup.returncode == 0, output

    workers = [
        run_python(WORKER, url, str(go), str(TRANSACTIONS), str(tasks)) for _ in range(PROCESSES)
    ]
    time.sleep(1.0)  # let every worker open the database before they start together
    go.touch()
    deadline = time.monotonic() + 120
    results = []
    try:
        for worker in workers:
            output, _ = worker.communicate(timeout=max(1.0, deadline - time.monotonic()))
            results.append((worker.returncode, output))
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    for returncode, output in results:
        assert "database is locked" not in output, output
        assert returncode == 0, output

    check = run_python(
        """
import asyncio, sys
from models.db import close_database, open_database
from models.entities import Office

async def main(url):
    await open_database(url)
    print((await Office.get(name__not="")).name)
    await close_database()

asyncio.run(main(sys.argv[1]))
""",
        url,
    )
    output, _ = check.communicate(timeout=60)
    assert check.returncode == 0, output
    assert output.strip() == str(PROCESSES * TRANSACTIONS)
