"""Contacts: /v1/contacts."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status
from pydantic import Field

from api.deps import CurrentActor, Transaction
from api.pagination import (
    DEFAULT_PAGE_SIZE,
    Cursor,
    Limit,
    PageOut,
    RowsPage,
    decode_cursor,
)
from api.problems import problem_responses
from api.schemas import Id, Input, Moment, Output
from api.versions import Version, set_etag
from models.entities import Channel, Contact
from models.ops.contacts import contact_emails, contact_phones, create_contact, update_contact
from models.queries.contacts import (
    LIST_COLUMNS,
    ContactFilters,
    get_contact,
    list_contacts_as_json,
)

router = APIRouter(prefix="/contacts", tags=["contacts"], responses=problem_responses(401))

Name = Annotated[str, Field(max_length=100)]
Phones = Annotated[list[Annotated[str, Field(max_length=40)]], Field(max_length=10)]
Emails = Annotated[list[Annotated[str, Field(max_length=254)]], Field(max_length=10)]
Language = Literal["ru", "en"]
LANGUAGE_DESCRIPTION = (
    "The language messages to this client are written in (templates, notifications); "
    "null: the installation's language"
)


class ContactFields(Input):
    first_name: Name = ""
    last_name: Name = ""
    middle_name: Name = ""
    position: Annotated[str, Field(max_length=200)] = ""
    birthday: date | None = None
    phones: Phones = Field(default_factory=list, description="Any format; stored as E.164")
    emails: Emails = Field(default_factory=list)
    company_id: Id | None = None
    source_id: Id | None = None
    segment_id: Id | None = None
    owner_id: Id | None = Field(default=None, description="Heads and admins may assign others")
    preferred_channels: list[Channel] = Field(default_factory=list, max_length=5)
    language: Language | None = Field(default=None, description=LANGUAGE_DESCRIPTION)
    notes: Annotated[str, Field(max_length=10000)] = ""


class ContactCreate(ContactFields):
    pass


class ContactUpdate(ContactFields):
    """Only the fields sent are changed."""


class ContactOut(Output):
    id: int
    first_name: str
    last_name: str
    middle_name: str
    position: str
    birthday: date | None
    phones: list[str] = Field(description="E.164")
    emails: list[str]
    company_id: Id | None
    source_id: Id | None
    segment_id: Id | None
    owner_id: Id
    office_id: Id
    preferred_channels: list[Channel]
    language: Language | None = Field(description=LANGUAGE_DESCRIPTION)
    notes: str
    version: int
    created_at: datetime
    updated_at: datetime


async def _single(contact: Contact, response: Response) -> ContactOut:
    set_etag(response, contact.version)
    row = {name: getattr(contact, name) for name in LIST_COLUMNS}
    phones, emails = await contact_phones(contact.id), await contact_emails(contact.id)
    return ContactOut(**row, phones=phones, emails=emails)


@router.get(
    "",
    operation_id="listContacts",
    response_model=PageOut[ContactOut],
    responses=problem_responses(422),
)
async def list_(
    actor: CurrentActor,
    _: Transaction,
    q: Annotated[
        str | None, Query(max_length=200, description="Name, phone, last 4 digits, email, INN")
    ] = None,
    owner_id: Id | None = None,
    office_id: Id | None = None,
    company_id: Id | None = None,
    updated_since: Moment | None = None,
    sort: Annotated[
        str | None, Query(description="updated_at, created_at, id, last_name; '-' for descending")
    ] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
) -> RowsPage:
    filters = ContactFilters(owner_id, office_id, company_id, updated_since, q)
    return RowsPage(await list_contacts_as_json(actor, filters, sort, decode_cursor(cursor), limit))


@router.post(
    "",
    operation_id="createContact",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(409, 422),
)
async def create(
    body: ContactCreate,
    actor: CurrentActor,
    _: Transaction,
    response: Response,
    force: Annotated[bool, Query(description="Create even if duplicates exist")] = False,
) -> ContactOut:
    contact = await create_contact(actor, body.model_dump(exclude_unset=True), force=force)
    response.headers["Location"] = f"/v1/contacts/{contact.id}"
    return await _single(contact, response)


@router.get("/{contact_id}", operation_id="getContact", responses=problem_responses(404))
async def get(
    contact_id: Id, actor: CurrentActor, _: Transaction, response: Response
) -> ContactOut:
    return await _single(await get_contact(actor, contact_id), response)


@router.patch(
    "/{contact_id}",
    operation_id="updateContact",
    responses=problem_responses(404, 409, 412, 422, 428),
)
async def update(
    contact_id: Id,
    body: ContactUpdate,
    actor: CurrentActor,
    _: Transaction,
    response: Response,
    version: Version,
    force: bool = False,
) -> ContactOut:
    contact = await update_contact(
        actor, contact_id, body.model_dump(exclude_unset=True), version=version.number, force=force
    )
    return await _single(contact, response)
