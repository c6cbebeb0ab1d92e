"""A travelled week of the demo office with every job `voronka run` registers (issue 6, "Done
when"): on the demo data, with the default templates and the example rules, the jobs of a
scheduler built by `build_clock` tick every 5 minutes for the first hour and every 15 minutes
after it, and the relay delivers through a real aiogram Bot to the Bot API double. A task due in
a minute reminds its manager with Done · +1 h · Tomorrow and later escalates to the head, a stuck
deal's stage timer tells the owner then the head, the four example rules fire, an absence hands
work over and offers it back (Take back pressed through the bot's Dispatcher), a KPI breach
alerts and creates a task: each once, at its tick. Then the same tick twice at once, a restart
and a 10-minute gap double nothing."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.job import Job
from tortoise.transactions import in_transaction

import bots.telegram.app
from bots.telegram.app import build_bot, build_dispatcher, mark_unreachable
from bots.telegram.limits import TelegramLimits
from cli.host import Clock, build_clock
from cli.rules import apply_rules
from models.actor import Actor
from models.channels import use_channels
from models.clock import FrozenClock, use_clock
from models.demo import seed_demo
from models.entities import (
    Channel,
    Deal,
    KpiBreach,
    Lead,
    MessageState,
    OutboundMessage,
    Pipeline,
    RuleRun,
    RunOutcome,
    Stage,
    Task,
    User,
)
from models.ops.absences import TAKE_BACK, handover_callback, plan_absence
from models.ops.consents import give_consent
from models.ops.deals import move_deal_to_stage
from models.ops.kpi import create_kpi, create_plan
from models.ops.leads import create_lead
from models.ops.templates import install_default_templates
from models.settings import Settings
from schedulers.clock import LEASE_JOB_ID
from schedulers.outbox import JOB_ID as RELAY_JOB_ID
from tests.doubles.telegram_api import ApiCall, TelegramApiDouble
from tests.doubles.telegram_updates import Person, callback_update
from tests.factories import actor_for, make_contact, make_deal, make_task

EXAMPLE_RULES = Path(__file__).parents[2] / "docs" / "examples" / "rules.yaml"
TOKEN = "123456:TEST-token-of-the-double"
START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)  # Monday, 12:00 in Moscow
WEEK = timedelta(days=7)
JOB_IDS = {
    "housekeeping.purge_expired",
    "reminders.remind",
    "reminders.escalate",
    "timers.deals",
    "timers.digest",
    "absences.tick",
    "kpi.evaluate",
    *(f"outbox.relay.{channel}" for channel in Channel),
    "campaigns.feed",
    "rules.fire_due",
    "rules.retry_failed",
    "rules.webhooks",
    LEASE_JOB_ID,
}
# The demo users whose Telegram is linked; the others get no notices at all (no channel).
MANAGER = Person(7001, "Алексей", "ru")  # manager@demo.test, B2B: the head of HQ is his
HEAD = Person(7002, "Дмитрий", "ru")  # head@demo.test
AWAY = Person(7003, "Мария", "ru")  # m.kuznetsova@demo.test, away Tuesday to Thursday
DEPUTY = Person(7004, "Сергей", "ru")  # s.orlov@demo.test
LINKED = {
    "manager@demo.test": MANAGER,
    "head@demo.test": HEAD,
    "m.kuznetsova@demo.test": AWAY,
    "s.orlov@demo.test": DEPUTY,
}


class VirtualTime:
    """The Telegram pacing's monotonic clock, moving only when the pacing sleeps on it."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)


@dataclass
class Office:
    """The demo office under the travelled clock, and what the Bot API double received when."""

    clock: FrozenClock
    api: TelegramApiDouble
    settings: Settings
    users: dict[str, User]
    deliveries: list[tuple[datetime, ApiCall]] = field(default_factory=list)

    async def actor(self, login: str) -> Actor:
        return await actor_for(self.users[login])

    def user_id(self, login: str) -> int:
        return self.users[login].id

    async def tick(self, clock: Clock) -> None:
        """Every job of `clock`, the lease first and the relay last (so that what a tick
        writes is delivered in that tick), then note what reached the double."""
        await run_tick(jobs_of(clock))
        self.note()

    def note(self) -> None:
        sent = self.api.sent()
        seen = len(self.deliveries)
        self.deliveries += [(self.clock.now(), call) for call in sent[seen:]]

    def delivered(self, message: OutboundMessage) -> list[datetime]:
        """The ticks at which the double received this outbox message."""
        return [
            at
            for at, call in self.deliveries
            if str(call.chat_id) == message.address and call.params["text"] == message.body
        ]


def jobs_of(clock: Clock) -> list[Job]:
    jobs = clock.scheduler.get_jobs()
    assert {job.id for job in jobs} == JOB_IDS

    # The lease first, the relay's lanes last: what the other jobs wrote goes out in the same tick.
    def order(job: Job) -> int:
        if job.id == LEASE_JOB_ID:
            return 0
        return 2 if job.id.startswith(f"{RELAY_JOB_ID}.") else 1

    return sorted(jobs, key=order)


async def run_tick(jobs: list[Job]) -> None:
    for job in jobs:
        await job.func(*job.args, **job.kwargs)


def step(at: datetime) -> timedelta:
    """5 minutes in the first hour (the reminder due in a minute), 15 until the escalation four
    hours after it, then an hour: every other moment of the week is on the hour, or shows at the
    first tick after it."""
    if at < START + timedelta(hours=1):
        return timedelta(minutes=5)
    if at < START + timedelta(hours=6):
        return timedelta(minutes=15)
    return timedelta(hours=1)


@pytest.fixture
def frozen() -> Iterator[FrozenClock]:
    # Email and WhatsApp are on so the rules' client messages are written (as in
    # test_example_rules); this process's relay has Telegram only, so they end dead here.
    channels = {Channel.TELEGRAM, Channel.EMAIL, Channel.WHATSAPP}
    with use_clock(FrozenClock(START)) as clock, use_channels(channels):
        yield clock


@pytest.fixture
async def api(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[TelegramApiDouble]:
    time = VirtualTime()
    limits = TelegramLimits(on_unreachable=mark_unreachable, clock=time, sleep=time.sleep)
    # The process's one pacing, on a clock that does not make the test wait a second per chat.
    monkeypatch.setattr(bots.telegram.app, "_process_limits", limits)
    async with TelegramApiDouble() as double:
        double.clock = time
        yield double


@pytest.fixture
async def office(db: str, frozen: FrozenClock, api: TelegramApiDouble, data_dir: Path) -> Office:
    async with in_transaction():
        assert (await seed_demo()).created
    await install_default_templates()
    assert len((await apply_rules(EXAMPLE_RULES, dry_run=False)).lines) == 4
    users = {u.email: u for u in await User.all()}
    for login, person in LINKED.items():
        await User.filter(id=users[login].id).update(telegram_user_id=person.id)
    settings = Settings(
        database_url=db,
        telegram_token=TOKEN,  # type: ignore[arg-type]
        telegram_api_base=api.url,
        data_dir=data_dir,
    )
    return Office(frozen, api, settings, users)


async def _stage(pipeline: Pipeline, name: str) -> Stage:
    return await Stage.get(pipeline_id=pipeline.id, name=name)


async def test_a_demo_week_with_every_job_of_the_clock(office: Office) -> None:
    clock = office.clock
    manager = await office.actor("manager@demo.test")
    head = await office.actor("head@demo.test")
    admin = await office.actor("admin@demo.test")
    b2b = await Pipeline.get(name="Продажи B2B")

    # A task due in a minute, and a deal left at «Новая» (2 days planned).
    call = await make_task(
        manager,
        title="Перезвонить «Заре» через минуту",
        due_at=START + timedelta(minutes=1),
        remind_at=START + timedelta(minutes=1),
    )
    stuck = await make_deal(
        manager,
        title="Насосы для «Зари» (застряла)",
        pipeline_id=b2b.id,
        stage_id=(await _stage(b2b, "Новая")).id,
    )
    # The example rules: a deal taken into work, then left in negotiations...
    buyer = await make_contact(manager, first_name="Глеб", emails=["gleb@example.test"])
    taken = await make_deal(
        manager, title="Окна для «Зари»", pipeline_id=b2b.id, contact_id=buyer.id, amount="100"
    )
    for stage in ("В работе", "Переговоры"):
        async with in_transaction():
            await move_deal_to_stage(manager, taken.id, (await _stage(b2b, stage)).id, version=None)
    # ...a lead entered in the B2B office, a client whose birthday is on Thursday.
    async with in_transaction():
        lead = await create_lead(manager, {"title": "Заявка «Зари» с сайта"})
    birthday = await make_contact(
        manager,
        first_name="Вера",
        birthday=date(1990, 3, 6),
        phones=["+79031230001"],
        preferred_channels=["whatsapp"],
    )
    await give_consent(manager, birthday.id, "marketing", text_version="v1")
    # Maria is away from Tuesday noon to Thursday noon; Sergey stands in.
    away = await office.actor("m.kuznetsova@demo.test")
    absence = await plan_absence(
        away,
        {
            "starts_at": START + timedelta(days=1),
            "ends_at": START + timedelta(days=3),
            "deputy_id": office.user_id("s.orlov@demo.test"),
        },
    )
    # Her open deals: the hand-over moves those, closed ones stay hers.
    maria_deals = set(
        await Deal.filter(owner_id=away.user_id, closed_at=None).values_list("id", flat=True)
    )
    assert maria_deals
    # A calls plan nobody can keep: critical as soon as the month's grace ends.
    march = {"period_start": date(2025, 3, 1), "period_end": date(2025, 3, 31)}
    await create_plan(
        head, {"user_id": manager.user_id, "metric": "calls", "target": 100000, **march}
    )
    await create_kpi(
        admin,
        {
            "name": "Звонки",
            "metric": "calls",
            "warning": 80,
            "critical": 50,
            "notify": "both",
            "task_for": "user",
        },
    )

    week = build_clock(office.settings)
    week.scheduler.start(paused=True)
    try:
        while clock.now() < START + WEEK:
            await office.tick(week)
            if clock.now() == START + timedelta(days=3):
                still_hers = Deal.filter(id__in=maria_deals, owner_id=away.user_id)
                assert await still_hers.count() == 0, "every open deal is with the deputy"
            clock.advance(step(clock.now()))
    finally:
        await week.stop()

    async def one(purpose: str, user_login: str, key: str) -> OutboundMessage:
        [message] = await OutboundMessage.filter(
            purpose=purpose, user_id=office.user_id(user_login), dedup_key__startswith=key
        )
        assert message.state == MessageState.SENT
        assert office.delivered(message) == [message.created_at]
        return message

    # The reminder, at the first tick after its minute, with its three buttons.
    reminder = await one("task_reminder", "manager@demo.test", f"task:{call.id}:remind:")
    assert reminder.created_at == START + timedelta(minutes=5)
    [sent] = [c for at, c in office.deliveries if c.params["text"] == reminder.body]
    assert sent.chat_id == MANAGER.id
    labels = [[b["text"] for b in row] for row in sent.params["reply_markup"]["inline_keyboard"]]
    assert labels == [["✅ Готово", "+1 ч", "Завтра"]]
    # Four hours past due, the head of HQ (B2B has none).
    overdue = await one("task_overdue", "head@demo.test", f"task:{call.id}:overdue:")
    assert overdue.created_at == START + timedelta(hours=4, minutes=15)
    # Two days planned at «Новая»: the owner, then a day later the head.
    late = await one("deal_stage_overdue", "manager@demo.test", f"deal:{stuck.id}:stage:")
    assert late.created_at == START + timedelta(days=2, hours=1)
    escalated = await one("deal_stage_escalation", "head@demo.test", f"deal:{stuck.id}:stage-head:")
    assert escalated.created_at == START + timedelta(days=3, hours=1)

    # The four example rules, each once for its record, every run of the week ok.
    [proposal] = await OutboundMessage.filter(purpose="proposal_sent", contact_id=buyer.id)
    assert (proposal.channel, proposal.address) == (Channel.EMAIL, "gleb@example.test")
    b2b_managers = {
        u.id
        for u in office.users.values()
        if u.office_id == manager.office_id and u.role == "manager"
    }
    assert (await Lead.get(id=lead.id)).owner_id in b2b_managers
    [head_task] = await Task.filter(deal_id=taken.id, title="Сделка больше 5 дней в переговорах")
    assert head_task.assignee_id == head.user_id
    assert head_task.created_at == START + timedelta(days=5)
    [greeting] = await OutboundMessage.filter(purpose="birthday_greeting", contact_id=birthday.id)
    assert (greeting.channel, greeting.address) == (Channel.WHATSAPP, "+79031230001")
    assert greeting.created_at == datetime(2025, 3, 6, 7, 0, tzinfo=UTC)  # 10:00 in Moscow
    mine = {("deal", taken.id), ("lead", lead.id), ("contact", birthday.id)}
    runs = await RuleRun.filter(dry_run=False).values_list(
        "rule__name", "entity", "record_id", "outcome"
    )
    assert sorted((name, outcome) for name, *record, outcome in runs if tuple(record) in mine) == [
        ("Больше 5 дней в «Переговорах» — задача руководителю", RunOutcome.OK),
        ("Новый лид — самому свободному менеджеру офиса", RunOutcome.OK),
        ("Поздравить с днём рождения", RunOutcome.OK),
        ("Спасибо и КП, когда сделка в работе", RunOutcome.OK),
    ]
    # The demo's own deals stuck in negotiations get their head's task too; of its clients,
    # those without consent or an address for their channel get no greeting.
    assert {outcome for name, *_, outcome in runs if not name.startswith("Поздравить")} == {
        RunOutcome.OK
    }
    assert len(runs) == len({tuple(run[:3]) for run in runs})

    # The absence: the hand-over at its start, the offer at its end.
    handover = await one("absence_handover", "s.orlov@demo.test", f"absence:{absence.id}:")
    assert handover.created_at == START + timedelta(days=1)
    offer = await one("absence_return", "m.kuznetsova@demo.test", f"absence:{absence.id}:")
    assert offer.created_at == START + timedelta(days=3)

    # The KPI breach: at the first run after the grace (midnight on the 4th in Moscow), once.
    [breach] = await KpiBreach.all()
    assert breach.detected_at == datetime(2025, 3, 3, 21, 0, tzinfo=UTC)
    for login in ("manager@demo.test", "head@demo.test"):
        await one("kpi_breach", login, f"kpi:{breach.id}:")
    [kpi_task] = await Task.filter(id=breach.task_id)
    assert kpi_task.assignee_id == manager.user_id

    # Nothing reached Telegram twice: one sendMessage per outbox row sent.
    sent_rows = await OutboundMessage.filter(
        channel=Channel.TELEGRAM, state=MessageState.SENT
    ).values_list("address", "body")
    assert Counter((str(c.chat_id), c.params["text"]) for _, c in office.deliveries) == Counter(
        sent_rows
    )

    # Take back, pressed in the bot: Maria's deals come home.
    [offered] = [c for _, c in office.deliveries if c.params["text"] == offer.body]
    data = handover_callback(TAKE_BACK, absence.id)
    assert data in [
        b.get("callback_data")
        for row in offered.params["reply_markup"]["inline_keyboard"]
        for b in row
    ]
    bot = build_bot(office.settings)
    dispatcher = build_dispatcher(office.settings)
    try:
        await dispatcher.feed_update(
            bot, callback_update(AWAY, data, message_id=int(offered.result["message_id"]))
        )
    finally:
        await dispatcher.fsm.close()
        await bot.session.close()
    back = await Deal.filter(id__in=maria_deals, owner_id=away.user_id).count()
    assert back == len(maria_deals)

    # The same tick twice at once, on two schedulers: one leads, and the leader's jobs run twice
    # concurrently (as when a lost lease and its successor overlap). Nothing doubles.
    before = await OutboundMessage.all().count()
    soon = await make_task(
        manager, title="Отправить «Заре» договор", remind_at=clock.now() + timedelta(minutes=1)
    )
    clock.advance(timedelta(minutes=5))
    first, second = build_clock(office.settings), build_clock(office.settings)
    for each in (first, second):
        each.scheduler.start(paused=True)
    try:
        assert await first.leadership.tick()
        assert not await second.leadership.tick()
        await asyncio.gather(
            run_tick(jobs_of(first)), run_tick(jobs_of(first)), run_tick(jobs_of(second))
        )
        office.note()
    finally:
        await first.stop()
        await second.stop()
    told = await one("task_reminder", "manager@demo.test", f"task:{soon.id}:remind:")
    assert told.created_at == clock.now()
    after_pair = await OutboundMessage.all().count()
    assert after_pair > before

    # A restart at the same moment: the new scheduler finds nothing left to tell.
    restarted = build_clock(office.settings)
    restarted.scheduler.start(paused=True)
    try:
        await office.tick(restarted)
        assert await OutboundMessage.all().count() == after_pair
        assert len(office.deliveries) == len(office.api.sent())

        # Ten minutes without a tick (a stalled loop, a deploy): the reminder due meanwhile
        # comes at the first tick after the gap, once, and never again.
        gap = await make_task(
            manager, title="Сверить счёт «Зари»", remind_at=clock.now() + timedelta(minutes=3)
        )
        clock.advance(timedelta(minutes=10))
        await office.tick(restarted)
        late = await one("task_reminder", "manager@demo.test", f"task:{gap.id}:remind:")
        assert late.created_at == clock.now()
        settled = await OutboundMessage.all().count()
        clock.advance(timedelta(minutes=5))
        await office.tick(restarted)
        assert await OutboundMessage.all().count() == settled
        await one("task_reminder", "manager@demo.test", f"task:{gap.id}:remind:")
        # Every job coalesces a backlog into one run (docs/operations.md, "Misfire policy").
        assert all(job.coalesce for job in jobs_of(restarted))
    finally:
        await restarted.stop()
