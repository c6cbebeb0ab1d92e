"""Reading a table that people export from 1C, a web shop or a spreadsheet: CSV or XLSX.

CSV comes as UTF-8 (with or without the BOM Excel writes) or as Windows-1251, which 1C and a
Russian Excel still write by default; the delimiter is `;` (Russian Excel) or `,`, told from the
header line. XLSX is read with openpyxl in read-only mode, first sheet only. Every cell becomes
stripped text, so the rows that come out are the same whichever format they came in.

Pure: bytes in, a `Table` out. Every problem is a `ValidationFailed` naming the `file` field.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from models.errors import FieldError, ValidationFailed
from models.text import Text

FILE_FIELD = "file"
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 50_000
MAX_COLUMNS = 50
MAX_CELL = 10_000  # characters: far above any real cell, low enough to bound memory per row
# Lines read, blank ones included: a sheet that declares a million empty rows is refused after
# this many instead of being walked to its end.
MAX_RECORDS = 2 * MAX_ROWS
# What the parts of an XLSX zip may unpack to: openpyxl holds the shared strings in memory, so a
# small zip that unpacks to gigabytes is refused before it is opened.
MAX_XLSX_UNPACKED = 200 * 1024 * 1024

_XLSX_MAGIC = b"PK\x03\x04"
_OLD_EXCEL_MAGIC = b"\xd0\xcf\x11\xe0"  # the OLE2 container of .xls (Excel 97-2003)
_DELIMITERS = (";", ",", "\t")

_EMPTY = Text("Файл пустой.", "The file is empty.")
_NO_ROWS = Text(
    "В файле только заголовок, строк с данными нет.", "The file has a header but no data rows."
)
_TOO_LARGE = Text(
    "Файл слишком большой: не больше {mb} МБ.", "The file is too large: {mb} MB at most."
)
_TOO_MANY_ROWS = Text(
    "Слишком много строк: не больше {n} за один раз. Разделите файл на части.".format(
        n=f"{MAX_ROWS:,}".replace(",", "\u00a0")
    ),
    f"Too many rows: at most {MAX_ROWS:,} at a time. Split the file.",
)
_TOO_MANY_COLUMNS = Text("Слишком много столбцов: не больше {n}.", "Too many columns: at most {n}.")
_OLD_EXCEL = Text(
    "Формат .xls (Excel 97–2003) не поддерживается: сохраните файл как .xlsx или CSV.",
    "The .xls format (Excel 97–2003) is not supported: save the file as .xlsx or CSV.",
)
_XLSX_TOO_LARGE = Text(
    "Таблица XLSX слишком велика в распакованном виде: сохраните её как CSV или разделите.",
    "The XLSX workbook is too large unpacked: save it as CSV or split it.",
)
_BAD_XLSX = Text(
    "Не удалось прочитать файл XLSX: он повреждён или это не таблица Excel.",
    "Could not read the XLSX file: it is damaged or not an Excel workbook.",
)
_BAD_ENCODING = Text(
    "Не удалось прочитать текст: сохраните CSV в кодировке UTF-8 или Windows-1251.",
    "Could not read the text: save the CSV as UTF-8 or Windows-1251.",
)
_BAD_CSV = Text(
    "Не удалось разобрать CSV в строке {line}: {problem}.",
    "Could not parse the CSV at line {line}: {problem}.",
)
_CELL_TOO_LONG = Text(
    "Строка {row}: в ячейке больше {n} символов.", "Row {row}: a cell holds over {n} characters."
)


@dataclass(frozen=True, slots=True)
class Table:
    """The header's cells and the data rows, each with its number as a spreadsheet shows it
    (the header's row is counted; blank rows are counted and left out)."""

    header: list[str]
    rows: list[tuple[int, list[str]]]


def file_error(code: str, message: Text) -> ValidationFailed:
    return ValidationFailed([FieldError(FILE_FIELD, code, message)])


def read_table(data: bytes) -> Table:
    """The table in `data`, an XLSX workbook or a CSV text; raises ValidationFailed."""
    if len(data) > MAX_FILE_BYTES:
        raise file_error("too_large", _TOO_LARGE.format(mb=MAX_FILE_BYTES // (1024 * 1024)))
    if not data.strip():
        raise file_error("empty_file", _EMPTY)
    if data.startswith(_OLD_EXCEL_MAGIC):
        raise file_error("unsupported_format", _OLD_EXCEL)
    if data.startswith(_XLSX_MAGIC):
        return _xlsx_table(data)
    return _table(_csv_records(decode_text(data)))


Records = Iterator[tuple[int, list[str]]]


def _table(records: Records) -> Table:
    """Reads `records` only as far as needed: a file over the row limit is refused as soon as
    the limit is passed."""
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    for number, cells in records:
        if number > MAX_RECORDS:
            raise file_error("too_many_rows", _TOO_MANY_ROWS)
        if not any(cells):
            continue
        if any(len(cell) > MAX_CELL for cell in cells):
            raise file_error("cell_too_long", _CELL_TOO_LONG.format(row=number, n=MAX_CELL))
        if header is None:
            header = _trim(cells)
            if len(header) > MAX_COLUMNS:
                raise file_error("too_many_columns", _TOO_MANY_COLUMNS.format(n=MAX_COLUMNS))
            continue
        if len(rows) == MAX_ROWS:
            raise file_error("too_many_rows", _TOO_MANY_ROWS)
        rows.append((number, cells))
    if header is None:
        raise file_error("empty_file", _EMPTY)
    if not rows:
        raise file_error("no_rows", _NO_ROWS)
    return Table(header, rows)


def _trim(cells: list[str]) -> list[str]:
    """Without the blank cells at the end, which spreadsheets often carry after the last column."""
    end = len(cells)
    while end and not cells[end - 1]:
        end -= 1
    return cells[:end]


def decode_text(data: bytes) -> str:
    """UTF-8 (a BOM is dropped) or else Windows-1251: a Cyrillic cp1251 text is almost never
    valid UTF-8, so trying UTF-8 first tells the two apart."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1251")
    except UnicodeDecodeError:
        raise file_error("unknown_encoding", _BAD_ENCODING) from None


def sniff_delimiter(first_line: str) -> str:
    """The delimiter that splits the header line into the most cells (`,` when none does)."""
    best, most = ",", 1
    for delimiter in _DELIMITERS:
        cells = next(csv.reader([first_line], delimiter=delimiter), [])
        if len(cells) > most:
            best, most = delimiter, len(cells)
    return best


def _csv_records(text: str) -> Records:
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(first_line))
    try:
        for number, cells in enumerate(reader, start=1):
            # Cells past the widest header allowed are never read (a header longer than that is
            # refused), so a row of a million separators costs no more than a short one.
            yield number, [cell.strip() for cell in cells[: MAX_COLUMNS + 1]]
    except csv.Error as error:
        problem = _BAD_CSV.format(line=reader.line_num, problem=error)
        raise file_error("unreadable", problem) from None


def cell_text(value: Any) -> str:
    """A spreadsheet cell as the text a person sees in it. A whole number stored as a float
    (Excel stores every number so) loses its `.0`; other floats keep their shortest exact form,
    so 12990.99 stays 12990.99 and money never passes through float arithmetic."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, Decimal | int):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value).strip()


def _check_unpacked_size(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(part.file_size for part in archive.infolist())
    except (zipfile.BadZipFile, ValueError) as error:
        raise file_error("unreadable", _BAD_XLSX) from error
    if unpacked > MAX_XLSX_UNPACKED:
        raise file_error("too_large", _XLSX_TOO_LARGE)


def _xlsx_table(data: bytes) -> Table:
    # Imported here: only an XLSX file pays for loading openpyxl.
    from openpyxl import load_workbook

    _check_unpacked_size(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:
        # A damaged or foreign zip fails in many ways (BadZipFile, KeyError, openpyxl's
        # InvalidFileException, XML parse errors): each is the same "not a workbook" to a person.
        raise file_error("unreadable", _BAD_XLSX) from error
    try:
        if not workbook.worksheets:
            raise file_error("empty_file", _EMPTY)
        # Read-only mode pads every row to the width the sheet declares, up to 16,384 cells.
        sheet = workbook.worksheets[0]
        width = min(sheet.max_column or 1, MAX_COLUMNS + 1)
        rows = sheet.iter_rows(values_only=True, max_col=width)
        try:
            return _table(
                (number, [cell_text(value) for value in values])
                for number, values in enumerate(rows, start=1)
            )
        except ValidationFailed:
            raise
        except Exception as error:
            raise file_error("unreadable", _BAD_XLSX) from error
    finally:
        workbook.close()
