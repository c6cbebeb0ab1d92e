"""Leads: /v1/leads, with the commands convert and reject."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from pydantic import Field

from api.deps import CurrentActor, Transaction
from api.pagination import DEFAULT_PAGE_SIZE, Cursor, Limit, PageOut, decode_cursor, page_out
from api.problems import problem_responses
from api.schemas import Id, Input, Moment, Output
from api.versions import Version, set_etag
from models.entities import Lead, LeadStatus
from models.ops.leads import convert_lead, create_lead, reject_lead, update_lead
from models.queries.leads import LeadFilters, get_lead, list_leads

router = APIRouter(prefix="/leads", tags=["leads"], responses=problem_responses(401))

Title = Annotated[str, Field(min_length=1, max_length=300)]
Name = Annotated[str, Field(max_length=300)]


class LeadFields(Input):
    person_name: Name = Field(default="", description="«Фамилия Имя Отчество»")
    company_name: Name = ""
    phone: Annotated[str, Field(max_length=40)] | None = Field(
        default=None, description="Any format; stored as E.164"
    )
    email: Annotated[str, Field(max_length=254)] | None = None
    inn: Annotated[str, Field(max_length=12)] | None = None
    notes: Annotated[str, Field(max_length=10000)] = ""
    deadline: Moment | None = None
    source_id: Id | None = None
    owner_id: Id | None = Field(default=None, description="Heads and admins may assign others")


class LeadCreate(LeadFields):
    title: Title


class LeadUpdate(LeadFields):
    """Only the fields sent are changed. Converted and rejected leads are closed to changes."""

    title: Title | None = None


class ConvertIn(Input):
    contact_id: Id | None = Field(default=None, description="Link this contact, not a new one")
    company_id: Id | None = Field(default=None, description="Link this company, not a new one")
    create_deal: bool = True
    pipeline_id: Id | None = Field(default=None, description="Default: the default pipeline")
    force: bool = Field(default=False, description="Create the contact/company despite duplicates")


class LeadOut(Output):
    id: int
    title: str
    person_name: str
    company_name: str
    phone: str | None = Field(description="E.164")
    email: str | None
    inn: str | None
    notes: str
    status: LeadStatus
    deadline: datetime | None
    source_id: Id | None
    owner_id: Id
    office_id: Id
    converted_at: datetime | None
    converted_contact_id: Id | None
    converted_company_id: Id | None
    converted_deal_id: Id | None
    version: int
    created_at: datetime
    updated_at: datetime


def _single(lead: Lead, response: Response) -> LeadOut:
    set_etag(response, lead.version)
    return LeadOut.model_validate(lead)


@router.get("", operation_id="listLeads", responses=problem_responses(422))
async def list_(
    actor: CurrentActor,
    _: Transaction,
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Words of the title, person, company, phone, email or INN (prefixes)",
        ),
    ] = None,
    owner_id: Id | None = None,
    office_id: Id | None = None,
    status: LeadStatus | None = None,
    updated_since: Moment | None = None,
    sort: Annotated[
        str | None, Query(description="updated_at, created_at, id, title; '-' descending")
    ] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
) -> PageOut[LeadOut]:
    filters = LeadFilters(owner_id, office_id, status, updated_since, q)
    page = await list_leads(actor, filters, sort, decode_cursor(cursor), limit)
    return page_out(page, [LeadOut.model_validate(lead) for lead in page.items])


@router.post(
    "",
    operation_id="createLead",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(422),
)
async def create(
    body: LeadCreate, actor: CurrentActor, _: Transaction, response: Response
) -> LeadOut:
    lead = await create_lead(actor, body.model_dump(exclude_unset=True))
    response.headers["Location"] = f"/v1/leads/{lead.id}"
    return _single(lead, response)


@router.get("/{lead_id}", operation_id="getLead", responses=problem_responses(404))
async def get(lead_id: Id, actor: CurrentActor, _: Transaction, response: Response) -> LeadOut:
    return _single(await get_lead(actor, lead_id), response)


@router.patch(
    "/{lead_id}", operation_id="updateLead", responses=problem_responses(404, 412, 422, 428)
)
async def update(
    lead_id: Id,
    body: LeadUpdate,
    actor: CurrentActor,
    _: Transaction,
    response: Response,
    version: Version,
) -> LeadOut:
    values = body.model_dump(exclude_unset=True)
    return _single(await update_lead(actor, lead_id, values, version=version.number), response)


@router.post(
    "/{lead_id}/convert",
    operation_id="convertLead",
    responses=problem_responses(404, 409, 412, 422, 428),
)
async def convert(
    lead_id: Id,
    body: ConvertIn,
    actor: CurrentActor,
    _: Transaction,
    response: Response,
    version: Version,
) -> LeadOut:
    """Make a contact (and a company when the lead names one) and, by default, a deal.

    A contact or company like an existing one stops the conversion with 409 and its candidates:
    pass their ids as `contact_id` / `company_id` to link them, or `force` to create anyway.
    The `converted_*_id` fields of the answer point at what was made or linked.
    """
    lead = await convert_lead(
        actor,
        lead_id,
        version=version.number,
        contact_id=body.contact_id,
        company_id=body.company_id,
        create_deal_too=body.create_deal,
        pipeline_id=body.pipeline_id,
        force=body.force,
    )
    return _single(lead, response)


@router.post(
    "/{lead_id}/reject",
    operation_id="rejectLead",
    responses=problem_responses(404, 412, 422, 428),
)
async def reject(
    lead_id: Id, actor: CurrentActor, _: Transaction, response: Response, version: Version
) -> LeadOut:
    """Close the lead without converting it."""
    return _single(await reject_lead(actor, lead_id, version=version.number), response)
