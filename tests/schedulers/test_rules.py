"""The rules' clock, travelling in time: a deal stuck five days in «Переговоры» gets its head a
task, a birthday is greeted through the client's preferred channel, a schedule fires once per
moment, a stopped clock catches up, retries are due when planned, and webhooks go out signed,
retried on 5xx and buried on 4xx."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pytest
from aiohttp import web
from tortoise.transactions import in_transaction

from cli.host import build_clock
from models.channels import use_channels
from models.clock import FrozenClock
from models.entities import (
    Channel,
    DeliveryState,
    MessageState,
    OutboundMessage,
    Pipeline,
    RuleRun,
    RunOutcome,
    Task,
    WebhookDelivery,
)
from models.ops.automation import clock_batches, fire_occurrence
from models.ops.consents import give_consent
from models.ops.deals import move_deal_to_stage
from models.ops.templates import install_default_templates
from models.rules.automation import signature_valid
from models.settings import Settings, get_settings
from schedulers.rules import (
    FIRE_JOB_ID,
    RETRY_JOB_ID,
    WEBHOOK_JOB_ID,
    Webhooks,
    fire_due_rules,
    retry_failed_runs,
)
from tests.doubles.smtp import free_port
from tests.factories import (
    SALES_STAGES,
    T0,
    Org,
    make_contact,
    make_deal,
    make_pipeline,
    make_rule,
    stage_named,
)

pytestmark = pytest.mark.usefixtures("db")
SECRET = b"webhook-secret-for-tests"


@pytest.fixture
async def sales(db: str) -> Pipeline:
    return await make_pipeline(stages=SALES_STAGES)


async def test_a_deal_five_days_in_negotiations_gets_the_head_a_task(
    org: Org, sales: Pipeline, clock: FrozenClock
) -> None:
    await make_rule(
        name="Переговоры затянулись",
        trigger={"on": "time", "field": "stage_entered_at", "after": "5d"},
        conditions={"stage": "Переговоры"},
        actions=[{"do": "create_task", "for": "head", "title": "Сделка застряла", "due_in": "1d"}],
    )
    negotiations = await stage_named(sales, "Переговоры")
    stuck = await make_deal(org.manager, title="Застряла")
    moved_on = await make_deal(org.manager, title="Пошла дальше")
    for deal in (stuck, moved_on):
        await move_deal_to_stage(org.manager, deal.id, negotiations.id, version=None)
    clock.advance(timedelta(days=2))
    await move_deal_to_stage(
        org.manager, moved_on.id, (await stage_named(sales, "В работе")).id, version=None
    )

    clock.advance(timedelta(days=3) - timedelta(minutes=1))
    assert await fire_due_rules() == 0
    clock.advance(timedelta(minutes=2))
    assert await fire_due_rules() == 1
    [task] = await Task.filter(title="Сделка застряла")
    assert (task.assignee_id, task.deal_id) == (org.head.user_id, stuck.id)
    assert task.due_at == T0 + timedelta(days=6, minutes=1)
    clock.advance(timedelta(minutes=1))
    assert await fire_due_rules() == 0
    assert await Task.filter(title="Сделка застряла").count() == 1


async def test_a_birthday_is_greeted_through_the_preferred_channel_once_a_year(
    org: Org, clock: FrozenClock
) -> None:
    await install_default_templates()
    await make_rule(
        name="С днём рождения",
        entity="contact",
        trigger={"on": "time", "field": "birthday", "yearly": True, "at": "10:00"},
        actions=[{"do": "send_template", "purpose": "birthday_greeting"}],
    )
    contact = await make_contact(
        org.manager,
        first_name="Анна",
        birthday=date(1990, 3, 5),
        phones=["+79161234567"],
        emails=["anna@example.test"],
        preferred_channels=["whatsapp", "email"],
    )
    await give_consent(org.manager, contact.id, "marketing", text_version="v1")
    other = await make_contact(org.manager, birthday=date(1985, 7, 1), emails=["x@example.test"])

    with use_channels({Channel.WHATSAPP, Channel.EMAIL, Channel.SMS}):
        clock.advance(datetime(2025, 3, 5, 6, 59, tzinfo=UTC) - T0)  # 09:59 in Moscow
        assert await fire_due_rules() == 0
        clock.advance(timedelta(minutes=2))
        assert await fire_due_rules() == 1
        clock.advance(timedelta(hours=5))
        assert await fire_due_rules() == 0
        clock.advance(timedelta(days=365))  # 5 March 2026
        assert await fire_due_rules() == 1

    messages = await OutboundMessage.filter(purpose="birthday_greeting").order_by("id")
    assert [(m.contact_id, m.channel, m.state) for m in messages] == [
        (contact.id, Channel.WHATSAPP, MessageState.QUEUED)
    ] * 2
    assert messages[0].body.startswith("Анна, поздравляем")
    assert not await OutboundMessage.filter(contact_id=other.id).exists()


async def test_a_schedule_fires_once_per_moment_for_each_matching_record(
    org: Org, sales: Pipeline, clock: FrozenClock
) -> None:
    # 1 is Monday as cron counts; 09:00 in Moscow is 06:00 UTC. T0 is Monday 12:00 in Moscow.
    rule = await make_rule(
        name="Понедельник",
        trigger={"on": "schedule", "cron": "0 9 * * 1"},
        conditions={"field": "amount", "op": "gt", "value": 1000},
        actions=[{"do": "create_task", "title": "Обзор недели"}],
    )
    big = await make_deal(org.manager, amount="5000")
    await make_deal(org.manager, amount="10")
    assert await fire_due_rules() == 0
    clock.advance(timedelta(days=6, hours=21, minutes=1))  # Monday 06:01 UTC
    assert await fire_due_rules() == 1
    assert await fire_due_rules() == 0
    [run] = await RuleRun.filter(rule_id=rule.id)
    assert run.dedup_key == f"rule:{rule.id}:{big.id}:2025-03-10T06:00:00+00:00"
    clock.advance(timedelta(days=7))
    assert await fire_due_rules() == 1


async def test_a_clock_stopped_for_a_day_catches_up_once(
    org: Org, sales: Pipeline, clock: FrozenClock
) -> None:
    await make_rule(
        trigger={"on": "time", "field": "deadline", "before": "3d"},
        actions=[{"do": "create_task", "title": "Дедлайн через 3 дня"}],
    )
    await make_deal(org.manager, deadline=T0 + timedelta(days=4))
    await make_deal(org.manager, deadline=T0 + timedelta(days=4, hours=12))
    clock.advance(timedelta(days=2))  # both were due while nothing ran
    assert await fire_due_rules() == 2
    assert await fire_due_rules() == 0


async def test_the_retry_job_performs_failed_actions_when_due(
    org: Org, sales: Pipeline, clock: FrozenClock
) -> None:
    await make_rule(
        trigger={"on": "created"}, actions=[{"do": "move_stage", "stage": "КП отправлено"}]
    )
    await make_deal(org.manager)
    assert await retry_failed_runs() == 0
    clock.advance(timedelta(minutes=1))
    assert await retry_failed_runs() == 1
    run = await RuleRun.get()
    assert (run.attempts, run.outcome) == (2, RunOutcome.FAILED)
    assert run.next_attempt_at == T0 + timedelta(minutes=6)


def test_the_host_runs_the_rule_jobs_on_the_leader_only() -> None:
    clock = build_clock(Settings(database_url="sqlite://:memory:"))
    jobs = {job.id: job for job in clock.scheduler.get_jobs()}
    for job_id in (FIRE_JOB_ID, RETRY_JOB_ID, WEBHOOK_JOB_ID):
        assert getattr(jobs[job_id].func, "leader_only", False) is True


# Webhooks against a loopback receiver


@dataclass
class Receiver:
    url: str
    answers: list[int] = field(default_factory=list)
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    port = free_port()
    box = Receiver(f"http://127.0.0.1:{port}/hook")

    async def hook(request: web.Request) -> web.Response:
        box.received.append((dict(request.headers), await request.read()))
        return web.Response(status=box.answers.pop(0) if box.answers else 200, text="ok")

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield box
    await runner.cleanup()


@pytest.fixture
def webhook_secret(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("VORONKA_WEBHOOK_SECRET", SECRET.decode())
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("VORONKA_WEBHOOK_SECRET")
    get_settings.cache_clear()


@pytest.mark.usefixtures("webhook_secret")
async def test_a_webhook_goes_out_signed_and_is_retried_after_a_5xx(
    org: Org, sales: Pipeline, receiver: Receiver, clock: FrozenClock
) -> None:
    await make_rule(trigger={"on": "created"}, actions=[{"do": "webhook", "url": receiver.url}])
    async with in_transaction():
        deal = await make_deal(org.manager, title="Вебхук")
    receiver.answers = [503]
    webhooks = Webhooks(SECRET)
    assert await webhooks.deliver() == 1
    delivery = await WebhookDelivery.get()
    assert (delivery.state, delivery.attempts, delivery.last_status) == (
        DeliveryState.FAILED,
        1,
        503,
    )
    assert await webhooks.deliver() == 0  # not due yet
    clock.advance(timedelta(seconds=31))
    assert await webhooks.deliver() == 1
    await delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SENT

    headers, body = receiver.received[-1]
    stamp = int(headers["X-Voronka-Timestamp"])
    assert signature_valid(SECRET, stamp, body, headers["X-Voronka-Signature"])
    assert not signature_valid(b"another key", stamp, body, headers["X-Voronka-Signature"])
    payload = json.loads(body)
    assert (payload["entity"], payload["record"]["id"], payload["record"]["title"]) == (
        "deal",
        deal.id,
        "Вебхук",
    )
    run = await RuleRun.get()
    assert run.results[0]["status"] == "ok"
    assert "delivered (HTTP 200)" in run.results[0]["detail"]


@pytest.mark.usefixtures("webhook_secret")
async def test_a_webhook_refused_with_a_4xx_is_dead_and_so_is_its_run(
    org: Org, sales: Pipeline, receiver: Receiver, clock: FrozenClock
) -> None:
    await make_rule(trigger={"on": "created"}, actions=[{"do": "webhook", "url": receiver.url}])
    await make_deal(org.manager)
    receiver.answers = [410]
    assert await Webhooks(SECRET).deliver() == 1
    delivery = await WebhookDelivery.get()
    assert (delivery.state, delivery.next_attempt_at) == (DeliveryState.DEAD, None)
    run = await RuleRun.get()
    assert run.outcome == RunOutcome.DEAD
    assert "HTTP 410" in run.error


async def test_unsigned_webhooks_stay_queued(org: Org, sales: Pipeline) -> None:
    await WebhookDelivery.create(
        url="http://127.0.0.1:9/x", body="{}", dedup_key="k", next_attempt_at=T0
    )
    assert await Webhooks(None).deliver() == 0
    assert (await WebhookDelivery.get()).state == DeliveryState.QUEUED


async def test_an_occurrence_taken_twice_fires_once(
    org: Org, sales: Pipeline, clock: FrozenClock
) -> None:
    # Two schedulers that both saw the occurrence (a lease handed over mid-tick): the run's
    # unique dedup key lets only the first one fire it.
    await make_rule(
        trigger={"on": "time", "field": "deadline", "before": "1d"},
        actions=[{"do": "create_task", "title": "Завтра дедлайн"}],
    )
    await make_deal(org.manager, deadline=T0 + timedelta(days=1, hours=1))
    clock.advance(timedelta(hours=2))
    [batch] = await clock_batches()
    [occurrence] = batch.occurrences
    async with in_transaction():
        first = await fire_occurrence(occurrence)
    async with in_transaction():
        second = await fire_occurrence(occurrence)
    assert first is not None
    assert second is None
    assert await Task.filter(title="Завтра дедлайн").count() == 1
