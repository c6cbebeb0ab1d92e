"""Orders: /v1/orders, with their status history and status changes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from anyio import to_thread
from fastapi import APIRouter, File, Query, Request, Response, UploadFile, status
from pydantic import Field
from tortoise.transactions import in_transaction

from api.deps import CurrentActor, Transaction
from api.pagination import DEFAULT_PAGE_SIZE, Cursor, Limit, PageOut, decode_cursor, page_out
from api.problems import ContentTooLarge, problem_responses, request_language
from api.schemas import Id, Input, Moment, Output
from api.versions import Version, set_etag
from models.entities import Order, OrderStatus
from models.ops.order_import import (
    BATCH_ROWS,
    ImportReport,
    RowAction,
    RowOutcome,
    import_orders,
    require_importer,
)
from models.ops.orders import change_order_status, create_order
from models.queries.orders import OrderFilters, get_order, list_orders, status_history
from models.rules.order_import import batches, read_order_file
from models.rules.table_files import MAX_FILE_BYTES, MAX_ROWS

router = APIRouter(prefix="/orders", tags=["orders"], responses=problem_responses(401))

Amount = Annotated[
    str | None,
    Field(
        max_length=32,
        pattern=r"^\s*\d[\d\s]*([.,]\d+)?\s*$",
        description='A decimal string, e.g. "15000.00"',
        examples=["15000.00"],
    ),
]


class OrderCreate(Input):
    number: Annotated[str, Field(min_length=1, max_length=64, description="Unique")]
    amount: Amount = None
    currency: Annotated[str, Field(min_length=3, max_length=3)] = "RUB"
    contact_id: Id | None = None
    company_id: Id | None = None
    deal_id: Id | None = None
    owner_id: Id | None = Field(default=None, description="Heads and admins may assign others")


class OrderStatusIn(Input):
    status: OrderStatus
    comment: Annotated[str, Field(max_length=500)] = ""


class OrderOut(Output):
    id: int
    number: str
    amount: Decimal | None = Field(description="A decimal string; null when not known")
    currency: str
    status: OrderStatus
    contact_id: Id | None
    company_id: Id | None
    deal_id: Id | None
    owner_id: Id
    office_id: Id
    version: int
    created_at: datetime
    updated_at: datetime


class OrderStatusChangeOut(Output):
    from_status: OrderStatus | None = Field(description="Null for the order's first status")
    status: OrderStatus
    changed_at: datetime
    comment: str
    by_id: Id | None


class OrderDetailOut(OrderOut):
    status_history: list[OrderStatusChangeOut] = Field(description="Oldest first")


async def _single(order: Order, response: Response) -> OrderDetailOut:
    set_etag(response, order.version)
    history = [OrderStatusChangeOut.model_validate(c) for c in await status_history(order)]
    return OrderDetailOut(**OrderOut.model_validate(order).model_dump(), status_history=history)


@router.get("", operation_id="listOrders", responses=problem_responses(422))
async def list_(
    actor: CurrentActor,
    _: Transaction,
    contact_id: Id | None = None,
    company_id: Id | None = None,
    deal_id: Id | None = None,
    owner_id: Id | None = None,
    status: OrderStatus | None = None,
    updated_since: Moment | None = None,
    sort: Annotated[
        str | None, Query(description="updated_at, created_at, id, number; '-' for descending")
    ] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
) -> PageOut[OrderOut]:
    filters = OrderFilters(contact_id, company_id, deal_id, owner_id, status, updated_since)
    page = await list_orders(actor, filters, sort, decode_cursor(cursor), limit)
    return page_out(page, [OrderOut.model_validate(o) for o in page.items])


@router.post(
    "",
    operation_id="createOrder",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(422),
)
async def create(
    body: OrderCreate, actor: CurrentActor, _: Transaction, response: Response
) -> OrderDetailOut:
    order = await create_order(actor, body.model_dump(exclude_unset=True))
    response.headers["Location"] = f"/v1/orders/{order.id}"
    return await _single(order, response)


# `:int`: `/v1/orders/import` is the import's path, not an order id; other methods on it are 405.
@router.get("/{order_id:int}", operation_id="getOrder", responses=problem_responses(404))
async def get(
    order_id: Id, actor: CurrentActor, _: Transaction, response: Response
) -> OrderDetailOut:
    """The order with its status history."""
    return await _single(await get_order(actor, order_id), response)


@router.post(
    "/{order_id}/status",
    operation_id="changeOrderStatus",
    responses=problem_responses(404, 412, 422, 428),
)
async def change_status(
    order_id: Id,
    body: OrderStatusIn,
    actor: CurrentActor,
    _: Transaction,
    response: Response,
    version: Version,
) -> OrderDetailOut:
    """Move the order to another status; 422 names the statuses allowed from the current one."""
    order = await change_order_status(
        actor, order_id, body.status, version=version.number, comment=body.comment
    )
    return await _single(order, response)


class ImportRowOut(Output):
    row: int = Field(
        description="The row's number in the file as a spreadsheet shows it (the header is row 1)"
    )
    number: str = Field(description="The order number the row gives (may be blank on an error)")
    action: RowAction
    order_id: Id | None = Field(
        description="The order the row created or changed; null on an error and for a row a "
        "dry run would create"
    )


class ImportErrorOut(Output):
    row: int
    field: str = Field(
        description="number, status, amount, currency, phone, email, inn, deal_id, owner, "
        "comment; or file for a row that does not fit the header"
    )
    column: str | None = Field(description="The column as the file titles it")
    code: str
    message: str = Field(description="In the language of Accept-Language")


class OrderImportOut(Output):
    dry_run: bool = Field(description="True: nothing was written")
    created: int
    status_changed: int = Field(
        description="Rows that moved an order to another status (the "
        "client is notified as on any status change)"
    )
    updated: int = Field(description="Rows that changed only the amount")
    unchanged: int
    failed: int
    rows: list[ImportRowOut] = Field(description="Every data row, in file order")
    errors: list[ImportErrorOut] = Field(description="Each problem of each failed row")


def _import_out(report: ImportReport, columns: dict[str, str], language: str) -> OrderImportOut:
    return OrderImportOut(
        dry_run=report.dry_run,
        created=report.count(RowAction.CREATED),
        status_changed=report.count(RowAction.STATUS_CHANGED),
        updated=report.count(RowAction.UPDATED),
        unchanged=report.count(RowAction.UNCHANGED),
        failed=report.failed,
        rows=[
            ImportRowOut(row=o.row, number=o.number, action=o.action, order_id=o.order_id)
            for o in report.rows
        ],
        errors=[
            ImportErrorOut(
                row=o.row,
                field=e.field,
                column=columns.get(e.field),
                code=e.code,
                message=e.message.get(language),
            )
            for o in report.rows
            for e in o.errors
        ],
    )


@router.post(
    "/import",
    operation_id="importOrders",
    responses=problem_responses(403, 413, 422),
)
async def import_from_file(
    file: Annotated[
        UploadFile,
        File(
            description=f"CSV (UTF-8 or Windows-1251, `;` or `,`) or XLSX, a header row first; "
            f"at most {MAX_FILE_BYTES // (1024 * 1024)} MB and {MAX_ROWS} rows"
        ),
    ],
    actor: CurrentActor,
    request: Request,
    dry_run: Annotated[
        bool, Query(description="Check every row and answer the same report; write nothing")
    ] = False,
    notify: Annotated[
        bool,
        Query(
            description="False: notify no client of any status (loading past orders as "
            "history). True: each client hears of the status its order ends in"
        ),
    ] = True,
) -> OrderImportOut:
    """Admins and heads: create the file's new orders and move known ones (by number) to the
    file's status and amount, through any steps skipped; each row is applied or refused on its
    own. 422 names `file` when
    the file cannot be read (format, encoding, columns, limits). See docs/operations.md."""
    require_importer(actor)
    data = await file.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise ContentTooLarge(MAX_FILE_BYTES)
    # Parsed off the event loop (a large workbook takes seconds) and before the transaction
    # opens: on SQLite the transaction holds the write lock.
    parsed = await to_thread.run_sync(read_order_file, data)
    outcomes: list[RowOutcome] = []
    # A transaction per batch of rows: a large file never holds the database for long.
    for batch in batches(parsed.rows, BATCH_ROWS):
        async with in_transaction():
            outcomes += (await import_orders(actor, batch, dry_run=dry_run, notify=notify)).rows
    report = ImportReport(tuple(outcomes), dry_run=dry_run)
    return _import_out(report, dict(parsed.columns), request_language(request))
