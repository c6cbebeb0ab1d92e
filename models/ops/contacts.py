"""Contacts: create and update with normalised phones and emails, duplicate checks and audit."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from models.actor import Actor
from models.audit import audit_changes, audit_created
from models.clock import now
from models.entities import Channel, Company, Contact, ContactEmail, ContactPhone
from models.errors import FieldErrors, NotFound
from models.events import emit
from models.ops import fields as f
from models.ops.duplicates import ensure_unique_contact
from models.ops.search_index import index_contact
from models.ops.versioning import update_versioned
from models.rules.phones import last_digits
from models.scope import get_visible
from models.text import LANGUAGES, Text

ENTITY = "contact"
_TEXT_LIMITS = {"first_name": 100, "last_name": 100, "middle_name": 100, "position": 200}
FIELDS = {
    *_TEXT_LIMITS,
    "birthday",
    "notes",
    "phones",
    "emails",
    "company_id",
    "source_id",
    "segment_id",
    "owner_id",
    "preferred_channels",
    "language",
}
_NAME_REQUIRED = Text("Укажите имя или фамилию.", "Give a first or last name.")
_BAD_CHANNEL = Text("Неизвестный канал связи.", "Unknown channel.")
_BAD_LANGUAGE = Text(
    "Язык сообщений клиенту: ru, en или пусто (язык по умолчанию).",
    "The client's message language: ru, en or null (the default language).",
)


@dataclass
class _Cleaned:
    columns: dict[str, Any] = field(default_factory=dict)
    phones: list[str] | None = None
    emails: list[str] | None = None


async def _clean(actor: Actor, values: Mapping[str, Any], errors: FieldErrors) -> _Cleaned:
    f.reject_unknown(values, FIELDS, errors)
    cleaned = _Cleaned(columns=f.text_columns(values, _TEXT_LIMITS, errors))
    if "notes" in values:
        cleaned.columns["notes"] = f.text_field(values, "notes", f.LONG_TEXT, errors)
    if "birthday" in values:
        cleaned.columns["birthday"] = f.past_date(
            values["birthday"], "birthday", errors, now().date()
        )
    if "phones" in values:
        cleaned.phones = f.phone_list(list(values["phones"] or []), "phones", errors)
    if "emails" in values:
        cleaned.emails = f.email_list(list(values["emails"] or []), "emails", errors)
    if "company_id" in values:
        cleaned.columns["company_id"] = await _company_ref(actor, values["company_id"], errors)
    if "source_id" in values:
        cleaned.columns["source_id"] = await f.source_ref(values["source_id"], errors)
    if "segment_id" in values:
        cleaned.columns["segment_id"] = await f.segment_ref(values["segment_id"], errors)
    if "preferred_channels" in values:
        cleaned.columns["preferred_channels"] = _channels(values["preferred_channels"], errors)
    if "language" in values:
        # null: messages go in the installation's language (VORONKA_LANGUAGE)
        language = values["language"]
        if language is None or language in LANGUAGES:
            cleaned.columns["language"] = language
        else:
            errors.add("language", "invalid_choice", _BAD_LANGUAGE)
    if "owner_id" in values:
        owner = await f.owner_for(actor, values["owner_id"], errors)
        if owner is not None:
            cleaned.columns["owner_id"] = owner.id
            cleaned.columns["office_id"] = owner.office_id
    return cleaned


async def _company_ref(actor: Actor, company_id: int | None, errors: FieldErrors) -> int | None:
    if company_id is None:
        return None
    try:
        await get_visible(Company, actor, company_id)
    except NotFound:
        errors.add("company_id", "not_found", f.NOT_FOUND_REF)
        return None
    return company_id


def _channels(raw: list[str] | None, errors: FieldErrors) -> list[str]:
    channels: list[str] = []
    for item in raw or []:
        try:
            channel = Channel(item).value
        except ValueError:
            errors.add("preferred_channels", "unknown_channel", _BAD_CHANNEL)
            continue
        if channel not in channels:
            channels.append(channel)
    return channels


async def _write_phones(contact_id: int, numbers: list[str]) -> None:
    await ContactPhone.filter(contact_id=contact_id).delete()
    await ContactPhone.bulk_create(
        [
            ContactPhone(contact_id=contact_id, number=n, last4=last_digits(n), position=i)
            for i, n in enumerate(numbers)
        ]
    )


async def _write_emails(contact_id: int, addresses: list[str]) -> None:
    await ContactEmail.filter(contact_id=contact_id).delete()
    await ContactEmail.bulk_create(
        [ContactEmail(contact_id=contact_id, email=e, position=i) for i, e in enumerate(addresses)]
    )


async def contact_phones(contact_id: int) -> list[str]:
    rows = ContactPhone.filter(contact_id=contact_id).order_by("position")
    return [str(n) for n in await rows.values_list("number", flat=True)]


async def contact_emails(contact_id: int) -> list[str]:
    rows = ContactEmail.filter(contact_id=contact_id).order_by("position")
    return [str(e) for e in await rows.values_list("email", flat=True)]


async def create_contact(
    actor: Actor, values: Mapping[str, Any], *, force: bool = False
) -> Contact:
    errors = FieldErrors()
    cleaned = await _clean(actor, {"owner_id": None, **values}, errors)
    columns = cleaned.columns
    if not (columns.get("first_name") or columns.get("last_name")):
        errors.add("first_name", "required", _NAME_REQUIRED)
    errors.raise_if_any()
    phones, emails = cleaned.phones or [], cleaned.emails or []
    if not force:
        await ensure_unique_contact(actor, phones, emails)
    contact = await Contact.create(**columns)
    await _write_phones(contact.id, phones)
    await _write_emails(contact.id, emails)
    await audit_created(actor, ENTITY, contact.id, {**columns, "phones": phones, "emails": emails})
    await index_contact(contact)
    await emit(ENTITY, contact.id, "created", {k: (None, v) for k, v in columns.items()})
    return contact


async def update_contact(
    actor: Actor,
    contact_id: int,
    values: Mapping[str, Any],
    *,
    version: int | None,
    force: bool = False,
) -> Contact:
    contact = await get_visible(Contact, actor, contact_id)
    errors = FieldErrors()
    cleaned = await _clean(actor, values, errors)
    merged_first = cleaned.columns.get("first_name", contact.first_name)
    merged_last = cleaned.columns.get("last_name", contact.last_name)
    if not (merged_first or merged_last):
        errors.add("first_name", "required", _NAME_REQUIRED)
    errors.raise_if_any()
    old_phones, old_emails = await contact_phones(contact_id), await contact_emails(contact_id)
    new_phones = [p for p in (cleaned.phones or []) if p not in old_phones]
    new_emails = [e for e in (cleaned.emails or []) if e not in old_emails]
    if not force and (new_phones or new_emails):
        await ensure_unique_contact(actor, new_phones, new_emails, exclude_id=contact_id)
    changes: dict[str, tuple[object, object]] = {
        name: (getattr(contact, name), value) for name, value in cleaned.columns.items()
    }
    await update_versioned(contact, version, **cleaned.columns)
    if cleaned.phones is not None:
        await _write_phones(contact_id, cleaned.phones)
        changes["phones"] = (old_phones, cleaned.phones)
    if cleaned.emails is not None:
        await _write_emails(contact_id, cleaned.emails)
        changes["emails"] = (old_emails, cleaned.emails)
    await audit_changes(actor, ENTITY, contact_id, changes)
    await index_contact(contact)
    await emit(ENTITY, contact_id, "updated", changes)
    return contact


async def check_contact_values(actor: Actor, values: Mapping[str, Any]) -> dict[str, Any]:
    """Check the fields of a contact being entered one at a time (the bot asks them in turn)
    exactly as `create_contact` checks them, and write nothing. Returns the cleaned values, with
    `phones` and `emails` as lists; raises ValidationFailed."""
    errors = FieldErrors()
    cleaned = await _clean(actor, values, errors)
    named = "first_name" in values or "last_name" in values
    if named and not (cleaned.columns.get("first_name") or cleaned.columns.get("last_name")):
        errors.add("first_name", "required", _NAME_REQUIRED)
    errors.raise_if_any()
    result = dict(cleaned.columns)
    if cleaned.phones is not None:
        result["phones"] = cleaned.phones
    if cleaned.emails is not None:
        result["emails"] = cleaned.emails
    return result
