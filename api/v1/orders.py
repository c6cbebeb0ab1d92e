"""Orders: /v1/orders, with their status history and status changes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from pydantic import Field

from api.deps import CurrentActor, Transaction
from api.pagination import DEFAULT_PAGE_SIZE, Cursor, Limit, PageOut, decode_cursor, page_out
from api.problems import problem_responses
from api.schemas import Id, Input, Moment, Output
from api.versions import Version, set_etag
from models.entities import Order, OrderStatus
from models.ops.orders import change_order_status, create_order
from models.queries.orders import OrderFilters, get_order, list_orders, status_history

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


@router.get("/{order_id}", operation_id="getOrder", responses=problem_responses(404))
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
