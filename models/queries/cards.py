"""What a card shows around a client or a deal: the client card (a contact or a company with
its phones, emails, owner, open deals and next task), the open tasks and the latest
interactions of any of them, and the stage a deal goes to next.

The record itself is always loaded through the visibility functions first: an id the actor may
not see is `NotFound`. What hangs off a visible record (its tasks, its interactions, the company
a contact works for) is shown with it, as the deal card does (`models/queries/deals.py`); the
deals listed on a client card are only those the actor may see.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from tortoise.models import Model

from models.actor import Actor
from models.entities import (
    Company,
    Consent,
    Contact,
    Deal,
    Interaction,
    LossReason,
    Stage,
    StageKind,
    Task,
    TaskStatus,
    User,
)
from models.errors import NotFound
from models.ops.consents import current_consents
from models.ops.contacts import contact_emails, contact_phones
from models.ops.duplicates import contact_label
from models.scope import get_visible, visible

Kind = Literal["contact", "company", "deal"]
KINDS: dict[str, type[Model]] = {"contact": Contact, "company": Company, "deal": Deal}
_LINKS = {"contact": "contact_id", "company": "company_id", "deal": "deal_id"}
CARD_DEALS = 5
OPEN_TASKS = 20
HISTORY = 10


@dataclass(frozen=True, slots=True)
class Subject:
    """A visible contact, company or deal, with the name it is shown by."""

    kind: str
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class ClientCard:
    """A contact or a company. `company` is the company itself, or the contact's employer
    (`company_visible` says whether the actor may open it)."""

    subject: Subject
    contact: Contact | None
    company: Company | None
    company_visible: bool
    phones: list[str]
    emails: list[str]
    owner_name: str
    open_deals: list[Deal]
    open_deal_count: int
    next_task: Task | None
    consents: tuple[Consent, ...] = ()  # a contact's consents in force


def subject_name(record: Model) -> str:
    if isinstance(record, Contact):
        return contact_label(record)
    if isinstance(record, Company):
        return record.name
    assert isinstance(record, Deal)
    return record.title


async def get_subject(actor: Actor, kind: str, object_id: int) -> Subject:
    """The contact, company or deal `kind` and `object_id` name, if the actor may see it. An
    unknown kind is not found either: callers pass on what a client sent."""
    model = KINDS.get(kind)
    if model is None:
        raise NotFound(kind, object_id)
    record = await get_visible(model, actor, object_id)
    return Subject(kind, object_id, subject_name(record))


async def _open_deals(actor: Actor, link: str, object_id: int) -> tuple[list[Deal], int]:
    query = visible(Deal, actor).filter(**{link: object_id, "closed_at__isnull": True})
    count = await query.count()
    deals = await query.order_by("stage_entered_at", "id").limit(CARD_DEALS)
    return deals, count


async def _open_tasks(link: str, object_id: int, limit: int) -> list[Task]:
    """Dated tasks by due time, then undated ones: two statements, because SQLite and
    PostgreSQL put NULLs at opposite ends of an ORDER BY."""
    query = Task.filter(**{link: object_id, "status": TaskStatus.OPEN})
    dated = await query.filter(due_at__isnull=False).order_by("due_at", "id").limit(limit)
    if len(dated) >= limit:
        return dated
    undated = await query.filter(due_at__isnull=True).order_by("id").limit(limit - len(dated))
    return [*dated, *undated]


async def _owner_name(user_id: int) -> str:
    names = await User.filter(id=user_id).values_list("full_name", flat=True)
    return str(names[0]) if names else ""


async def contact_card(actor: Actor, contact_id: int) -> ClientCard:
    contact = await get_visible(Contact, actor, contact_id)
    company = None
    company_visible = False
    if contact.company_id is not None:
        company = await Company.get_or_none(id=contact.company_id)
        company_visible = (
            company is not None
            and await visible(Company, actor).filter(id=contact.company_id).exists()
        )
    deals, count = await _open_deals(actor, "contact_id", contact.id)
    tasks = await _open_tasks("contact_id", contact.id, 1)
    return ClientCard(
        subject=Subject("contact", contact.id, contact_label(contact)),
        contact=contact,
        company=company,
        company_visible=company_visible,
        phones=await contact_phones(contact.id),
        emails=await contact_emails(contact.id),
        owner_name=await _owner_name(contact.owner_id),
        open_deals=deals,
        open_deal_count=count,
        next_task=tasks[0] if tasks else None,
        consents=tuple(await current_consents(contact.id)),
    )


async def company_card(actor: Actor, company_id: int) -> ClientCard:
    company = await get_visible(Company, actor, company_id)
    deals, count = await _open_deals(actor, "company_id", company.id)
    tasks = await _open_tasks("company_id", company.id, 1)
    return ClientCard(
        subject=Subject("company", company.id, company.name),
        contact=None,
        company=company,
        company_visible=True,
        phones=[company.phone] if company.phone else [],
        emails=[company.email] if company.email else [],
        owner_name=await _owner_name(company.owner_id),
        open_deals=deals,
        open_deal_count=count,
        next_task=tasks[0] if tasks else None,
    )


async def open_tasks_of(
    actor: Actor, kind: str, object_id: int, limit: int = OPEN_TASKS
) -> tuple[Subject, list[Task]]:
    """The open tasks linked to a visible contact, company or deal, the soonest due first."""
    subject = await get_subject(actor, kind, object_id)
    return subject, await _open_tasks(_LINKS[kind], object_id, limit)


async def history_of(
    actor: Actor, kind: str, object_id: int, limit: int = HISTORY
) -> tuple[Subject, list[Interaction]]:
    """The latest interactions of a visible contact, company or deal, newest first, with their
    authors."""
    subject = await get_subject(actor, kind, object_id)
    interactions = (
        await Interaction.filter(**{_LINKS[kind]: object_id})
        .select_related("author")
        .order_by("-occurred_at", "-id")
        .limit(limit)
    )
    return subject, interactions


async def next_open_stage(stage_id: int) -> Stage | None:
    """The open stage after `stage_id` in its pipeline, where "Next stage" takes a deal; None
    after the last open one, and for a closed stage (won or lost)."""
    current = await Stage.get_or_none(id=stage_id)
    if current is None or current.kind is not StageKind.OPEN:
        return None
    return (
        await Stage.filter(
            pipeline_id=current.pipeline_id, kind=StageKind.OPEN, position__gt=current.position
        )
        .order_by("position", "id")
        .first()
    )


async def clients_visible(
    actor: Actor, company_id: int | None, contact_id: int | None
) -> tuple[bool, bool]:
    """Whether the actor may open a deal's company and its contact (the deal card shows their
    names either way)."""
    company = (
        company_id is not None and await visible(Company, actor).filter(id=company_id).exists()
    )
    contact = (
        contact_id is not None and await visible(Contact, actor).filter(id=contact_id).exists()
    )
    return company, contact


async def loss_reason_name(reason_id: int | None) -> str | None:
    if reason_id is None:
        return None
    names = await LossReason.filter(id=reason_id).values_list("name", flat=True)
    return str(names[0]) if names else None
