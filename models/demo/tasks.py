"""Tasks around today for every manager: overdue, due today, coming up, and some done."""

from __future__ import annotations

from datetime import timedelta

from models.demo import texts
from models.demo.clients import Clients
from models.demo.context import Context
from models.demo.deals import Deals
from models.demo.org import DemoOrg
from models.entities import Contact, Role, Task, TaskStatus, User

# (how many, first day, last day relative to today, status)
MANAGER_PLAN = (
    (3, -6, -1, TaskStatus.OPEN),
    (3, 0, 0, TaskStatus.OPEN),
    (4, 1, 7, TaskStatus.OPEN),
    (4, -20, -1, TaskStatus.DONE),
    (1, -10, -2, TaskStatus.CANCELLED),
)
HEAD_PLAN = (
    (1, -3, -1, TaskStatus.OPEN),
    (2, 0, 3, TaskStatus.OPEN),
    (2, -10, -1, TaskStatus.DONE),
)


def _short_name(contact: Contact) -> str:
    initials = "".join(f"{p[0]}." for p in (contact.first_name, contact.middle_name) if p)
    return f"{contact.last_name} {initials}".strip()


def build_tasks(ctx: Context, org: DemoOrg, clients: Clients, deals: Deals) -> list[Task]:
    rng = ctx.rng
    contacts = {c.id: c for c in clients.contacts}
    open_deals: dict[int, list[int]] = {}
    for deal in deals.deals:
        if deal.closed_at is None:
            open_deals.setdefault(deal.owner_id, []).append(deal.id)
    deal_by_id = {d.id: d for d in deals.deals}
    own_contacts: dict[int, list[Contact]] = {}
    for contact in clients.contacts:
        own_contacts.setdefault(contact.owner_id, []).append(contact)
    head = org.by_login("head@demo.test")
    rows: list[Task] = []

    def add(user: User, day_offset: int, status: TaskStatus) -> None:
        due = ctx.local_at(ctx.today + timedelta(days=day_offset), rng.randint(9, 18), 30)
        deal_ids = open_deals.get(user.id)
        deal = deal_by_id[rng.choice(deal_ids)] if deal_ids and rng.random() < 0.7 else None
        pool = own_contacts.get(user.id) or org.contacts_in_scope(user, clients.contacts)
        contact = contacts[deal.contact_id] if deal and deal.contact_id else rng.choice(pool)
        title = f"{ctx.pick(texts.TASK_TITLES)}: {_short_name(contact)}"
        created = min(ctx.now, due - timedelta(days=rng.uniform(0.5, 7)))
        done_at = None
        if status is not TaskStatus.OPEN:
            done_at = min(ctx.now, due + timedelta(hours=rng.uniform(-30, 4)))
            done_at = max(done_at, created)
        by_head = user.role is Role.MANAGER and rng.random() < 0.2
        # Only what is still ahead joins the clock's work list: a demo that starts does not
        # announce a week of invented past reminders at once.
        ahead = status is TaskStatus.OPEN and due > ctx.now
        rows.append(
            Task(
                title=title,
                status=status,
                due_at=due,
                remind_at=due - timedelta(minutes=30),
                remind_pending_at=due - timedelta(minutes=30) if ahead else None,
                escalate_pending_at=due if ahead else None,
                completed_at=done_at,
                assignee_id=user.id,
                author_id=head.id if by_head else user.id,
                office_id=user.office_id,
                deal_id=deal.id if deal else None,
                contact_id=contact.id,
                company_id=contact.company_id,
                created_at=created,
                updated_at=done_at or created,
                version=2 if done_at else 1,
            )
        )

    for user in org.users:
        plan = {Role.MANAGER: MANAGER_PLAN, Role.HEAD: HEAD_PLAN}.get(user.role, ())
        for count, first, last, status in plan:
            for _ in range(count):
                add(user, rng.randint(first, last), status)
    return rows
