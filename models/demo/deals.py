"""Deals with their stage histories: open ones (some stuck past planned_days), won and lost."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from models.demo import texts
from models.demo.clients import Clients
from models.demo.context import Context
from models.demo.ids import reserve_ids
from models.demo.org import DemoOrg
from models.demo.reference import PipelineStages, Reference
from models.entities import Company, Contact, Deal, Stage, StageKind, StageTransition, User

DEALS = 800
B2B_SHARE = 0.68
STUCK_SHARE = 0.25


@dataclass
class Deals:
    deals: list[Deal] = field(default_factory=list)
    transitions: list[StageTransition] = field(default_factory=list)
    history: dict[int, list[StageTransition]] = field(default_factory=dict)

    def stage_at(self, deal: Deal, moment: datetime) -> int:
        """The stage the deal was in at `moment` (its first stage before it existed)."""
        stays = self.history[deal.id]
        for stay in reversed(stays):
            if stay.entered_at <= moment:
                return stay.stage_id
        return stays[0].stage_id


def _amount_rub(ctx: Context, low: int, high: int, step: int) -> int:
    value = math.exp(ctx.rng.uniform(math.log(low), math.log(high)))
    return max(step, round(value / step) * step)


def _stay_days(ctx: Context, stage: Stage) -> float:
    return (stage.planned_days or 1) * ctx.rng.uniform(0.3, 1.3)


def _path(ctx: Context, stages: PipelineStages) -> tuple[list[Stage], datetime]:
    """The stages a deal went through, and when it entered the last one."""
    rng = ctx.rng
    open_stages = stages.open
    outcome = rng.choices(("open", "won", "lost"), weights=(60, 22, 18))[0]
    if outcome == "won":
        return [*open_stages, stages.closing(StageKind.WON)], ctx.days_ago(0.2, 145)
    if outcome == "lost":
        reached = rng.randint(1, len(open_stages))
        return [*open_stages[:reached], stages.closing(StageKind.LOST)], ctx.days_ago(0.2, 145)
    reached = rng.choices(range(1, len(open_stages) + 1), weights=range(len(open_stages), 0, -1))[0]
    current = open_stages[reached - 1]
    planned = current.planned_days or 1
    if rng.random() < STUCK_SHARE:
        stay = planned * rng.uniform(1.3, 4.0)
    else:
        stay = planned * rng.uniform(0.02, 0.95)
    return open_stages[:reached], ctx.now - timedelta(days=stay)


def _client(
    ctx: Context, clients: Clients, owner: User, b2b: bool
) -> tuple[Company | None, Contact]:
    if b2b:
        company = ctx.rng.choice(clients.companies_of_owner[owner.id])
        return company, ctx.rng.choice(clients.contacts_of_company[company.id])
    pool = clients.private_contacts.get(owner.id) or clients.contacts
    return None, ctx.rng.choice(pool)


def _deal(
    ctx: Context,
    ref: Reference,
    deal_id: int,
    owner: User,
    company: Company | None,
    contact: Contact,
    b2b: bool,
) -> tuple[Deal, list[Stage], list[datetime]]:
    rng = ctx.rng
    stages = ref.pipelines["b2b" if b2b else "retail"]
    path, last_entered = _path(ctx, stages)
    entered = [last_entered]
    for stage in reversed(path[:-1]):
        entered.insert(0, entered[0] - timedelta(days=_stay_days(ctx, stage)))
    final = path[-1]
    if b2b:
        amount = _amount_rub(ctx, 50_000, 5_000_000, 1_000)
        assert company is not None
        title = f"{ctx.pick(texts.B2B_DEAL_TITLES)} — {company.name}"
    else:
        amount = _amount_rub(ctx, 5_000, 300_000, 100)
        title = f"{ctx.pick(texts.RETAIL_DEAL_TITLES)} — {contact.last_name}"
    early = final.kind is StageKind.OPEN and final.position < 2
    amount_minor = None if early and rng.random() < 0.5 else amount * 100
    deadline = None
    if final.kind is StageKind.OPEN and rng.random() < 0.6:
        deadline = ctx.local_at(ctx.today + timedelta(days=rng.randint(-10, 45)), 18)
    lost = final.kind is StageKind.LOST
    closed_at = entered[-1] if final.kind is not StageKind.OPEN else None
    deal = Deal(
        id=deal_id,
        title=title[:300],
        pipeline_id=stages.pipeline.id,
        stage_id=final.id,
        stage_entered_at=entered[-1],
        owner_id=owner.id,
        office_id=owner.office_id,
        company_id=company.id if company else None,
        contact_id=contact.id,
        source_id=(company or contact).source_id,
        amount_minor=amount_minor,
        currency="RUB",
        deadline=deadline,
        loss_reason_id=rng.choice(ref.loss_reasons).id if lost else None,
        loss_comment=ctx.pick(texts.LOSS_COMMENTS) if lost else "",
        closed_at=closed_at,
        version=len(path),
        created_at=entered[0],
        updated_at=entered[-1],
    )
    return deal, path, entered


async def build_deals(ctx: Context, org: DemoOrg, ref: Reference, clients: Clients) -> Deals:
    rng = ctx.rng
    result = Deals()
    b2b_owners = [u for u in org.managers("b2b", "spb") if clients.companies_of_owner.get(u.id)]
    retail_owners = org.managers("retail", "spb")
    for deal_id in await reserve_ids(Deal, DEALS):
        b2b = rng.random() < B2B_SHARE
        owner = rng.choice(b2b_owners if b2b else retail_owners)
        company, contact = _client(ctx, clients, owner, b2b)
        deal, path, entered = _deal(ctx, ref, deal_id, owner, company, contact, b2b)
        stays: list[StageTransition] = []
        for index, (stage, at) in enumerate(zip(path, entered, strict=True)):
            stays.append(
                StageTransition(
                    deal_id=deal_id,
                    from_stage_id=path[index - 1].id if index else None,
                    stage_id=stage.id,
                    entered_at=at,
                    left_at=entered[index + 1] if index + 1 < len(path) else None,
                    by_id=owner.id,
                )
            )
        result.deals.append(deal)
        result.transitions.extend(stays)
        result.history[deal_id] = stays
    return result
