"""About 5,000 interactions: along each deal's life, and with contacts outside any deal."""

from __future__ import annotations

from datetime import datetime, timedelta

from models.demo import texts
from models.demo.clients import Clients
from models.demo.context import HISTORY_DAYS, Context
from models.demo.deals import Deals
from models.demo.org import DemoOrg
from models.entities import Deal, Direction, Interaction, InteractionKind

INTERACTIONS = 5000
K = InteractionKind
KIND_WEIGHTS = {K.CALL: 40, K.EMAIL: 18, K.MESSAGE: 12, K.MEETING: 10, K.VISIT: 6, K.NOTE: 14}
CITY_CENTRES = {"moscow": (55.7558, 37.6173), "spb": (59.9343, 30.3351)}


def _details(ctx: Context, kind: InteractionKind, city: str) -> dict[str, object]:
    """Direction, duration and place of an interaction of `kind`."""
    rng = ctx.rng
    direction = None
    if kind in (K.CALL, K.EMAIL, K.MESSAGE):
        direction = Direction.OUTBOUND if rng.random() < 0.7 else Direction.INBOUND
    duration = {
        K.CALL: rng.randint(20, 900),
        K.MEETING: rng.choice((1800, 2700, 3600, 5400)),
        K.VISIT: rng.choice((1800, 3600, 7200)),
    }.get(kind)
    latitude = longitude = None
    lat, lon = CITY_CENTRES[city]
    dlat, dlon = rng.uniform(-0.12, 0.12), rng.uniform(-0.2, 0.2)
    if kind is K.VISIT:
        latitude, longitude = round(lat + dlat, 6), round(lon + dlon, 6)
    return {
        "kind": kind,
        "direction": direction,
        "duration_seconds": duration,
        "latitude": latitude,
        "longitude": longitude,
        "outcome": ctx.pick(texts.OUTCOMES[kind]),
    }


def _kind(ctx: Context, b2b: bool) -> InteractionKind:
    kinds = [k for k in KIND_WEIGHTS if b2b or k is not K.VISIT]
    return ctx.rng.choices(kinds, weights=[KIND_WEIGHTS[k] for k in kinds])[0]


def _for_deal(ctx: Context, org: DemoOrg, deals: Deals, deal: Deal) -> list[Interaction]:
    end = deal.closed_at or ctx.now
    days = (end - deal.created_at).total_seconds() / 86400
    count = min(12, 2 + int(days / 6) + ctx.rng.randint(0, 2))
    owner = next(u for u in org.users if u.id == deal.owner_id)
    city = org.city_of(owner)
    rows = []
    for _ in range(count):
        at = ctx.between(deal.created_at, end)
        rows.append(
            Interaction(
                **_details(ctx, _kind(ctx, deal.company_id is not None), city),
                occurred_at=at,
                created_at=at,
                deal_id=deal.id,
                contact_id=deal.contact_id,
                company_id=deal.company_id,
                stage_id=deals.stage_at(deal, at),
                author_id=deal.owner_id,
                office_id=deal.office_id,
            )
        )
    deal.last_interaction_at = max(r.occurred_at for r in rows)
    return rows


def build_interactions(
    ctx: Context, org: DemoOrg, clients: Clients, deals: Deals
) -> list[Interaction]:
    rows = [row for deal in deals.deals for row in _for_deal(ctx, org, deals, deal)]
    start = ctx.now - timedelta(days=HISTORY_DAYS)
    users = {u.id: u for u in org.users}
    while len(rows) < INTERACTIONS:
        contact = ctx.rng.choice(clients.contacts)
        at: datetime = ctx.between(max(start, contact.created_at), ctx.now)
        city = org.city_of(users[contact.owner_id])
        rows.append(
            Interaction(
                **_details(ctx, _kind(ctx, contact.company_id is not None), city),
                occurred_at=at,
                created_at=at,
                contact_id=contact.id,
                company_id=contact.company_id,
                author_id=contact.owner_id,
                office_id=contact.office_id,
            )
        )
    return rows
