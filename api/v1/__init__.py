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

router = APIRouter(prefix="/v1")
router.include_router(auth.router)
router.include_router(me.router)
router.include_router(contacts.router)
router.include_router(consents.router)
router.include_router(messages.router)
router.include_router(messages.purposes_router)
router.include_router(companies.router)
router.include_router(deals.router)
router.include_router(tasks.router)
router.include_router(interactions.router)
router.include_router(orders.router)
router.include_router(board.router)
router.include_router(offices.router)
router.include_router(users.router)
router.include_router(pipelines.router)
router.include_router(reference.router)
router.include_router(leads.router)
router.include_router(templates.router)
router.include_router(outbox.router)
router.include_router(campaigns.router)
router.include_router(rules.router)
router.include_router(absences.router)
router.include_router(kpis.plans)
router.include_router(kpis.kpis)
router.include_router(kpis.status_routes)
router.include_router(client.router)
