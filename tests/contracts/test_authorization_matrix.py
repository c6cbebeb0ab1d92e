"""Every route with an {id} in the contract, tried by people who must not get through.

A manager of another office, and a colleague of the same office, get 404 for everything the owner
owns (never the data, never a change); a manager gets 403 on administrators' routes. Each
mutating call is also made by the owner, to prove the request itself was valid. A new {id} route
fails this test until it is added to the table below. The routes nobody signs in to are a fixed
list, none of them with an {id}.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from api.app import create_app
from api.contract import CONTRACT
from models.actor import Actor
from models.clock import now
from models.entities import (
    Absence,
    Campaign,
    Channel,
    Consent,
    Deal,
    Handover,
    Interaction,
    KpiDefinition,
    LossReason,
    MessageState,
    Office,
    OutboundMessage,
    Plan,
    Role,
    RuleRun,
    Segment,
    Source,
    Stage,
    Task,
    TelegramSubscriptionToken,
    Template,
    User,
)
from models.entities import Rule as AutomationRule
from models.ops.absences import plan_absence
from models.ops.consents import give_consent
from models.ops.interactions import log_interaction
from models.ops.kpi import create_kpi, create_plan
from models.ops.leads import create_lead
from models.ops.orders import create_order
from models.settings import Settings
from tests.api.v1.conftest import PASSWORD, headers_for
from tests.factories import (
    actor_for,
    make_company,
    make_contact,
    make_deal,
    make_office,
    make_pipeline,
    make_rule,
    make_task,
    make_user,
    stage_named,
)

Ids = dict[str, int]
Body = Callable[[Ids], dict[str, Any] | None]


@dataclass(frozen=True)
class Rule:
    body: Body | None = None
    admin_only: bool = False
    shared: bool = False  # reference data every signed-in user reads (pipelines)
    office_wide: bool = False  # colleagues of the same office tree read it (offices, users)
    # Path parameters taken from another id of the world: {path name: ids key}.
    ids_from: dict[str, str] | None = None


def _none(_: Ids) -> None:
    return None


RULES: dict[str, Rule] = {
    "getCompany": Rule(),
    "updateCompany": Rule(lambda i: {"website": "hijack.test"}),
    "getContact": Rule(),
    "updateContact": Rule(lambda i: {"position": "Hijacked"}),
    "getDeal": Rule(),
    "getDealCard": Rule(),
    "updateDeal": Rule(lambda i: {"title": "Hijacked"}),
    "moveDeal": Rule(lambda i: {"stage_id": i["work_stage_id"]}),
    "winDeal": Rule(lambda i: {"amount": "1"}),
    "loseDeal": Rule(lambda i: {"loss_reason_id": i["loss_reason_id"]}),
    "getInteraction": Rule(),
    "downloadAttachment": Rule(),
    "getLead": Rule(),
    "updateLead": Rule(lambda i: {"title": "Hijacked"}),
    "convertLead": Rule(lambda i: {"force": True}),
    "rejectLead": Rule(_none),
    "getOrder": Rule(),
    "changeOrderStatus": Rule(lambda i: {"status": "confirmed"}),
    "getTask": Rule(),
    "updateTask": Rule(lambda i: {"title": "Hijacked"}),
    "completeTask": Rule(_none),
    "cancelTask": Rule(_none),
    "snoozeTask": Rule(lambda i: {"until": (now() + timedelta(days=1)).isoformat()}),
    "unregisterDevice": Rule(_none),
    "revokePersonalToken": Rule(_none),
    "getOffice": Rule(office_wide=True),
    "getUser": Rule(office_wide=True),
    "updateOffice": Rule(lambda i: {"name": "Hijacked"}, admin_only=True),
    "updateUser": Rule(lambda i: {"full_name": "Hijacked"}, admin_only=True),
    "activateUser": Rule(_none, admin_only=True),
    "deactivateUser": Rule(_none, admin_only=True),
    "deleteUserTelegramLink": Rule(_none, admin_only=True),
    "getPipeline": Rule(shared=True),
    "getPipelineBoard": Rule(shared=True),
    "updatePipeline": Rule(lambda i: {"name": "Hijacked"}, admin_only=True),
    "createStage": Rule(lambda i: {"name": "Hijacked"}, admin_only=True),
    "updateStage": Rule(lambda i: {"name": "Hijacked"}, admin_only=True),
    "updateLossReason": Rule(lambda i: {"name": "Hijacked"}, admin_only=True),
    "updateSource": Rule(lambda i: {"name": "Hijacked"}, admin_only=True),
    "updateSegment": Rule(lambda i: {"name": "Hijacked"}, admin_only=True),
    "getTemplate": Rule(admin_only=True),
    "updateTemplate": Rule(lambda i: {"body": "Hijacked"}, admin_only=True),
    "deleteTemplate": Rule(_none, admin_only=True),
    "previewTemplate": Rule(lambda i: {"contact_id": i["contact_id"]}, admin_only=True),
    "getOutboundMessage": Rule(admin_only=True),
    "listContactConsents": Rule(),
    "giveContactConsent": Rule(lambda i: {"purpose": "service", "text_version": "v1"}),
    "withdrawContactConsents": Rule(lambda i: {"purpose": "marketing"}),
    "withdrawContactConsent": Rule(_none),
    "getContactChannels": Rule(),
    "previewContactMessage": Rule(lambda i: {"purpose": "thanks_after_call"}),
    "sendContactMessage": Rule(lambda i: {"purpose": "thanks_after_call"}),
    "createContactTelegramSubscription": Rule(_none),
    "createOrderTelegramSubscription": Rule(_none),
    "replayOutboundMessage": Rule(_none, admin_only=True),
    # Campaigns are for heads and admins: a manager is refused, whoever made the campaign.
    "getCampaign": Rule(admin_only=True),
    "updateCampaign": Rule(lambda i: {"name": "Hijacked"}, admin_only=True),
    "startCampaign": Rule(_none, admin_only=True),
    "pauseCampaign": Rule(_none, admin_only=True),
    "resumeCampaign": Rule(_none, admin_only=True),
    "cancelCampaign": Rule(_none, admin_only=True),
    "listCampaignRecipients": Rule(admin_only=True),
    "getRule": Rule(admin_only=True),
    "updateRule": Rule(lambda i: {"name": "Hijacked"}, admin_only=True),
    "deleteRule": Rule(_none, admin_only=True),
    "listRuleRuns": Rule(admin_only=True),
    "dryRunRule": Rule(lambda i: {"record_id": i["deal_id"]}, admin_only=True),
    "getAbsence": Rule(),
    "getAbsenceHandover": Rule(),
    "cancelAbsence": Rule(_none),
    "shortenAbsence": Rule(lambda i: {"ends_at": (now() + timedelta(days=2)).isoformat()}),
    "getPlan": Rule(),
    "updatePlan": Rule(lambda i: {"target": "1"}, admin_only=True),
    "deletePlan": Rule(_none, admin_only=True),
    "getKpi": Rule(admin_only=True),
    "updateKpi": Rule(lambda i: {"name": "Hijacked"}, admin_only=True),
    "getOfficeKpis": Rule(office_wide=True),
    "settleAbsence": Rule(
        lambda i: {"choice": "take_back"}, ids_from={"absence_id": "ended_absence_id"}
    ),
    "replayRuleRun": Rule(_none, admin_only=True),
}


# Routes nobody signs in to. The client app's (ADR 0024) act on a subscription token or the
# device's own FCM token, never on an {id}, and are counted per IP address instead of per user.
PUBLIC = {
    "getHealth",
    "login",
    "refreshTokens",
    "getClientPushConsent",
    "subscribeClientPush",
    "unsubscribeClientPush",
    "refreshClientPushToken",
}
SPEC: dict[str, Any] = json.loads(CONTRACT.read_text(encoding="utf-8"))


def _id_routes() -> list[tuple[str, str, str]]:
    return sorted(
        (operation["operationId"], method.upper(), path)
        for path, item in SPEC["paths"].items()
        if "{" in path
        for method, operation in item.items()
    )


ROUTES = _id_routes()


def test_every_id_route_is_in_the_matrix() -> None:
    assert sorted(op for op, _, _ in ROUTES) == sorted(RULES)


def test_only_the_known_routes_are_public() -> None:
    public = {
        operation["operationId"]
        for item in SPEC["paths"].values()
        for operation in item.values()
        if not operation.get("security")
    }
    assert public == PUBLIC
    assert not {op for op, _, _ in ROUTES} & PUBLIC, "a public route must not take an {id}"


@dataclass
class World:
    client: httpx.AsyncClient
    ids: Ids
    owner: dict[str, str]
    colleague: dict[str, str]
    outsider: dict[str, str]


@pytest_asyncio.fixture
async def app(db: str, data_dir: Path) -> FastAPI:
    """The API with a Telegram bot name, so that subscription links can be issued."""
    settings = Settings(database_url=db, data_dir=data_dir, telegram_bot_username="voronka_bot")
    return create_app(settings, manage_database=False)


@pytest_asyncio.fixture
async def world(client: httpx.AsyncClient) -> World:
    hq = await make_office("Москва")
    sales = await make_office("Продажи", parent=hq)
    spb = await make_office("Санкт-Петербург")
    owner = await make_user(sales, password=PASSWORD)
    colleague = await make_user(sales, password=PASSWORD)
    outsider = await make_user(spb, password=PASSWORD)
    actor = await actor_for(owner)
    pipeline = await make_pipeline()
    company = await make_company(actor)
    contact = await make_contact(actor, company_id=company.id)
    deal = await make_deal(actor, contact_id=contact.id, company_id=company.id)
    task = await make_task(actor, deal_id=deal.id, due_at=now() + timedelta(hours=3))
    lead = await create_lead(actor, {"title": "Заявка с сайта", "person_name": "Орлов Пётр"})
    order = await create_order(actor, {"number": "З-1", "amount": "100", "contact_id": contact.id})
    await log_interaction(actor, {"kind": "call", "deal_id": deal.id, "outcome": "ok"})
    owner_headers = await headers_for(client, owner)
    upload = await client.post(
        "/v1/interactions",
        data={"kind": "visit", "contact_id": str(contact.id)},
        files=[("files", ("plan.txt", b"secret plan", "text/plain"))],
        headers=owner_headers,
    )
    assert upload.status_code == 201, upload.text
    interaction = upload.json()
    device = await client.post(
        "/v1/me/devices",
        json={"fcm_token": "owner-phone", "platform": "ios"},
        headers=owner_headers,
    )
    token = await client.post("/v1/me/tokens", json={"name": "1C"}, headers=owner_headers)
    reason = await LossReason.create(name="Дорого")
    template = await Template.create(
        purpose="thanks_after_call", channel=Channel.SMS, language="ru", body="Спасибо!"
    )
    message = await OutboundMessage.create(
        channel=Channel.SMS,
        address="+79161234567",
        contact_id=contact.id,
        body="Спасибо!",
        dedup_key="matrix",
        state=MessageState.DEAD,
    )
    campaign = await Campaign.create(
        name="Весна", purpose="thanks_after_call", office_id=sales.id, created_by_id=owner.id
    )
    rule = await make_rule(trigger={"on": "updated"})
    run = await RuleRun.create(
        rule_id=rule.id, entity=rule.entity, record_id=deal.id, event="updated", outcome="dead"
    )
    consent = await give_consent(actor, contact.id, "marketing", text_version="m1")
    absence = await plan_absence(
        actor, {"starts_at": now() + timedelta(days=1), "ends_at": now() + timedelta(days=5)}
    )
    month = now().date().replace(day=1)
    next_month = (month + timedelta(days=32)).replace(day=1)
    plan = await create_plan(
        Actor.system(),
        {
            "user_id": owner.id,
            "metric": "calls",
            "target": 40,
            "period_start": month,
            "period_end": next_month - timedelta(days=1),
        },
    )
    kpi = await create_kpi(
        Actor.system(), {"name": "Звонки", "metric": "calls", "warning": 80, "critical": 50}
    )
    ended = await Absence.create(
        user_id=owner.id,
        starts_at=now() - timedelta(days=3),
        ends_at=now() - timedelta(days=1),
        handed_over_at=now() - timedelta(days=3),
        offered_at=now() - timedelta(days=1),
    )
    await Handover.create(
        absence_id=ended.id,
        entity="task",
        entity_id=task.id,
        title=task.title,
        from_user_id=owner.id,
        to_user_id=colleague.id,
    )
    ids: Ids = {
        "absence_id": absence.id,
        "ended_absence_id": ended.id,
        "plan_id": plan.id,
        "kpi_id": kpi.id,
        "company_id": company.id,
        "contact_id": contact.id,
        "deal_id": deal.id,
        "task_id": task.id,
        "lead_id": lead.id,
        "order_id": order.id,
        "interaction_id": interaction["id"],
        "attachment_id": interaction["attachments"][0]["id"],
        "device_id": device.json()["id"],
        "token_id": token.json()["id"],
        "office_id": sales.id,
        "user_id": owner.id,
        "pipeline_id": pipeline.id,
        "stage_id": (await stage_named(pipeline, "Новая")).id,
        "work_stage_id": (await stage_named(pipeline, "В работе")).id,
        "loss_reason_id": reason.id,
        "source_id": (await Source.create(name="Сайт")).id,
        "segment_id": (await Segment.create(name="Опт")).id,
        "template_id": template.id,
        "message_id": message.id,
        "campaign_id": campaign.id,
        "rule_id": rule.id,
        "run_id": run.id,
        "consent_id": consent.id,
    }
    return World(
        client,
        ids,
        owner_headers,
        await headers_for(client, colleague),
        await headers_for(client, outsider),
    )


async def _call(
    world: World, method: str, path: str, headers: dict[str, str], rule: Rule
) -> httpx.Response:
    renamed = {name: world.ids[key] for name, key in (rule.ids_from or {}).items()}
    url = path.format(**{**world.ids, **renamed})
    payload = rule.body(world.ids) if rule.body else None
    return await world.client.request(
        method, url, json=payload, headers={**headers, "If-Match": '"1"'}
    )


async def _fingerprint() -> list[Any]:
    """What an intruder might have changed: every versioned row and the owner's account."""
    deal = await Deal.get()
    owner = await User.filter(role=Role.MANAGER).order_by("id").first()
    stages = await Stage.all().order_by("id").values_list("name", flat=True)
    offices = await Office.all().order_by("id").values_list("name", flat=True)
    templates = await Template.all().order_by("id").values_list("body", "version")
    messages = await OutboundMessage.all().order_by("id").values_list("state", "attempts")
    campaigns = await Campaign.all().order_by("id").values_list("name", "state", "version")
    rules = await AutomationRule.all().order_by("id").values_list("name", "version")
    runs = await RuleRun.all().order_by("id").values_list("outcome", "attempts", "results")
    consents = await Consent.all().order_by("id").values_list("withdrawn_at", flat=True)
    written = [await Interaction.all().count(), await TelegramSubscriptionToken.all().count()]
    absences = (
        await Absence.all().order_by("id").values_list("ends_at", "cancelled_at", "settled_at")
    )
    tasks = await Task.all().order_by("id").values_list("assignee_id", "version")
    plans = await Plan.all().order_by("id").values_list("target", flat=True)
    kpis = await KpiDefinition.all().order_by("id").values_list("name", flat=True)
    return [
        rules,
        runs,
        deal.version,
        deal.stage_id,
        owner and owner.full_name,
        stages,
        offices,
        templates,
        messages,
        campaigns,
        consents,
        written,
        absences,
        tasks,
        plans,
        kpis,
    ]


@pytest.mark.parametrize(("operation", "method", "path"), ROUTES, ids=[r[0] for r in ROUTES])
async def test_intruders_get_nothing(world: World, operation: str, method: str, path: str) -> None:
    rule = RULES[operation]
    before = await _fingerprint()
    for who, headers in (("outsider", world.outsider), ("colleague", world.colleague)):
        response = await _call(world, method, path, headers, rule)
        if rule.admin_only:
            expected = {403}
        elif rule.shared or (rule.office_wide and who == "colleague"):
            expected = {200}
        else:
            expected = {404}
        assert response.status_code in expected, (who, response.status_code, response.text)
        if response.status_code == 404:
            assert response.headers["content-type"] == "application/problem+json"
            assert "secret plan" not in response.text
    assert await _fingerprint() == before, "a refused request changed something"
    if rule.admin_only or rule.shared:
        return
    allowed = await _call(world, method, path, world.owner, rule)
    assert allowed.status_code < 300, (operation, allowed.status_code, allowed.text)
