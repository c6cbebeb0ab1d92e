"""Companies: /v1/companies."""

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
from models.entities import Company
from models.ops.companies import create_company, update_company
from models.queries.companies import CompanyFilters, get_company, list_companies

router = APIRouter(prefix="/companies", tags=["companies"], responses=problem_responses(401))


class CompanyFields(Input):
    name: Annotated[str, Field(max_length=300)] = ""
    legal_name: Annotated[str, Field(max_length=500)] = ""
    inn: Annotated[str | None, Field(max_length=20, description="10 or 12 digits")] = None
    kpp: Annotated[str | None, Field(max_length=20)] = None
    ogrn: Annotated[str | None, Field(max_length=20, description="13 or 15 digits")] = None
    phone: Annotated[str | None, Field(max_length=40)] = None
    email: Annotated[str | None, Field(max_length=254)] = None
    website: Annotated[str, Field(max_length=300)] = ""
    address: Annotated[str, Field(max_length=500)] = ""
    notes: Annotated[str, Field(max_length=10000)] = ""
    segment_id: Id | None = None
    source_id: Id | None = None
    owner_id: Id | None = Field(default=None, description="Heads and admins may assign others")


class CompanyCreate(CompanyFields):
    name: Annotated[str, Field(min_length=1, max_length=300)]


class CompanyUpdate(CompanyFields):
    """Only the fields sent are changed."""


class CompanyOut(Output):
    id: int
    name: str
    legal_name: str
    inn: str | None
    kpp: str | None
    ogrn: str | None
    phone: str | None
    email: str | None
    website: str
    address: str
    notes: str
    segment_id: Id | None
    source_id: Id | None
    owner_id: Id
    office_id: Id
    version: int
    created_at: datetime
    updated_at: datetime


def _single(company: Company, response: Response) -> CompanyOut:
    set_etag(response, company.version)
    return CompanyOut.model_validate(company)


@router.get("", operation_id="listCompanies", responses=problem_responses(422))
async def list_(
    actor: CurrentActor,
    _: Transaction,
    q: Annotated[str | None, Query(max_length=200, description="Name, INN, phone, email")] = None,
    owner_id: Id | None = None,
    office_id: Id | None = None,
    segment_id: Id | None = None,
    updated_since: Moment | None = None,
    sort: Annotated[
        str | None, Query(description="updated_at, created_at, id, name; '-' for descending")
    ] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
) -> PageOut[CompanyOut]:
    filters = CompanyFilters(owner_id, office_id, segment_id, updated_since, q)
    page = await list_companies(actor, filters, sort, decode_cursor(cursor), limit)
    return page_out(page, [CompanyOut.model_validate(c) for c in page.items])


@router.post(
    "",
    operation_id="createCompany",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(409, 422),
)
async def create(
    body: CompanyCreate,
    actor: CurrentActor,
    _: Transaction,
    response: Response,
    force: Annotated[bool, Query(description="Create even if duplicates exist")] = False,
) -> CompanyOut:
    company = await create_company(actor, body.model_dump(exclude_unset=True), force=force)
    response.headers["Location"] = f"/v1/companies/{company.id}"
    return _single(company, response)


@router.get("/{company_id}", operation_id="getCompany", responses=problem_responses(404))
async def get(
    company_id: Id, actor: CurrentActor, _: Transaction, response: Response
) -> CompanyOut:
    return _single(await get_company(actor, company_id), response)


@router.patch(
    "/{company_id}",
    operation_id="updateCompany",
    responses=problem_responses(404, 409, 412, 422, 428),
)
async def update(
    company_id: Id,
    body: CompanyUpdate,
    actor: CurrentActor,
    _: Transaction,
    response: Response,
    version: Version,
    force: bool = False,
) -> CompanyOut:
    company = await update_company(
        actor, company_id, body.model_dump(exclude_unset=True), version=version.number, force=force
    )
    return _single(company, response)
