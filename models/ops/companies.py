"""Companies: requisites checked (INN/KPP/OGRN), duplicates detected, changes audited."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from models.actor import Actor
from models.audit import audit_changes, audit_created
from models.entities import Company
from models.errors import FieldErrors
from models.ops import fields as f
from models.ops.duplicates import ensure_unique_company
from models.ops.search_index import index_company
from models.ops.versioning import update_versioned
from models.rules.requisites import check_requisites
from models.scope import get_visible

ENTITY = "company"
_TEXT_LIMITS = {"name": 300, "legal_name": 500, "website": 300, "address": 500}
FIELDS = {
    *_TEXT_LIMITS,
    "inn",
    "kpp",
    "ogrn",
    "phone",
    "email",
    "notes",
    "segment_id",
    "source_id",
    "owner_id",
}


async def _clean(actor: Actor, values: Mapping[str, Any], errors: FieldErrors) -> dict[str, Any]:
    f.reject_unknown(values, FIELDS, errors)
    columns = f.text_columns(values, _TEXT_LIMITS, errors, required=("name",))
    if "notes" in values:
        columns["notes"] = f.text_field(values, "notes", f.LONG_TEXT, errors)
    inn, kpp, ogrn = check_requisites(
        values.get("inn"), values.get("kpp"), values.get("ogrn"), errors
    )
    for name, value in (("inn", inn), ("kpp", kpp), ("ogrn", ogrn)):
        if name in values:
            columns[name] = value
    if "phone" in values:
        columns["phone"] = f.phone_field(values["phone"], "phone", errors)
    if "email" in values:
        columns["email"] = f.email_field(values["email"], "email", errors)
    if "segment_id" in values:
        columns["segment_id"] = await f.segment_ref(values["segment_id"], errors)
    if "source_id" in values:
        columns["source_id"] = await f.source_ref(values["source_id"], errors)
    if "owner_id" in values:
        owner = await f.owner_for(actor, values["owner_id"], errors)
        if owner is not None:
            columns["owner_id"] = owner.id
            columns["office_id"] = owner.office_id
    return columns


async def create_company(
    actor: Actor, values: Mapping[str, Any], *, force: bool = False
) -> Company:
    errors = FieldErrors()
    if not str(values.get("name") or "").strip():
        errors.add("name", "required", f.REQUIRED)
    columns = await _clean(actor, {"owner_id": None, **values}, errors)
    errors.raise_if_any()
    if not force:
        await ensure_unique_company(
            actor,
            columns.get("inn"),
            columns.get("kpp"),
            columns.get("phone"),
            columns.get("email"),
        )
    company = await Company.create(**columns)
    await audit_created(actor, ENTITY, company.id, columns)
    await index_company(company)
    return company


async def update_company(
    actor: Actor,
    company_id: int,
    values: Mapping[str, Any],
    *,
    version: int | None,
    force: bool = False,
) -> Company:
    company = await get_visible(Company, actor, company_id)
    errors = FieldErrors()
    columns = await _clean(actor, values, errors)
    errors.raise_if_any()
    identity = ("inn", "kpp", "phone", "email")
    if not force and any(
        name in columns and columns[name] != getattr(company, name) for name in identity
    ):
        merged = {name: columns.get(name, getattr(company, name)) for name in identity}
        await ensure_unique_company(actor, **merged, exclude_id=company_id)
    changes = {name: (getattr(company, name), value) for name, value in columns.items()}
    await update_versioned(company, version, **columns)
    await audit_changes(actor, ENTITY, company_id, changes)
    await index_company(company, with_contacts="name" in columns or "inn" in columns)
    return company


async def check_company_values(actor: Actor, values: Mapping[str, Any]) -> dict[str, Any]:
    """Check the fields of a company being entered one at a time exactly as `create_company`
    checks them (INN and KPP together when both are given), and write nothing. Returns the
    cleaned values; raises ValidationFailed."""
    errors = FieldErrors()
    columns = await _clean(actor, values, errors)
    errors.raise_if_any()
    return columns
