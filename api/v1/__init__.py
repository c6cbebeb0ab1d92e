"""Version 1 of the REST API: everything under /v1."""

from fastapi import APIRouter

from api.v1 import (
    absences,
    auth,
    board,
    campaigns,
    client,
    companies,
    consents,
    contacts,
    deals,
    interactions,
    kpis,
    leads,
    me,
    messages,
    offices,
    orders,
    outbox,
    pipelines,
    reference,
    rules,
    tasks,
    templates,
    users,
)

PREFIX = "/v1"

# Each included into the app under PREFIX, not under one "/v1" router: FastAPI (0.137+) walks
# the routes of every nested router on each request to see whether they changed, and a level
# of nesting over all of them cost a few per cent of the CPU time of every request (py-spy).
ROUTERS: tuple[APIRouter, ...] = (
    auth.router,
    me.router,
    contacts.router,
    consents.router,
    messages.router,
    messages.purposes_router,
    companies.router,
    deals.router,
    tasks.router,
    interactions.router,
    orders.router,
    board.router,
    offices.router,
    users.router,
    pipelines.router,
    reference.router,
    leads.router,
    templates.router,
    outbox.router,
    campaigns.router,
    rules.router,
    absences.router,
    kpis.plans,
    kpis.kpis,
    kpis.status_routes,
    client.router,
)
