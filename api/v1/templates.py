"""Message templates: /v1/templates. Admins only.

A template is Jinja2 over the variables `client`, `company`, `deal`, `order` and `manager`
(docs/messaging.md lists their fields); a WhatsApp template with a Twilio Content SID maps that
Content template's placeholders to expressions over the same variables (`content_variables`).
Saving checks the syntax and every variable: a problem is a 422 whose field error names the
field (`body`, `content_variables.1`), the line and the name. One template per purpose, channel
and language.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status
from pydantic import Field

from api.deps import CurrentActor, Transaction
from api.pagination import DEFAULT_PAGE_SIZE, Cursor, Limit, PageOut, decode_cursor, page_out
from api.problems import problem_responses
from api.schemas import Id, Input, Output
from api.versions import Version, set_etag
from models.entities import Channel, ConsentPurpose, Template
from models.ops.templates import (
    create_template,
    delete_template,
    get_template,
    preview_template,
    template_sms_length,
    update_template,
)
from models.queries.templates import TemplateFilters, list_templates
from models.rules.sms import SmsLength

router = APIRouter(prefix="/templates", tags=["templates"], responses=problem_responses(401))

Purpose = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        description="order_status.<status>, thanks_after_call, proposal_sent, "
        "appointment_reminder, birthday_greeting, or your own",
        examples=["order_status.shipped"],
    ),
]
Language = Literal["ru", "en"]
Subject = Annotated[
    str, Field(max_length=300, description="Email (required) and push (the title); Jinja2")
]
Body = Annotated[
    str,
    Field(
        max_length=10_000,
        description="Jinja2. Telegram HTML, WhatsApp or SMS text, email HTML or a push body",
    ),
]
TextBody = Annotated[str, Field(max_length=10_000, description="Email only: the plain-text part")]
ContentSid = Annotated[
    str, Field(max_length=64, description="WhatsApp only: an approved Twilio Content SID (HX…)")
]
ContentVariables = Annotated[
    dict[str, Annotated[str, Field(max_length=1000)]],
    Field(
        max_length=100,
        description='With a content_sid only: the Content template\'s placeholders ("1", "2", '
        "or names: letters, digits, _, up to 16) → a Jinja2 expression over the body's "
        'variables, e.g. {"1": "client.first_name or \'клиент\'", "2": "order.number"}',
        examples=[{"1": "client.first_name", "2": "order.number"}],
    ),
]


class TemplateCreate(Input):
    purpose: Purpose
    channel: Channel
    language: Language
    consent_purpose: ConsentPurpose = Field(
        default=ConsentPurpose.SERVICE, description="marketing needs the client's consent"
    )
    subject: Subject = ""
    body: Body
    text_body: TextBody = ""
    content_sid: ContentSid | None = None
    content_variables: ContentVariables = Field(default_factory=dict)
    is_active: bool = True


class TemplateUpdate(Input):
    """Only the fields sent are changed."""

    purpose: Purpose | None = None
    channel: Channel | None = None
    language: Language | None = None
    consent_purpose: ConsentPurpose | None = None
    subject: Subject | None = None
    body: Body | None = None
    text_body: TextBody | None = None
    content_sid: ContentSid | None = Field(default=None, description="Null removes it")
    content_variables: ContentVariables | None = Field(
        default=None, description="Null or {} removes them"
    )
    is_active: bool | None = None


class SmsLengthOut(Output):
    encoding: Literal["gsm7", "ucs2"] = Field(
        description="ucs2 as soon as one character is not GSM"
    )
    units: int = Field(description="Characters as SMS counts them")
    segments: int = Field(description="SMS messages it takes: 160/153 for GSM-7, 70/67 for UCS-2")


class TemplateOut(Output):
    id: int
    purpose: str
    channel: Channel
    language: str
    consent_purpose: ConsentPurpose
    subject: str
    body: str
    text_body: str
    content_sid: str | None
    content_variables: dict[str, str] = Field(
        description="The Content template's placeholders → Jinja2 expressions; {} for none"
    )
    is_active: bool
    sms: SmsLengthOut | None = Field(
        description="SMS templates: the length with every variable blank (a floor)"
    )
    version: int
    created_at: datetime
    updated_at: datetime


class TemplatePreviewIn(Input):
    contact_id: Id = Field(description="The client to render it for")
    order_id: Id | None = Field(default=None, description="For the order variables")
    deal_id: Id | None = Field(default=None, description="For the deal variables")


class TemplatePreviewOut(Output):
    template_id: int
    channel: Channel
    language: str
    subject: str
    body: str
    text_body: str
    content_variables: dict[str, str] = Field(
        description="A template with a content_sid: each placeholder's value as Twilio gets it "
        "(the client gets the approved Content template with these, not `body`); else {}"
    )
    sms: SmsLengthOut | None = Field(description="SMS templates: the length of this text")


def _sms(length: SmsLength | None) -> SmsLengthOut | None:
    if length is None:
        return None
    return SmsLengthOut(encoding=length.encoding, units=length.units, segments=length.segments)


def _out(template: Template, response: Response | None = None) -> TemplateOut:
    if response is not None:
        set_etag(response, template.version)
    return TemplateOut(
        id=template.id,
        purpose=template.purpose,
        channel=Channel(template.channel),
        language=template.language,
        consent_purpose=ConsentPurpose(template.consent_purpose),
        subject=template.subject,
        body=template.body,
        text_body=template.text_body,
        content_sid=template.content_sid,
        content_variables=dict(template.content_variables or {}),
        is_active=template.is_active,
        sms=_sms(template_sms_length(template)),
        version=template.version,
        created_at=template.created_at,
        updated_at=template.updated_at,
    )


@router.get("", operation_id="listTemplates", responses=problem_responses(403, 422))
async def list_(
    actor: CurrentActor,
    _: Transaction,
    purpose: Annotated[str | None, Query(max_length=64)] = None,
    channel: Channel | None = None,
    language: Language | None = None,
    active: bool | None = None,
    sort: Annotated[
        str | None, Query(max_length=50, description="purpose, id, updated_at; '-' descending")
    ] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
) -> PageOut[TemplateOut]:
    filters = TemplateFilters(purpose, channel, language, active)
    page = await list_templates(actor, filters, sort, decode_cursor(cursor), limit)
    return page_out(page, [_out(t) for t in page.items])


@router.post(
    "",
    operation_id="createTemplate",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(403, 422),
)
async def create(
    body: TemplateCreate, actor: CurrentActor, _: Transaction, response: Response
) -> TemplateOut:
    """422 names each unknown variable or syntax error with its line."""
    template = await create_template(actor, body.model_dump(exclude_unset=True))
    response.headers["Location"] = f"/v1/templates/{template.id}"
    return _out(template, response)


@router.get("/{template_id}", operation_id="getTemplate", responses=problem_responses(403, 404))
async def get(
    template_id: Id, actor: CurrentActor, _: Transaction, response: Response
) -> TemplateOut:
    return _out(await get_template(actor, template_id), response)


@router.patch(
    "/{template_id}",
    operation_id="updateTemplate",
    responses=problem_responses(403, 404, 412, 422, 428),
)
async def update(
    template_id: Id,
    body: TemplateUpdate,
    actor: CurrentActor,
    _: Transaction,
    response: Response,
    version: Version,
) -> TemplateOut:
    template = await update_template(
        actor, template_id, body.model_dump(exclude_unset=True), version=version.number
    )
    return _out(template, response)


@router.delete(
    "/{template_id}",
    operation_id="deleteTemplate",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(403, 404),
)
async def delete(template_id: Id, actor: CurrentActor, _: Transaction) -> None:
    """Messages already rendered from it keep their text. To pause a template, set
    `is_active: false` instead; `voronka templates install-defaults` brings back a deleted
    default."""
    await delete_template(actor, template_id)


@router.post(
    "/{template_id}/preview",
    operation_id="previewTemplate",
    responses=problem_responses(403, 404, 422),
)
async def preview(
    template_id: Id, body: TemplatePreviewIn, actor: CurrentActor, _: Transaction
) -> TemplatePreviewOut:
    """The template rendered for a client (and one of their orders or deals). Sends nothing."""
    shown = await preview_template(
        actor, template_id, contact_id=body.contact_id, order_id=body.order_id, deal_id=body.deal_id
    )
    template = shown.template
    return TemplatePreviewOut(
        template_id=template.id,
        channel=Channel(template.channel),
        language=template.language,
        subject=shown.rendered.subject,
        body=shown.rendered.body,
        text_body=shown.rendered.text_body,
        content_variables=shown.rendered.content_variables,
        sms=_sms(shown.sms),
    )
