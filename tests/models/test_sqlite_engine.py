"""Rows read as dicts through the SQLite engine keep the names, order and values of `dict(row)`."""

from __future__ import annotations

import pytest
from tortoise import connections
from tortoise.transactions import in_transaction

from models.entities import Office


async def _rows(sql: str) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = await connections.get("default").execute_query_dict(sql)
    return rows


@pytest.mark.sqlite_only
async def test_rows_keep_the_column_order_of_the_statement(db: str) -> None:
    await Office.create(name="Омск", path="")
    await Office.create(name="Томск", path="")

    rows = await _rows('SELECT name AS "z_name", id AS "a_id" FROM office ORDER BY name')

    assert [list(row) for row in rows] == [["z_name", "a_id"]] * 2
    assert [row["z_name"] for row in rows] == ["Омск", "Томск"]


@pytest.mark.sqlite_only
async def test_a_name_given_twice_keeps_its_first_column(db: str) -> None:
    assert await _rows('SELECT 1 AS "a", 2 AS "a", 3 AS "b"') == [{"a": 1, "b": 3}]


@pytest.mark.sqlite_only
async def test_no_rows_is_an_empty_list(db: str) -> None:
    assert await _rows("SELECT id FROM office") == []


@pytest.mark.sqlite_only
async def test_a_transaction_reads_rows_as_dicts_too(db: str) -> None:
    async with in_transaction() as connection:
        await Office.create(name="Омск", path="", using_db=connection)
        rows = await connection.execute_query_dict("SELECT name FROM office")

    assert rows == [{"name": "Омск"}]
