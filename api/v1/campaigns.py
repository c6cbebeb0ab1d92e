"""Campaigns: /v1/campaigns. Heads (their office tree's contacts) and admins.

Draft a campaign, check how many it reaches (`/v1/campaigns/audience/count`), start it, watch its
progress, pause, resume or cancel it, and read each recipient's result. Messages go through the
outbox at the channels' pace and honour marketing consent (docs/messaging.md, "Campaigns").
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from pydantic import Field

from api.deps import CurrentActor, Transaction
from api.pagination import DEFAULT_PAGE_SIZE, Cursor, Limit, PageOut, decode_cursor, page_out
from api.problems import problem_responses
from api.schemas import Id, Input, Output
from api.versions import Version, set_etag
from models.entities import (
    Campaign,
    CampaignRecipient,
    CampaignState,
    Channel,
    MessageState,
    RecipientState,
)
from models.ops.campaigns import (
    campaign_progress,
    cancel_campaign,
    count_audience,
    create_campaign,
    get_campaign,
    pause_campaign,
    resume_campaign,
    start_campaign,
    update_campaign,
)
from models.queries.campaigns import list_campaigns, list_recipients

router = APIRouter(prefix="/campaigns", tags=["campaigns"], responses=problem_responses(401))
CHANGE_PROBLEMS = problem_responses(403, 404, 412, 422, 428)

Purpose = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        description="The purpose of the templates to send, e.g. birthday (marketing ones need "
        "each client's consent)",
    ),
]


class AudienceIn(Input):
    """Contact filters, all optional and AND-ed; an empty audience is every visible contact."""

    segment_id: Id | None = None
    source_id: Id | None = None
    owner_id: Id | None = None
    office_id: Id | None = None
    company_id: Id | None = None
    q: str | None = Field(default=None, max_length=200, description="Search text, as in lists")


class AudienceOut(Output):
    segment_id: Id | None = None
    source_id: Id | None = None
    owner_id: Id | None = None
    office_id: Id | None = None
    company_id: Id | None = None
    q: str | None = None


class CampaignCreate(Input):
    name: str = Field(min_length=1, max_length=200)
    purpose: Purpose
    audience: AudienceIn = Field(default_factory=AudienceIn)


class CampaignUpdate(Input):
    """Drafts only."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    purpose: Purpose | None = None
    audience: AudienceIn | None = None


class AudienceCountIn(Input):
    purpose: Purpose
    audience: AudienceIn = Field(default_factory=AudienceIn)


class AudienceCountOut(Output):
    total: int = Field(description="Contacts the audience selects now")
    marketing: bool = Field(description="The purpose's templates are marketing")
    consented: int | None = Field(
        description="Marketing only: how many of them have a current marketing consent"
    )


class ProgressOut(Output):
    recipients: dict[RecipientState, int] = Field(description="Recipients by state")
    messages: dict[MessageState, int] = Field(
        description="The campaign's messages by state (fallbacks to another channel included)"
    )


class CampaignOut(Output):
    id: int
    name: str
    purpose: str
    audience: AudienceOut
    state: CampaignState
    office_id: Id
    created_by_id: Id
    total: int = Field(description="Recipients fixed when the campaign started")
    started_at: datetime | None
    finished_at: datetime | None
    progress: ProgressOut | None = Field(description="Single campaigns only (null in lists)")
    version: int
    created_at: datetime
    updated_at: datetime


class RecipientOut(Output):
    id: int
    contact_id: Id
    state: RecipientState
    message_id: Id | None
    channel: Channel | None = Field(description="The message's channel, once fed")
    message_state: MessageState | None
    last_error: str = Field(description="Why the message failed or was cancelled, if it was")
    sent_at: datetime | None
    delivered_at: datetime | None


async def _out(
    campaign: Campaign, response: Response | None = None, *, progress: bool = True
) -> CampaignOut:
    if response is not None:
        set_etag(response, campaign.version)
    shown = await campaign_progress(campaign) if progress else None
    return CampaignOut(
        id=campaign.id,
        name=campaign.name,
        purpose=campaign.purpose,
        audience=AudienceOut.model_validate(campaign.audience),
        state=CampaignState(campaign.state),
        office_id=campaign.office_id,
        created_by_id=campaign.created_by_id,
        total=campaign.total,
        started_at=campaign.started_at,
        finished_at=campaign.finished_at,
        progress=ProgressOut(recipients=shown.recipients, messages=shown.messages)
        if shown
        else None,
        version=campaign.version,
        created_at=campaign.created_at,
        updated_at=campaign.updated_at,
    )


def _recipient(row: CampaignRecipient) -> RecipientOut:
    message = row.message
    return RecipientOut(
        id=row.id,
        contact_id=row.contact_id,
        state=RecipientState(row.state),
        message_id=row.message_id,
        channel=Channel(message.channel) if message else None,
        message_state=MessageState(message.state) if message else None,
        last_error=message.last_error if message else "",
        sent_at=message.sent_at if message else None,
        delivered_at=message.delivered_at if message else None,
    )


@router.get("", operation_id="listCampaigns", responses=problem_responses(422))
async def list_(
    actor: CurrentActor,
    _: Transaction,
    state: CampaignState | None = None,
    sort: Annotated[
        str | None, Query(max_length=50, description="id, created_at; '-' descending (default -id)")
    ] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
) -> PageOut[CampaignOut]:
    page = await list_campaigns(actor, state, sort, decode_cursor(cursor), limit)
    return page_out(page, [await _out(c, progress=False) for c in page.items])


@router.post(
    "",
    operation_id="createCampaign",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(403, 422),
)
async def create(
    body: CampaignCreate, actor: CurrentActor, _: Transaction, response: Response
) -> CampaignOut:
    """A draft: nothing is sent until it is started."""
    values = body.model_dump(exclude_unset=True)
    values["audience"] = body.audience.model_dump(exclude_none=True)
    campaign = await create_campaign(actor, values)
    response.headers["Location"] = f"/v1/campaigns/{campaign.id}"
    return await _out(campaign, response)


@router.post(
    "/audience/count", operation_id="countCampaignAudience", responses=problem_responses(403, 422)
)
async def audience(body: AudienceCountIn, actor: CurrentActor, _: Transaction) -> AudienceCountOut:
    """How many contacts an audience reaches now, before or after drafting. Sends nothing."""
    counted = await count_audience(
        actor, {"purpose": body.purpose, "audience": body.audience.model_dump(exclude_none=True)}
    )
    return AudienceCountOut(
        total=counted.total, marketing=counted.marketing, consented=counted.consented
    )


@router.get("/{campaign_id}", operation_id="getCampaign", responses=problem_responses(404))
async def get(
    campaign_id: Id, actor: CurrentActor, _: Transaction, response: Response
) -> CampaignOut:
    return await _out(await get_campaign(actor, campaign_id), response)


@router.patch("/{campaign_id}", operation_id="updateCampaign", responses=CHANGE_PROBLEMS)
async def update(
    campaign_id: Id,
    body: CampaignUpdate,
    actor: CurrentActor,
    _: Transaction,
    response: Response,
    version: Version,
) -> CampaignOut:
    """Drafts only: a started campaign's recipients are fixed."""
    values = body.model_dump(exclude_unset=True)
    if body.audience is not None:
        values["audience"] = body.audience.model_dump(exclude_none=True)
    campaign = await update_campaign(actor, campaign_id, values, version.number)
    return await _out(campaign, response)


@router.post("/{campaign_id}/start", operation_id="startCampaign", responses=CHANGE_PROBLEMS)
async def start(
    campaign_id: Id, actor: CurrentActor, _: Transaction, response: Response, version: Version
) -> CampaignOut:
    """Fixes the recipients (the contacts you see that match the audience now) and starts
    sending at the channels' pace."""
    return await _out(await start_campaign(actor, campaign_id, version.number), response)


@router.post("/{campaign_id}/pause", operation_id="pauseCampaign", responses=CHANGE_PROBLEMS)
async def pause(
    campaign_id: Id, actor: CurrentActor, _: Transaction, response: Response, version: Version
) -> CampaignOut:
    """Stops feeding the outbox; the few messages already queued there still go out."""
    return await _out(await pause_campaign(actor, campaign_id, version.number), response)


@router.post("/{campaign_id}/resume", operation_id="resumeCampaign", responses=CHANGE_PROBLEMS)
async def resume(
    campaign_id: Id, actor: CurrentActor, _: Transaction, response: Response, version: Version
) -> CampaignOut:
    return await _out(await resume_campaign(actor, campaign_id, version.number), response)


@router.post("/{campaign_id}/cancel", operation_id="cancelCampaign", responses=CHANGE_PROBLEMS)
async def cancel(
    campaign_id: Id, actor: CurrentActor, _: Transaction, response: Response, version: Version
) -> CampaignOut:
    """For good: recipients not yet sent to, and the campaign's queued messages, are cancelled."""
    return await _out(await cancel_campaign(actor, campaign_id, version.number), response)


@router.get(
    "/{campaign_id}/recipients",
    operation_id="listCampaignRecipients",
    responses=problem_responses(404, 422),
)
async def recipients(
    campaign_id: Id,
    actor: CurrentActor,
    _: Transaction,
    state: RecipientState | None = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
) -> PageOut[RecipientOut]:
    """Each recipient's result, in the order they are sent to."""
    campaign = await get_campaign(actor, campaign_id)
    page = await list_recipients(campaign, state, decode_cursor(cursor), limit)
    return page_out(page, [_recipient(r) for r in page.items])
