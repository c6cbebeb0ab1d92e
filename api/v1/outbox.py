"""The outbox: /v1/outbox. Admins read outbound messages and replay the dead letter.

`GET /v1/outbox?state=dead` lists messages whose attempts ran out; `state=failed` also shows
permanent failures (`next_attempt_at` null) and messages waiting for a retry. A replay queues the
message again with its attempts counted from zero; the relay delivers it within seconds.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field

from api.deps import CurrentActor, Transaction
from api.pagination import DEFAULT_PAGE_SIZE, Cursor, Limit, PageOut, decode_cursor, page_out
from api.problems import problem_responses
from api.schemas import Id, Output
from models.entities import Channel, ConsentPurpose, MessageState, OutboundMessage
from models.ops.outbox import get_message, replay_message
from models.queries.outbox import MessageFilters, list_messages

router = APIRouter(prefix="/outbox", tags=["outbox"], responses=problem_responses(401))


class OutboundMessageOut(Output):
    id: int
    channel: Channel
    address: str = Field(description="Empty when the client had no usable channel")
    contact_id: Id | None
    user_id: Id | None
    purpose: str = Field(description="The template purpose, e.g. order_status.shipped")
    language: str
    consent_purpose: ConsentPurpose
    template_id: Id | None
    subject: str
    body: str
    text_body: str
    dedup_key: str
    state: MessageState
    attempts: int
    next_attempt_at: datetime | None = Field(
        description="The next attempt (failed: null means for good); while sending, when the "
        "claim expires"
    )
    last_error: str
    provider_message_id: str | None
    created_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None
    fallback_of_id: Id | None = Field(
        description="The message on the previous channel whose permanent failure this replaces"
    )


def _out(message: OutboundMessage) -> OutboundMessageOut:
    return OutboundMessageOut.model_validate(message)


@router.get("", operation_id="listOutboundMessages", responses=problem_responses(403, 422))
async def list_(
    actor: CurrentActor,
    _: Transaction,
    state: MessageState | None = None,
    channel: Channel | None = None,
    contact_id: Id | None = None,
    purpose: Annotated[str | None, Query(max_length=64)] = None,
    sort: Annotated[
        str | None, Query(max_length=50, description="id, created_at; '-' descending (default -id)")
    ] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
) -> PageOut[OutboundMessageOut]:
    """Admins only. `state=dead` is the dead letter."""
    filters = MessageFilters(state, channel, contact_id, purpose)
    page = await list_messages(actor, filters, sort, decode_cursor(cursor), limit)
    return page_out(page, [_out(m) for m in page.items])


@router.get(
    "/{message_id}", operation_id="getOutboundMessage", responses=problem_responses(403, 404)
)
async def get(message_id: Id, actor: CurrentActor, _: Transaction) -> OutboundMessageOut:
    return _out(await get_message(actor, message_id))


@router.post(
    "/{message_id}/replay",
    operation_id="replayOutboundMessage",
    responses=problem_responses(403, 404, 422),
)
async def replay(message_id: Id, actor: CurrentActor, _: Transaction) -> OutboundMessageOut:
    """Queue a dead or permanently failed message again. 422 `not_replayable` for any other
    state, `no_address` for a message that never had a channel."""
    return _out(await replay_message(actor, message_id))
