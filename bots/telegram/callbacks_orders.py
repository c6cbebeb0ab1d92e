"""Buttons of the orders of a client or deal and of the order card (`handlers/orders.py`).

Every payload can be forged: ids are only checked to be ids here, the handlers load what they
name through the visibility functions. A status button carries the order's `version` the card
showed: a change with an older one is refused by the domain (`PreconditionFailed`) and the card
is refreshed. `sure` is set only on the button of the question that confirms a cancellation.
"""

from __future__ import annotations

from typing import Annotated, Literal

from aiogram.filters.callback_data import CallbackData
from pydantic import Field

from bots.telegram.callbacks_cards import Id, Version
from models.entities import OrderStatus

MAX_PAGE = 1000
OrdersOf = Literal["contact", "company", "deal"]


class OrderList(CallbackData, prefix="ol"):
    """The orders of a contact, company or deal, a page of them, in place of the message."""

    kind: OrdersOf
    id: Id
    page: Annotated[int, Field(ge=0, le=MAX_PAGE)] = 0


class OrderOpen(CallbackData, prefix="oc"):
    """The order's card in place of the message pressed."""

    id: Id


class OrderStatusPick(CallbackData, prefix="os"):
    """Move the order to `status`, from the `version` the card showed."""

    id: Id
    version: Version
    status: OrderStatus
    sure: bool = False
