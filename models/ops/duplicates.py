"""Exact duplicate detection on phone, email and INN, honouring visibility."""

from __future__ import annotations

from collections.abc import Iterable

from tortoise.expressions import Q

from models.actor import Actor
from models.entities import Company, Contact, ContactEmail, ContactPhone
from models.errors import Conflict, DuplicateCandidate
from models.scope import visible


def contact_label(contact: Contact) -> str:
    return " ".join(p for p in (contact.last_name, contact.first_name, contact.middle_name) if p)


async def _contact_candidates(
    actor: Actor, phones: Iterable[str], emails: Iterable[str], exclude_id: int | None
) -> tuple[list[DuplicateCandidate], int]:
    matched: dict[int, str] = {}
    for row in await ContactPhone.filter(number__in=list(phones)).values("contact_id", "number"):
        matched.setdefault(row["contact_id"], f"phone:{row['number']}")
    for row in await ContactEmail.filter(email__in=list(emails)).values("contact_id", "email"):
        matched.setdefault(row["contact_id"], f"email:{row['email']}")
    matched.pop(exclude_id or 0, None)
    if not matched:
        return [], 0
    seen = await visible(Contact, actor).filter(id__in=list(matched)).order_by("id")
    candidates = [
        DuplicateCandidate("contact", c.id, contact_label(c), matched[c.id]) for c in seen
    ]
    return candidates, len(matched) - len(candidates)


async def _company_candidates(
    actor: Actor,
    inn: str | None,
    kpp: str | None,
    phone: str | None,
    email: str | None,
    exclude_id: int | None,
) -> tuple[list[DuplicateCandidate], int]:
    conditions: list[Q] = []
    if inn:
        # A branch shares its parent's INN with its own KPP: only the same INN+KPP pair
        # (or an INN with no KPP on either side) names the same legal entity.
        same_kpp = Q(kpp=kpp) | Q(kpp__isnull=True) if kpp else Q()
        conditions.append(Q(inn=inn) & same_kpp)
    if phone:
        conditions.append(Q(phone=phone))
    if email:
        conditions.append(Q(email=email))
    if not conditions:
        return [], 0
    query = Company.filter(Q(*conditions, join_type=Q.OR))
    if exclude_id:
        query = query.exclude(id=exclude_id)
    everyone = await query.values_list("id", flat=True)
    if not everyone:
        return [], 0
    seen = await visible(Company, actor).filter(id__in=list(everyone)).order_by("id")

    def matched_on(company: Company) -> str:
        if inn and company.inn == inn:
            return f"inn:{inn}"
        if phone and company.phone == phone:
            return f"phone:{phone}"
        return f"email:{email}"

    candidates = [DuplicateCandidate("company", c.id, c.name, matched_on(c)) for c in seen]
    return candidates, len(everyone) - len(candidates)


async def ensure_unique_contact(
    actor: Actor,
    phones: Iterable[str],
    emails: Iterable[str],
    exclude_id: int | None = None,
) -> None:
    candidates, hidden = await _contact_candidates(actor, phones, emails, exclude_id)
    if candidates or hidden:
        raise Conflict(candidates, hidden)


async def ensure_unique_company(
    actor: Actor,
    inn: str | None,
    kpp: str | None,
    phone: str | None,
    email: str | None,
    exclude_id: int | None = None,
) -> None:
    candidates, hidden = await _company_candidates(actor, inn, kpp, phone, email, exclude_id)
    if candidates or hidden:
        raise Conflict(candidates, hidden)
