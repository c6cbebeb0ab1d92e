"""Leads: raw interest that converts into a contact, a company and a deal."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from models.actor import Actor
from models.audit import audit_changes, audit_created
from models.clock import now
from models.entities import Company, Contact, Lead, LeadStatus
from models.errors import FieldError, FieldErrors, NotFound, ValidationFailed
from models.events import emit
from models.ops import fields as f
from models.ops.companies import create_company
from models.ops.contacts import create_contact
from models.ops.deals import create_deal
from models.ops.search_index import index_lead
from models.ops.versioning import update_versioned
from models.rules.requisites import valid_inn
from models.scope import get_visible
from models.text import Text

ENTITY = "lead"
FIELDS = {
    "title",
    "person_name",
    "company_name",
    "phone",
    "email",
    "inn",
    "notes",
    "deadline",
    "source_id",
    "owner_id",
}
_TEXT_LIMITS = {"title": 300, "person_name": 300, "company_name": 300}
_CLOSED = Text("Лид уже обработан.", "The lead is already closed.")
_NOTHING_TO_CREATE = Text(
    "В лиде нет ни имени, ни компании: контакт создать не из чего.",
    "The lead has neither a name nor a company to create a contact from.",
)


async def _clean(actor: Actor, values: Mapping[str, Any], errors: FieldErrors) -> dict[str, Any]:
    f.reject_unknown(values, FIELDS, errors)
    columns = f.text_columns(values, _TEXT_LIMITS, errors, required=("title",))
    if "notes" in values:
        columns["notes"] = f.text_field(values, "notes", f.LONG_TEXT, errors)
    if "phone" in values:
        columns["phone"] = f.phone_field(values["phone"], "phone", errors)
    if "email" in values:
        columns["email"] = f.email_field(values["email"], "email", errors)
    if values.get("inn"):
        columns["inn"] = valid_inn(str(values["inn"]))
        if columns["inn"] is None:
            errors.add("inn", "invalid_inn", Text("ИНН неверен.", "Invalid INN."))
    if "deadline" in values:
        columns["deadline"] = f.aware_datetime(values["deadline"], "deadline", errors)
    if "source_id" in values:
        columns["source_id"] = await f.source_ref(values["source_id"], errors)
    if "owner_id" in values:
        owner = await f.owner_for(actor, values["owner_id"], errors)
        if owner is not None:
            columns["owner_id"] = owner.id
            columns["office_id"] = owner.office_id
    return columns


async def create_lead(actor: Actor, values: Mapping[str, Any]) -> Lead:
    errors = FieldErrors()
    if not str(values.get("title") or "").strip():
        errors.add("title", "required", f.REQUIRED)
    columns = await _clean(actor, {"owner_id": None, **values}, errors)
    errors.raise_if_any()
    lead = await Lead.create(**columns)
    await audit_created(actor, ENTITY, lead.id, columns)
    await index_lead(lead)
    await emit(ENTITY, lead.id, "created", {k: (None, v) for k, v in columns.items()})
    return lead


async def _open_lead(actor: Actor, lead_id: int) -> Lead:
    lead = await get_visible(Lead, actor, lead_id)
    if lead.status in (LeadStatus.CONVERTED, LeadStatus.REJECTED):
        raise ValidationFailed([FieldError("status", "closed", _CLOSED)])
    return lead


async def update_lead(
    actor: Actor, lead_id: int, values: Mapping[str, Any], *, version: int | None
) -> Lead:
    lead = await _open_lead(actor, lead_id)
    errors = FieldErrors()
    columns = await _clean(actor, values, errors)
    errors.raise_if_any()
    changes = {name: (getattr(lead, name), value) for name, value in columns.items()}
    await update_versioned(lead, version, **columns)
    await audit_changes(actor, ENTITY, lead_id, changes)
    await index_lead(lead)
    await emit(ENTITY, lead_id, "updated", changes)
    return lead


async def reject_lead(actor: Actor, lead_id: int, *, version: int | None) -> Lead:
    lead = await _open_lead(actor, lead_id)
    changes = {"status": (lead.status, LeadStatus.REJECTED)}
    await update_versioned(lead, version, status=LeadStatus.REJECTED)
    await audit_changes(actor, ENTITY, lead_id, changes)
    await emit(ENTITY, lead_id, "updated", changes)
    return lead


def _split_name(full: str) -> dict[str, str]:
    """Russian order: «Фамилия Имя Отчество»; a single word is taken as the first name."""
    parts = full.split()
    if len(parts) == 1:
        return {"first_name": parts[0]}
    names = {"last_name": parts[0], "first_name": parts[1]}
    if len(parts) > 2:
        names["middle_name"] = " ".join(parts[2:])
    return names


async def convert_lead(
    actor: Actor,
    lead_id: int,
    *,
    version: int | None,
    contact_id: int | None = None,
    company_id: int | None = None,
    create_deal_too: bool = True,
    pipeline_id: int | None = None,
    force: bool = False,
) -> Lead:
    """Turn a lead into a contact (new, or `contact_id`), a company and optionally a deal.

    Duplicates of the new contact or company stop the conversion with a Conflict unless `force`;
    the caller may instead pass the existing `contact_id` / `company_id` to link.
    """
    lead = await _open_lead(actor, lead_id)
    errors = FieldErrors()
    for model, name, given in (
        (Contact, "contact_id", contact_id),
        (Company, "company_id", company_id),
    ):
        if given is not None:
            try:
                await get_visible(model, actor, given)
            except NotFound:
                errors.add(name, "not_found", f.NOT_FOUND_REF)
    errors.raise_if_any()
    owner = {"owner_id": lead.owner_id}
    if company_id is None and (lead.company_name or lead.inn):
        company = await create_company(
            actor, {"name": lead.company_name or lead.title, "inn": lead.inn, **owner}, force=force
        )
        company_id = company.id
    if contact_id is None:
        person = lead.person_name or ("" if company_id else lead.title)
        if not person:
            if company_id is None:
                raise ValidationFailed([FieldError("person_name", "required", _NOTHING_TO_CREATE)])
        else:
            contact = await create_contact(
                actor,
                {
                    **_split_name(person),
                    "phones": [lead.phone] if lead.phone else [],
                    "emails": [lead.email] if lead.email else [],
                    "company_id": company_id,
                    "source_id": lead.source_id,
                    **owner,
                },
                force=force,
            )
            contact_id = contact.id
    deal_id = None
    if create_deal_too:
        deal_values: dict[str, Any] = {
            "title": lead.title,
            "contact_id": contact_id,
            "company_id": company_id,
            "source_id": lead.source_id,
            "deadline": lead.deadline,
            **owner,
        }
        if pipeline_id is not None:
            deal_values["pipeline_id"] = pipeline_id
        deal_id = (await create_deal(actor, deal_values)).id
    columns = {
        "status": LeadStatus.CONVERTED,
        "converted_at": now(),
        "converted_contact_id": contact_id,
        "converted_company_id": company_id,
        "converted_deal_id": deal_id,
    }
    changes = {name: (getattr(lead, name), value) for name, value in columns.items()}
    await update_versioned(lead, version, **columns)
    await audit_changes(actor, ENTITY, lead_id, changes, action="convert")
    await emit(ENTITY, lead_id, "updated", changes)
    return lead
