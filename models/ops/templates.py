"""Message templates: admins write them, the outbox renders them for a contact.

A template is checked when it is saved: its Jinja2 syntax, and every variable against
`models.rules.templates.VARIABLES`; each problem is a field error naming the line and the name.
A WhatsApp template with a Twilio Content SID maps the Content template's placeholders to
expressions over the same variables (`content_variables`), checked the same way and rendered
with the body.
The values a template sees are built here (`build_context`), the one place that turns a contact,
its company, a deal, an order and a manager into template variables.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from models.actor import Actor
from models.audit import audit_changes, audit_created, audit_event
from models.entities import (
    Channel,
    Company,
    ConsentPurpose,
    Contact,
    Deal,
    Order,
    OrderStatus,
    Template,
    User,
)
from models.errors import FieldError, FieldErrors, NotFound, ValidationFailed
from models.ops import fields as f
from models.ops.org import require_admin
from models.ops.versioning import update_versioned
from models.rules.default_templates import default_templates
from models.rules.sms import SmsLength, sms_length
from models.rules.templates import (
    HTML_CHANNELS,
    ORDER_STATUS_LABELS,
    VARIABLES,
    RenderFailed,
    check_expression,
    check_template,
    empty_context,
    format_amount,
    render,
    render_expression,
)
from models.scope import get_visible
from models.settings import get_settings
from models.text import LANGUAGES, Text

ENTITY = "template"
FIELDS = {
    "purpose",
    "channel",
    "language",
    "consent_purpose",
    "subject",
    "body",
    "text_body",
    "content_sid",
    "content_variables",
    "is_active",
}
BODY_LIMIT = 10_000
SUBJECT_LIMIT = 300
_PURPOSE = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)*")
_CONTENT_SID = re.compile(r"HX[0-9a-f]{32}")
# Twilio's limits: keys are letters and digits (WhatsApp's are "1", "2", …), at most 16
# characters; at most 100 variables a template, each value at most 1600 characters.
_CONTENT_KEY = re.compile(r"[A-Za-z0-9_]{1,16}")
CONTENT_VARIABLES_LIMIT = 100
CONTENT_VALUE_LIMIT = 1600
EXPRESSION_LIMIT = 1000

_BAD_PURPOSE = Text(
    "Назначение — латинские строчные буквы, цифры, _ и точки, например order_status.shipped.",
    "Purpose: lowercase Latin letters, digits, _ and dots, e.g. order_status.shipped.",
)
_BAD_CHANNEL = Text(
    "Канал: telegram, whatsapp, sms, email или push.",
    "Channel: telegram, whatsapp, sms, email or push.",
)
_BAD_LANGUAGE = Text("Язык: ru или en.", "Language: ru or en.")
_BAD_CONSENT = Text(
    "Согласие: service (уведомления) или marketing (реклама).",
    "Consent purpose: service (notifications) or marketing.",
)
_BAD_SID = Text(
    "Content SID шаблона Twilio: HX и 32 шестнадцатеричные цифры.",
    "A Twilio Content SID: HX and 32 hexadecimal digits.",
)
_SID_NOT_WHATSAPP = Text(
    "Content SID бывает только у шаблонов WhatsApp.", "Only WhatsApp templates have a Content SID."
)
_BAD_VARIABLES = Text(
    "Переменные шаблона Twilio — объект: номер или имя переменной → выражение, "
    'например {"1": "client.first_name"}.',
    "Twilio template variables are an object of placeholder → expression, e.g. "
    '{"1": "client.first_name"}.',
)
_TOO_MANY_VARIABLES = Text("Не больше {n} переменных.", "At most {n} variables.")
_BAD_KEY = Text(
    "Имя переменной шаблона Twilio: латинские буквы, цифры и _, до 16 символов (например 1).",
    "A Twilio template placeholder: Latin letters, digits and _, up to 16 characters (e.g. 1).",
)
_BAD_EXPRESSION = Text(
    "Ожидается выражение текстом, например client.first_name.",
    "Expected an expression as text, e.g. client.first_name.",
)
_VARIABLES_NEED_SID = Text(
    "Переменные бывают только у шаблона с Content SID (шаблон Twilio для WhatsApp).",
    "Only a template with a Content SID (a Twilio WhatsApp template) has variables.",
)
_TEXT_NOT_EMAIL = Text(
    "Текстовая версия бывает только у писем.", "Only email templates have a plain-text part."
)
_SUBJECT_NOT_EMAIL = Text(
    "Тема бывает только у писем и push-уведомлений.",
    "Only email and push templates have a subject.",
)
_BAD_FLAG = Text("Ожидается true или false.", "Expected true or false.")
_TAKEN = Text(
    "Шаблон с таким назначением для этого канала и языка уже есть.",
    "A template with this purpose, channel and language exists.",
)


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    body: str
    text_body: str
    # A Content template's placeholders with their values (WhatsApp with a Content SID only).
    content_variables: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Preview:
    template: Template
    rendered: Rendered
    sms: SmsLength | None


def _check_text(values: Mapping[str, Any], name: str, limit: int, errors: FieldErrors) -> None:
    text = f.text_field(values, name, limit, errors)
    if text is None or errors.has(name):
        return
    for problem in check_template(text):
        errors.add(name, problem.code, problem.message)


def _clean(values: Mapping[str, Any], errors: FieldErrors) -> dict[str, Any]:
    f.reject_unknown(values, FIELDS, errors)
    columns: dict[str, Any] = {}
    if "purpose" in values:
        purpose = f.text_field(values, "purpose", 64, errors) or ""
        if not errors.has("purpose") and not _PURPOSE.fullmatch(purpose):
            errors.add("purpose", "invalid_purpose", _BAD_PURPOSE)
        columns["purpose"] = purpose
    for name, enum, message in (
        ("channel", Channel, _BAD_CHANNEL),
        ("consent_purpose", ConsentPurpose, _BAD_CONSENT),
    ):
        if name in values:
            try:
                columns[name] = enum(values[name])
            except ValueError:
                errors.add(name, "invalid_choice", message)
    if "language" in values:
        if values["language"] in LANGUAGES:
            columns["language"] = values["language"]
        else:
            errors.add("language", "invalid_choice", _BAD_LANGUAGE)
    for name, limit in (
        ("subject", SUBJECT_LIMIT),
        ("body", BODY_LIMIT),
        ("text_body", BODY_LIMIT),
    ):
        if name in values:
            _check_text(values, name, limit, errors)
            columns[name] = (f.text_field(values, name, limit, FieldErrors()) or "")[:limit]
    if "body" in columns and not columns["body"] and not errors.has("body"):
        errors.add("body", "required", f.REQUIRED)
    if "content_sid" in values:
        sid = (f.text_field(values, "content_sid", 64, errors) or "") or None
        if sid is not None and not _CONTENT_SID.fullmatch(sid):
            errors.add("content_sid", "invalid_content_sid", _BAD_SID)
        columns["content_sid"] = sid
    if "content_variables" in values:
        columns["content_variables"] = _content_variables(values["content_variables"], errors)
    if "is_active" in values:
        if isinstance(values["is_active"], bool):
            columns["is_active"] = values["is_active"]
        else:
            errors.add("is_active", "invalid", _BAD_FLAG)
    return columns


def _content_variables(raw: object, errors: FieldErrors) -> dict[str, str]:
    """Placeholder → expression, each expression checked like a body (syntax, variables); an
    error names `content_variables.<placeholder>`. Null or {} clears them."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        errors.add("content_variables", "invalid", _BAD_VARIABLES)
        return {}
    if len(raw) > CONTENT_VARIABLES_LIMIT:
        errors.add(
            "content_variables", "too_many", _TOO_MANY_VARIABLES.format(n=CONTENT_VARIABLES_LIMIT)
        )
        return {}
    cleaned: dict[str, str] = {}
    for key, expression in raw.items():
        name = f"content_variables.{key}"
        if not isinstance(key, str) or not _CONTENT_KEY.fullmatch(key):
            errors.add(name, "invalid_key", _BAD_KEY)
            continue
        if not isinstance(expression, str):
            errors.add(name, "invalid", _BAD_EXPRESSION)
            continue
        text = f.text_field({name: expression}, name, EXPRESSION_LIMIT, errors) or ""
        if errors.has(name):
            continue
        if not text:
            errors.add(name, "required", f.REQUIRED)
            continue
        for problem in check_expression(text):
            errors.add(name, problem.code, problem.message)
        cleaned[key] = text
    return cleaned


def _check_channel_fields(merged: Mapping[str, Any], errors: FieldErrors) -> None:
    """What only some channels have: an email needs a subject, a push may have one (the
    notification's title), only email has a plain-text part, only WhatsApp a Content SID."""
    channel = merged.get("channel")
    if channel is None:
        return
    if channel is Channel.EMAIL:
        if not merged.get("subject") and not errors.has("subject"):
            errors.add("subject", "required", f.REQUIRED)
    else:
        if channel is not Channel.PUSH and merged.get("subject") and not errors.has("subject"):
            errors.add("subject", "not_for_channel", _SUBJECT_NOT_EMAIL)
        if merged.get("text_body") and not errors.has("text_body"):
            errors.add("text_body", "not_for_channel", _TEXT_NOT_EMAIL)
    if channel is not Channel.WHATSAPP and merged.get("content_sid"):
        errors.add("content_sid", "not_for_channel", _SID_NOT_WHATSAPP)
    if merged.get("content_variables") and not merged.get("content_sid"):
        if not errors.has("content_sid") and not errors.has("content_variables"):
            errors.add("content_variables", "needs_content_sid", _VARIABLES_NEED_SID)


async def _save_unique(
    create: bool, template: Template | None, columns: dict[str, Any]
) -> Template:
    """Insert or update in a savepoint: a concurrent twin fails here as a field error, without
    poisoning the caller's transaction."""
    taken = ValidationFailed([FieldError("purpose", "taken", _TAKEN)])
    try:
        async with in_transaction():
            if create:
                return await Template.create(**columns)
            assert template is not None
            await update_versioned(template, columns.pop("version"), **columns)
            return template
    except IntegrityError:
        raise taken from None


async def _twin_exists(merged: Mapping[str, Any], exclude_id: int | None = None) -> bool:
    query = Template.filter(
        purpose=merged["purpose"], channel=merged["channel"], language=merged["language"]
    )
    if exclude_id is not None:
        query = query.exclude(id=exclude_id)
    return await query.exists()


async def create_template(actor: Actor, values: Mapping[str, Any]) -> Template:
    require_admin(actor)
    errors = FieldErrors()
    columns = _clean(values, errors)
    for name in ("purpose", "channel", "language", "body"):
        if name not in values and not errors.has(name):
            errors.add(name, "required", f.REQUIRED)
    _check_channel_fields(columns, errors)
    errors.raise_if_any()
    if await _twin_exists(columns):
        raise ValidationFailed([FieldError("purpose", "taken", _TAKEN)])
    template = await _save_unique(True, None, columns)
    await audit_created(actor, ENTITY, template.id, columns)
    return template


async def get_template(actor: Actor, template_id: int) -> Template:
    require_admin(actor)
    template = await Template.get_or_none(id=template_id)
    if template is None:
        raise NotFound(ENTITY, template_id)
    return template


async def update_template(
    actor: Actor, template_id: int, values: Mapping[str, Any], *, version: int | None
) -> Template:
    template = await get_template(actor, template_id)
    errors = FieldErrors()
    columns = _clean(values, errors)
    for name in ("purpose", "channel", "language"):
        if name in values and values[name] is None and not errors.has(name):
            errors.add(name, "required", f.REQUIRED)
    merged = {name: getattr(template, name) for name in FIELDS} | columns
    merged["channel"] = Channel(merged["channel"])
    _check_channel_fields(merged, errors)
    errors.raise_if_any()
    if {"purpose", "channel", "language"} & columns.keys() and await _twin_exists(
        merged, template.id
    ):
        raise ValidationFailed([FieldError("purpose", "taken", _TAKEN)])
    changes = {name: (getattr(template, name), value) for name, value in columns.items()}
    await _save_unique(False, template, {**columns, "version": version})
    await audit_changes(actor, ENTITY, template.id, changes)
    return template


async def delete_template(actor: Actor, template_id: int) -> None:
    """Messages rendered from it keep their text (their template becomes null)."""
    template = await get_template(actor, template_id)
    await template.delete()
    await audit_event(actor, ENTITY, template_id, "delete", template.purpose)


async def install_default_templates() -> int:
    """Add the shipped templates that are missing (by purpose, channel and language); never
    change one that exists, edited or not. Returns how many were added."""
    existing = {
        (str(purpose), Channel(channel).value, str(language))
        for purpose, channel, language in await Template.all().values_list(
            "purpose", "channel", "language"
        )
    }
    missing = [
        Template(
            purpose=d.purpose,
            channel=d.channel,
            language=d.language,
            consent_purpose=d.consent_purpose,
            subject=d.subject,
            body=d.body,
            text_body=d.text_body,
        )
        for d in default_templates()
        if (d.purpose, d.channel.value, d.language) not in existing
    ]
    if missing:
        await Template.bulk_create(missing, ignore_conflicts=True)
    return len(missing)


# Rendering


def _full_name(*parts: str) -> str:
    return " ".join(p for p in parts if p)


def _local_date(moment: datetime | None, language: str) -> str:
    if moment is None:
        return ""
    day = moment.astimezone(ZoneInfo(get_settings().timezone)).date()
    return day.isoformat() if language == "en" else day.strftime("%d.%m.%Y")


async def build_context(
    contact: Contact | None,
    language: str,
    *,
    order: Order | None = None,
    deal: Deal | None = None,
    manager: User | None = None,
) -> dict[str, dict[str, str]]:
    """The variables of `VARIABLES` for a contact (and an order, a deal, a manager): strings,
    blank where a thing is unknown, so a checked template always renders."""
    context = empty_context()
    if deal is None and order is not None and order.deal_id is not None:
        deal = await Deal.get_or_none(id=order.deal_id)
    company_id = contact.company_id if contact else None
    if company_id is None and order is not None:
        company_id = order.company_id
    if company_id is None and deal is not None:
        company_id = deal.company_id
    if manager is None:
        owner = order or deal or contact
        manager = await User.get_or_none(id=owner.owner_id) if owner is not None else None
    if contact is not None:
        context["client"].update(
            first_name=contact.first_name,
            last_name=contact.last_name,
            middle_name=contact.middle_name,
            full_name=_full_name(contact.first_name, contact.last_name),
            position=contact.position,
        )
    company = await Company.get_or_none(id=company_id) if company_id else None
    if company is not None:
        context["company"].update(
            name=company.name,
            legal_name=company.legal_name,
            inn=company.inn or "",
            phone=company.phone or "",
            email=company.email or "",
            website=company.website,
        )
    if deal is not None:
        context["deal"].update(
            title=deal.title,
            amount=format_amount(deal.amount, language),
            currency=deal.currency if deal.amount is not None else "",
            deadline=_local_date(deal.deadline, language),
        )
    if order is not None:
        status = OrderStatus(order.status)
        context["order"].update(
            number=order.number,
            status=status.value,
            status_label=ORDER_STATUS_LABELS[status].get(language),
            amount=format_amount(order.amount, language),
            currency=order.currency if order.amount is not None else "",
        )
    if manager is not None:
        context["manager"].update(
            full_name=manager.full_name, email=manager.email, phone=manager.phone or ""
        )
    assert set(context) == set(VARIABLES)
    return context


class ContentVariableFailed(RenderFailed):
    """A Content template variable could not be given a value for this message."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"content variable {key!r}: {reason}")
        self.key = key


def render_template(template: Template, context: Mapping[str, Mapping[str, str]]) -> Rendered:
    """Raises models.rules.templates.RenderFailed."""
    html = Channel(template.channel) in HTML_CHANNELS
    return Rendered(
        subject=render(template.subject, context, html=False),
        body=render(template.body, context, html=html),
        text_body=render(template.text_body, context, html=False),
        content_variables=render_content_variables(template, context),
    )


def render_content_variables(
    template: Template, context: Mapping[str, Mapping[str, str]]
) -> dict[str, str]:
    """The values of a Content template's placeholders ({} without a Content SID). A value that
    comes out empty fails (RenderFailed): Twilio refuses empty values, and leaving one out would
    send the template's sample value (someone else's name) instead."""
    if not template.content_sid:
        return {}
    values: dict[str, str] = {}
    for key, expression in (template.content_variables or {}).items():
        try:
            value = render_expression(expression, context)
        except RenderFailed as error:
            raise ContentVariableFailed(key, str(error)) from error
        if not value:
            raise ContentVariableFailed(key, f"{expression} is empty")
        if len(value) > CONTENT_VALUE_LIMIT:
            raise ContentVariableFailed(key, f"longer than {CONTENT_VALUE_LIMIT} characters")
        values[key] = value
    return values


_PREVIEW_FAILED = Text(
    "Шаблон не удалось отрисовать: {error}", "The template failed to render: {error}"
)


async def preview_template(
    actor: Actor,
    template_id: int,
    *,
    contact_id: int,
    order_id: int | None = None,
    deal_id: int | None = None,
) -> Preview:
    """The template as `contact_id` would get it (with an order or deal of theirs, when given)."""
    template = await get_template(actor, template_id)
    errors = FieldErrors()
    refs: dict[str, Any] = {}
    for name, model, value in (
        ("contact_id", Contact, contact_id),
        ("order_id", Order, order_id),
        ("deal_id", Deal, deal_id),
    ):
        if value is None:
            continue
        try:
            refs[name] = await get_visible(model, actor, value)
        except NotFound:
            errors.add(name, "not_found", f.NOT_FOUND_REF)
    errors.raise_if_any()
    context = await build_context(
        refs["contact_id"],
        template.language,
        order=refs.get("order_id"),
        deal=refs.get("deal_id"),
    )
    try:
        rendered = render_template(template, context)
    except ContentVariableFailed as error:
        raise ValidationFailed(
            [
                FieldError(
                    f"content_variables.{error.key}",
                    "render_failed",
                    _PREVIEW_FAILED.format(error=error),
                )
            ]
        ) from None
    except RenderFailed as error:
        raise ValidationFailed(
            [FieldError("body", "render_failed", _PREVIEW_FAILED.format(error=error))]
        ) from None
    sms = sms_length(rendered.body) if Channel(template.channel) is Channel.SMS else None
    return Preview(template, rendered, sms)


def template_sms_length(template: Template) -> SmsLength | None:
    """An SMS template's length as written, with blank variables: a floor for previews."""
    if Channel(template.channel) is not Channel.SMS:
        return None
    try:
        return sms_length(render(template.body, empty_context(), html=False))
    except RenderFailed:
        return None
