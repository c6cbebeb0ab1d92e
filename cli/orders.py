"""`voronka orders import FILE --as LOGIN [--dry-run]`: orders and status changes from a file.

The file (CSV or XLSX, docs/operations.md) is read before any transaction opens; the rows are
imported in batches of BATCH_ROWS, a transaction each, with a savepoint per row
(models/ops/order_import.py). Messages are in the acting user's language.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tortoise.transactions import in_transaction

from models.actor import Actor, actor_from
from models.errors import FieldError, Forbidden, ValidationFailed
from models.ops.order_import import (
    BATCH_ROWS,
    ImportReport,
    RowAction,
    RowOutcome,
    import_orders,
    require_importer,
)
from models.ops.sessions import find_user
from models.rules.order_import import OrderFile, batches, read_order_file
from models.rules.table_files import FILE_FIELD, MAX_FILE_BYTES, file_error
from models.text import Text

EXIT_ROWS_FAILED = 1
EXIT_BAD_FILE = 2

_NO_USER = Text(
    "Нет активного пользователя с таким email или телефоном.",
    "No active user has this email or phone.",
)
_TOO_LARGE = Text(
    "Файл слишком большой: не больше {mb} МБ.", "The file is too large: {mb} MB at most."
)
_COUNTS: tuple[tuple[RowAction, Text], ...] = (
    (RowAction.CREATED, Text("Создано", "Created")),
    (RowAction.STATUS_CHANGED, Text("Статус изменён", "Status changed")),
    (RowAction.UPDATED, Text("Обновлено", "Updated")),
    (RowAction.UNCHANGED, Text("Без изменений", "Unchanged")),
    (RowAction.ERROR, Text("Ошибок", "Errors")),
)
_ROW = Text("строка {row}", "row {row}")
_DRY_RUN = Text("Ничего не записано (--dry-run).", "Nothing was written (--dry-run).")


class ImportRefused(Exception):
    """Nothing can be imported (an unreadable file, a user who may not import): one line per
    problem, in the acting user's language."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        super().__init__("\n".join(lines))


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    report: ImportReport
    columns: dict[str, str]
    language: str


async def _actor(login: str) -> Actor:
    user = await find_user(login)
    if user is None or not user.is_active:
        raise ValidationFailed([FieldError("--as", "not_found", _NO_USER)])
    return actor_from(user, user.office)


def _read(path: Path, language: str) -> OrderFile:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise file_error("too_large", _TOO_LARGE.format(mb=MAX_FILE_BYTES // (1024 * 1024)))
        return read_order_file(path.read_bytes())
    except OSError as error:
        raise ImportRefused([f"{path}: {error.strerror or error}"]) from None
    except ValidationFailed as refused:
        raise ImportRefused(
            [f"{path.name}: {e.message.get(language)}" for e in refused.errors]
        ) from None


async def import_file(
    path: Path, login: str, *, dry_run: bool, notify: bool = True
) -> ImportOutcome:
    """Import the file as the user with this login; raises ImportRefused for a file that cannot
    be read or a user who may not import, ValidationFailed for an unknown login."""
    actor = await _actor(login)
    try:
        require_importer(actor)
    except Forbidden as refused:
        raise ImportRefused([refused.message.get(actor.language)]) from None
    # Read and parsed outside the transaction: on SQLite an open transaction holds the write
    # lock, and parsing a large workbook should not hold up everyone else.
    file = _read(path, actor.language)
    outcomes: list[RowOutcome] = []
    for batch in batches(file.rows, BATCH_ROWS):
        async with in_transaction():
            outcomes += (await import_orders(actor, batch, dry_run=dry_run, notify=notify)).rows
    report = ImportReport(tuple(outcomes), dry_run=dry_run)
    return ImportOutcome(report, dict(file.columns), actor.language)


def render(outcome: ImportOutcome) -> list[str]:
    """The counts, then one line per row error: `row 7, Статус: …` (the column as the file
    names it)."""
    language = outcome.language
    report = outcome.report
    lines = [f"{label.get(language)}: {report.count(action)}" for action, label in _COUNTS]
    for row in report.rows:
        for error in row.errors:
            where = _ROW.format(row=row.row).get(language)
            if error.field != FILE_FIELD:
                where += f", {outcome.columns.get(error.field, error.field)}"
            lines.append(f"{where}: {error.message.get(language)}")
    if report.dry_run:
        lines.append(_DRY_RUN.get(language))
    return lines


def exit_status(outcome: ImportOutcome) -> int:
    return EXIT_ROWS_FAILED if outcome.report.failed else 0
