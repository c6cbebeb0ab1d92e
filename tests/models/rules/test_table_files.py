"""Reading CSV and XLSX tables: encodings, delimiters, numbers as Excel stores them, limits."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import Workbook

from models.errors import ValidationFailed
from models.rules import table_files
from models.rules.table_files import cell_text, read_table, sniff_delimiter
from tests.models.expect import error_codes, error_fields

HEADER = "Номер;Статус;Сумма;Телефон"
ROW = "A-1;Подтверждён;12 990,50;+7 916 123-45-67"


def xlsx(*rows: list[object]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def refused(data: bytes) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as raised:
        read_table(data)
    assert error_fields(raised.value) == ["file"]
    return error_codes(raised.value)


@pytest.mark.parametrize(
    "data",
    [
        f"{HEADER}\n{ROW}\n".encode(),
        f"{HEADER}\r\n{ROW}\r\n".encode("utf-8-sig"),
        f"{HEADER}\r\n{ROW}\r\n".encode("cp1251"),
    ],
    ids=["utf-8", "utf-8 with BOM", "cp1251"],
)
def test_csv_in_each_encoding_reads_the_same(data: bytes) -> None:
    table = read_table(data)
    assert table.header == ["Номер", "Статус", "Сумма", "Телефон"]
    assert table.rows == [(2, ["A-1", "Подтверждён", "12 990,50", "+7 916 123-45-67"])]


def test_comma_delimited_csv_with_quoted_commas() -> None:
    table = read_table(b'Number,Amount,Comment\nA-1,"1,5","late, again"\n')
    assert table.rows == [(2, ["A-1", "1,5", "late, again"])]


def test_delimiter_comes_from_the_header_line() -> None:
    assert sniff_delimiter("Номер;Статус;Сумма") == ";"
    assert sniff_delimiter("number,status") == ","
    assert sniff_delimiter("number\tstatus") == "\t"
    assert sniff_delimiter("number") == ","


def test_blank_rows_are_skipped_but_counted_like_a_spreadsheet_does() -> None:
    table = read_table(b"\nnumber;status\nA-1;new\n;;\n\nA-2;paid\n")
    assert table.header == ["number", "status"]
    assert table.rows == [(3, ["A-1", "new"]), (6, ["A-2", "paid"])]


def test_xlsx_numbers_and_dates_read_as_people_see_them() -> None:
    data = xlsx(
        ["Номер", "Сумма", "Телефон", "Дата", None],
        [1001, 12990.99, 79161234567, date(2025, 3, 3), None],
        [None, None, None, None, None],
        ["A-2", 1500.0, "+7 916 000-00-00", None, None],
    )
    table = read_table(data)
    assert table.header == ["Номер", "Сумма", "Телефон", "Дата"]
    assert table.rows == [
        (2, ["1001", "12990.99", "79161234567", "2025-03-03T00:00:00", ""]),
        (4, ["A-2", "1500", "+7 916 000-00-00", "", ""]),
    ]


def test_cell_text_never_rounds_money_through_float() -> None:
    assert cell_text(12990.99) == "12990.99"
    assert cell_text(Decimal("5.10")) == "5.10"
    assert cell_text(True) == "1"


def test_an_empty_file_and_a_header_alone_are_refused() -> None:
    assert refused(b"") == {"file": "empty_file"}
    assert refused(b" \r\n\r\n") == {"file": "empty_file"}
    assert refused("Номер;Статус\n".encode()) == {"file": "no_rows"}
    assert refused(xlsx()) == {"file": "empty_file"}


def test_old_excel_and_damaged_files_are_refused_in_words() -> None:
    assert refused(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100)) == {
        "file": "unsupported_format"
    }
    assert refused(b"PK\x03\x04 not really a zip") == {"file": "unreadable"}
    assert refused(b"\x98\x98\x98;\x98\n") == {"file": "unknown_encoding"}


def test_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(table_files, "MAX_ROWS", 3)
    assert refused(b"number\n1\n2\n3\n4\n") == {"file": "too_many_rows"}
    assert len(read_table(b"number\n1\n2\n3\n\n\n").rows) == 3
    assert refused(xlsx(["number"], [1], [2], [3], [4])) == {"file": "too_many_rows"}
    monkeypatch.setattr(table_files, "MAX_FILE_BYTES", 10)
    assert refused(b"number\n1234567890\n") == {"file": "too_large"}


def test_too_many_columns_and_a_huge_cell() -> None:
    header = ";".join(f"c{i}" for i in range(table_files.MAX_COLUMNS + 1))
    assert refused(f"{header}\n1\n".encode()) == {"file": "too_many_columns"}
    assert refused(b"number\n" + b"1" * (table_files.MAX_CELL + 1) + b"\n") == {
        "file": "cell_too_long"
    }


def test_a_broken_csv_names_the_line() -> None:
    with pytest.raises(ValidationFailed) as raised:
        read_table(b'number,comment\nA-1,"unterminated\n' + b"x" * 200_000)
    (error,) = raised.value.errors
    assert error.code == "unreadable"
    assert "line" in error.message.en


def test_a_sheet_of_declared_emptiness_is_refused_without_walking_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(table_files, "MAX_RECORDS", 50)
    assert refused(b"number\n1\n" + b"\n" * 60) == {"file": "too_many_rows"}
    book = Workbook()
    book.active.append(["number"])
    book.active.append(["A-1"])
    # Read-only openpyxl yields every row up to the last used cell, as wide as the sheet.
    book.active.cell(row=1_000_000, column=16_000, value="x")
    out = io.BytesIO()
    book.save(out)
    assert refused(out.getvalue()) == {"file": "too_many_rows"}


def test_a_workbook_that_unpacks_too_large_is_refused_before_it_is_opened(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(table_files, "MAX_XLSX_UNPACKED", 1000)
    assert refused(xlsx(["number"], ["A-1"])) == {"file": "too_large"}


def test_cells_past_the_widest_header_are_not_kept() -> None:
    table = read_table(b"number;status\nA-1;new" + b";" * 1_000_000 + b"\n")
    [(_, cells)] = table.rows
    assert len(cells) == table_files.MAX_COLUMNS + 1
    assert cells[:2] == ["A-1", "new"]
