"""`seed_demo`: a deterministic, realistic demo account, written in the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass, field

from tortoise.models import Model

from models.clock import now
from models.demo.clients import build_clients
from models.demo.context import Context
from models.demo.deals import build_deals
from models.demo.interactions import build_interactions
from models.demo.leads import build_leads
from models.demo.orders import build_orders
from models.demo.org import ADMIN_LOGIN, PASSWORD, USERS, seed_org
from models.demo.reference import seed_reference
from models.demo.tasks import build_tasks
from models.entities import StageKind, User
from models.ops.search_index import rebuild_search_index

BATCH = 1000


@dataclass
class DemoSummary:
    created: bool
    password: str = PASSWORD
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # (login, role, office)
    counts: dict[str, int] = field(default_factory=dict)


async def _logins() -> list[tuple[str, str, str]]:
    order = [spec.login for spec in USERS]
    users = await User.filter(email__in=order).select_related("office")
    users.sort(key=lambda u: order.index(u.email))
    return [(u.email, str(u.role.value), u.office.name) for u in users]


async def _insert(counts: dict[str, int], name: str, rows: list[Model]) -> None:
    if rows:
        await type(rows[0]).bulk_create(rows, batch_size=BATCH)
    counts[name] = len(rows)


async def seed_demo(language: str = "ru") -> DemoSummary:
    """Seed the demo account unless `admin@demo.test` exists. Runs in the caller's transaction."""
    if language not in ("ru", "en"):
        raise ValueError(f"unsupported language: {language}")
    if await User.exists(email=ADMIN_LOGIN):
        return DemoSummary(created=False, logins=await _logins())
    ctx = Context(now=now(), language=language)
    org = await seed_org(ctx)
    ref = await seed_reference(ctx)
    clients = await build_clients(ctx, org, ref)
    deals = await build_deals(ctx, org, ref, clients)
    interactions = build_interactions(ctx, org, clients, deals)
    tasks = build_tasks(ctx, org, clients, deals)
    won_stages = {p.closing(StageKind.WON).id for p in ref.pipelines.values()}
    orders = await build_orders(
        ctx, clients, deals, {d.id for d in deals.deals if d.stage_id in won_stages}
    )
    leads = build_leads(ctx, org, ref, clients, deals)
    counts: dict[str, int] = {
        "offices": len(org.offices),
        "users": len(org.users),
        "pipelines": len(ref.pipelines),
        "stages": sum(len(p.stages) for p in ref.pipelines.values()),
        "sources": len(ref.sources),
        "segments": len(ref.segments),
        "loss_reasons": len(ref.loss_reasons),
    }
    # Parents before children: the rows reference ids reserved while they were built.
    await _insert(counts, "companies", list(clients.companies))
    await _insert(counts, "contacts", list(clients.contacts))
    await _insert(counts, "contact_phones", list(clients.phones))
    await _insert(counts, "contact_emails", list(clients.emails))
    await _insert(counts, "deals", list(deals.deals))
    await _insert(counts, "stage_transitions", list(deals.transitions))
    await _insert(counts, "interactions", list(interactions))
    await _insert(counts, "tasks", list(tasks))
    await _insert(counts, "orders", list(orders.orders))
    await _insert(counts, "order_status_changes", list(orders.changes))
    await _insert(counts, "leads", list(leads))
    counts["search_entries"] = await rebuild_search_index()
    return DemoSummary(created=True, logins=await _logins(), counts=counts)
