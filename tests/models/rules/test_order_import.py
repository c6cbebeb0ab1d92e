"""The order file's columns, status names and the checks of a row that need no database."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.entities import OrderStatus
from models.errors import FieldErrors, ValidationFailed
from models.rules.order_import import (
    ImportRow,
    batches,
    check_line,
    map_columns,
    order_rows,
    parse_status,
    read_order_file,
)
from models.rules.table_files import Table
from tests.factories import VALID_INNS
from tests.models.expect import assert_bilingual, error_codes


def test_russian_and_english_headers_in_any_case() -> None:
    header = ["Номер:", "СТАТУС", "сумма", "Валюта", "Телефон", "E-mail", "ИНН", "Сделка",
              "Ответственный", "Комментарий"]  # fmt: skip
    assert map_columns(header) == [
        "number", "status", "amount", "currency", "phone", "email", "inn", "deal_id", "owner",
        "comment",
    ]  # fmt: skip
    assert map_columns(["number", "Order Status", "", "deal_id"]) == [
        "number",
        "status",
        None,
        "deal_id",
    ]


def test_unknown_columns_are_named_and_the_number_is_required() -> None:
    with pytest.raises(ValidationFailed) as raised:
        map_columns(["Статус", "Склад", "Скидка", "status"])
    codes = [e.code for e in raised.value.errors]
    assert codes == ["unknown_columns", "duplicate_column", "missing_column"]
    unknown, twice, _ = raised.value.errors
    assert "«Склад», «Скидка»" in unknown.message.ru
    assert "«Склад», «Скидка»" in unknown.message.en
    assert "«Статус», «status»" in twice.message.ru
    for error in raised.value.errors:
        assert error.field == "file"
        assert_bilingual(error)


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("confirmed", OrderStatus.CONFIRMED),
        (" Подтверждён ", OrderStatus.CONFIRMED),
        ("ПОДТВЕРЖДЕН", OrderStatus.CONFIRMED),
        ("Shipped", OrderStatus.SHIPPED),
        ("отменен", OrderStatus.CANCELLED),
        ("новый", OrderStatus.NEW),
        ("lost", None),
        ("", None),
    ],
)
def test_status_by_code_or_label(raw: str, status: OrderStatus | None) -> None:
    assert parse_status(raw) is status


def test_rows_keep_their_file_numbers_and_extra_cells_are_a_problem() -> None:
    table = Table(
        ["Номер", "", "Статус"], [(2, ["A-1", "x", "new"]), (5, ["A-2", "", "paid", "?"])]
    )
    file = order_rows(table)
    assert file.columns == {"number": "Номер", "status": "Статус"}
    first, second = file.rows
    assert first == ImportRow(2, {"number": "A-1", "status": "new"})
    assert (second.row, second.values) == (5, {"number": "A-2", "status": "paid"})
    assert [p.code for p in second.problems] == ["extra_cells"]


def test_a_short_row_lacks_the_last_columns() -> None:
    file = read_order_file("Номер;Статус;Сумма\nA-1;новый\n".encode("cp1251"))
    assert file.rows[0].values == {"number": "A-1", "status": "новый"}


def test_a_good_line_is_normalised() -> None:
    errors = FieldErrors()
    line = check_line(
        {
            "number": " A-1 ",
            "status": "Оплачен",
            "amount": " 12 990,50 ",
            "currency": "usd",
            "phone": "8 (916) 123-45-67",
            "email": " Ivan@Example.TEST ",
            "inn": VALID_INNS[0],
            "deal_id": "42",
            "owner": " head@example.test ",
            "comment": " оплата по счёту ",
        },
        errors,
    )
    assert errors.items == []
    assert (line.number, line.status, line.amount, line.currency) == (
        "A-1",
        OrderStatus.PAID,
        "12 990,50",
        "USD",
    )
    assert (line.phone, line.email, line.inn, line.deal_id) == (
        "+79161234567",
        "ivan@example.test",
        VALID_INNS[0],
        42,
    )
    assert (line.owner, line.comment) == ("head@example.test", "оплата по счёту")


def test_blank_cells_are_not_given() -> None:
    errors = FieldErrors()
    line = check_line({"number": "A-1", "status": "", "amount": " ", "phone": ""}, errors)
    assert errors.items == []
    assert (line.status, line.amount, line.phone, line.currency) == (None, None, None, None)


def test_every_problem_of_a_line_at_once() -> None:
    errors = FieldErrors()
    check_line(
        {
            "number": "",
            "status": "потерян",
            "phone": "12",
            "email": "not-an-email",
            "inn": "1234567890",
            "deal_id": "сорок два",
            "comment": "x" * 501,
        },
        errors,
    )
    assert error_codes(ValidationFailed(errors.items)) == {
        "number": "required",
        "status": "invalid_choice",
        "phone": "invalid_phone",
        "email": "invalid_email",
        "inn": "invalid_inn",
        "deal_id": "not_a_number",
        "comment": "too_long",
    }
    for error in errors.items:
        assert_bilingual(error)
    status = next(e for e in errors.items if e.field == "status")
    assert "«потерян»" in status.message.ru
    assert "подтверждён" in status.message.ru
    assert "confirmed" in status.message.en


def _rows(*numbers: str) -> list[ImportRow]:
    return [ImportRow(n + 2, {"number": number}) for n, number in enumerate(numbers)]


def test_batches_keep_every_number_within_one_batch() -> None:
    def cut(*numbers: str, size: int) -> list[list[str]]:
        return [[r.values["number"] for r in b] for b in batches(_rows(*numbers), size)]

    assert cut("a", "b", "c", "d", "e", size=2) == [["a", "b"], ["c", "d"], ["e"]]
    assert cut("a", "b", "a", "c", "d", size=2) == [["a", "b", "a"], ["c", "d"]]
    assert cut("a", "b", "c", "d", "a", size=2) == [["a", "b", "c", "d", "a"]]
    assert cut("a", "b", "b ", "c", size=1) == [["a"], ["b", "b "], ["c"]]
    assert cut(size=5) == []


def test_the_documented_sample_file_reads_without_a_problem() -> None:
    sample = Path(__file__).parents[3] / "docs" / "examples" / "orders.csv"
    file = read_order_file(sample.read_bytes())
    assert set(file.columns) == {
        "number", "status", "amount", "currency", "phone", "email", "inn", "owner", "comment",
    }  # fmt: skip
    for row in file.rows:
        errors = FieldErrors(list(row.problems))
        check_line(row.values, errors)
        assert errors.items == [], row
    assert [r.values["number"] for r in file.rows] == ["А-1001", "А-1002", "А-0987", "А-0990"]


@pytest.mark.parametrize("deal_id", ["²", "9" * 30, "9" * 5000, "0"])
def test_a_deal_number_that_no_deal_can_have_is_refused(deal_id: str) -> None:
    errors = FieldErrors()
    check_line({"number": "A-1", "deal_id": deal_id}, errors)
    assert [(e.field, e.code) for e in errors.items] == [("deal_id", "not_a_number")]
