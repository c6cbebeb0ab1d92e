"""The demo seeder: sizes, logins, every rule the operations enforce, idempotency, determinism."""

from __future__ import annotations

import hashlib
import itertools
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio
from tortoise.contrib.test import truncate_all_models
from tortoise.transactions import in_transaction

from models.clock import FrozenClock, now, use_clock
from models.demo import DemoSummary, seed_demo
from models.entities import (
    Company,
    Contact,
    ContactEmail,
    ContactPhone,
    Deal,
    Interaction,
    Lead,
    LeadStatus,
    Office,
    OfficeKind,
    Order,
    OrderStatus,
    OrderStatusChange,
    Pipeline,
    Role,
    Stage,
    StageKind,
    StageTransition,
    Task,
    TaskStatus,
    User,
)
from models.errors import FieldErrors
from models.passwords import verify_password
from models.rules.emails import normalize_email
from models.rules.orders import can_change
from models.rules.phones import normalize_phone
from models.rules.requisites import check_requisites
from models.rules.stages import missing_for_stage

FROZEN = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)


async def _seed(language: str = "ru") -> DemoSummary:
    async with in_transaction():
        return await seed_demo(language)


@pytest_asyncio.fixture(scope="module")
async def seeded(_schema: str) -> DemoSummary:
    """One seeded database shared by the read-only tests below (seeding takes seconds).

    They come first in this module: the tests further down take the `db` fixture, which empties
    the database.
    """
    await truncate_all_models()
    return await _seed()


async def test_counts_are_in_the_expected_ranges(seeded: DemoSummary) -> None:
    summary = seeded
    assert summary.created
    expected = {
        Office: (4, 4),
        User: (12, 12),
        Pipeline: (2, 2),
        Company: (450, 550),
        Contact: (1800, 2200),
        Deal: (700, 900),
        Interaction: (4500, 5500),
        Task: (60, 300),
        Order: (120, 180),
        Lead: (10, 60),
    }
    for model, (low, high) in expected.items():
        assert low <= await model.all().count() <= high, model.__name__
    assert summary.counts["companies"] == await Company.all().count()
    assert summary.counts["interactions"] == await Interaction.all().count()
    assert await StageTransition.all().count() > await Deal.all().count()
    assert await OrderStatusChange.all().count() >= await Order.all().count()
    assert await Deal.filter(stage__kind=StageKind.WON).count() > 50
    assert await Deal.filter(stage__kind=StageKind.LOST, loss_reason_id__isnull=False).count() > 50
    assert await Lead.filter(status=LeadStatus.CONVERTED, converted_deal_id__isnull=False).exists()


async def test_the_four_logins_exist_with_roles_offices_and_the_password(
    seeded: DemoSummary,
) -> None:
    summary = seeded
    hq = await Office.get(kind=OfficeKind.COMPANY)
    departments = await Office.filter(kind=OfficeKind.DEPARTMENT)
    spb = await Office.get(kind=OfficeKind.BRANCH)
    assert hq.name == "Москва (головной офис)"
    assert sorted(d.name for d in departments) == ["Отдел продаж B2B", "Отдел розницы"]
    assert spb.name == "Санкт-Петербург"
    for office in [*departments, spb]:
        assert office.path == f"{hq.path}{office.id}/"
    assert hq.path == f"{hq.id}/"

    logins = {login: (role, office) for login, role, office in summary.logins}
    assert logins["admin@demo.test"] == ("admin", hq.name)
    assert logins["head@demo.test"] == ("head", hq.name)
    assert logins["manager.spb@demo.test"] == ("manager", spb.name)
    assert logins["manager@demo.test"][0] == "manager"

    manager = await User.get(email="manager@demo.test").select_related("office")
    assert manager.office.kind is OfficeKind.DEPARTMENT
    assert manager.office.path.startswith(hq.path)
    head = await User.get(email="head@demo.test")
    assert head.role is Role.HEAD
    assert head.office_id == hq.id
    assert (await User.get(email="admin@demo.test")).role is Role.ADMIN

    users = await User.all()
    assert len({u.password_hash for u in users}) == 1
    assert summary.password == "demo-password"
    assert verify_password(summary.password, users[0].password_hash)
    assert Counter(u.role for u in users)[Role.MANAGER] >= 6
    assert all(u.full_name.count(" ") == 2 and u.is_active for u in users)


@pytest.mark.usefixtures("seeded")
async def test_companies_have_valid_requisites_and_contacts_valid_unique_phones() -> None:
    for inn, kpp, ogrn, phone, email in await Company.all().values_list(
        "inn", "kpp", "ogrn", "phone", "email"
    ):
        errors = FieldErrors()
        assert check_requisites(inn, kpp, ogrn, errors) == (inn, kpp, ogrn)
        assert not errors.items
        assert len(inn) == 10 or kpp is None
        assert normalize_phone(phone) == phone
        assert normalize_email(email) == email
    inns = await Company.all().values_list("inn", flat=True)
    assert len(set(inns)) == len(inns)

    phones = await ContactPhone.all().values_list("number", "last4", "contact_id")
    numbers = [number for number, _, _ in phones]
    assert len(set(numbers)) == len(numbers)
    for number, last4, _ in phones:
        assert number.startswith("+79")
        assert normalize_phone(number) == number
        assert last4 == number[-4:]
    assert {contact_id for _, _, contact_id in phones} == set(
        await Contact.all().values_list("id", flat=True)
    )
    for address in await ContactEmail.all().values_list("email", flat=True):
        assert normalize_email(address) == address


@pytest.mark.usefixtures("seeded")
async def test_contacts_are_named_and_owned_within_the_owners_office() -> None:
    offices = dict(await User.all().values_list("id", "office_id"))
    today = now().date()
    rows = await Contact.all().values_list(
        "first_name", "last_name", "middle_name", "owner_id", "office_id", "birthday", "company_id"
    )
    for first, last, middle, owner_id, office_id, birthday, _ in rows:
        assert first
        assert last
        assert middle
        # Gender-consistent: a patronymic in -вна/-чна goes with a feminine surname.
        if middle.endswith("на") and last.endswith(("ов", "ев", "ин")):
            pytest.fail(f"{last} {first} {middle}")
        assert offices[owner_id] == office_id
        assert birthday is None or birthday < today
    assert sum(1 for row in rows if row[6] is not None) > len(rows) * 0.7
    for model in (Company, Deal, Order, Lead):
        for owner_id, office_id in await model.all().values_list("owner_id", "office_id"):
            assert offices[owner_id] == office_id, model.__name__
    for assignee_id, office_id in await Task.all().values_list("assignee_id", "office_id"):
        assert offices[assignee_id] == office_id


@pytest.mark.usefixtures("seeded")
async def test_stage_histories_are_consistent_and_satisfy_the_stage_rules() -> None:
    stages = {s.id: s for s in await Stage.all()}
    history: dict[int, list[StageTransition]] = defaultdict(list)
    for stay in await StageTransition.all().order_by("entered_at"):
        history[stay.deal_id].append(stay)
    at = now()
    stuck = 0
    for deal in await Deal.all():
        stays = history[deal.id]
        assert [s.left_at is None for s in stays].count(True) == 1
        assert stays[-1].left_at is None
        assert stays[-1].stage_id == deal.stage_id
        assert stays[-1].entered_at == deal.stage_entered_at
        assert stays[0].entered_at == deal.created_at
        assert stays[0].from_stage_id is None
        for before, after in itertools.pairwise(stays):
            assert before.left_at == after.entered_at
            assert after.from_stage_id == before.stage_id
            assert before.entered_at < after.entered_at
        values = {
            "amount": deal.amount_minor,
            "contact_id": deal.contact_id,
            "company_id": deal.company_id,
            "source_id": deal.source_id,
            "deadline": deal.deadline,
            "loss_reason_id": deal.loss_reason_id,
        }
        for stay in stays:
            stage = stages[stay.stage_id]
            assert stage.pipeline_id == deal.pipeline_id
            assert not missing_for_stage(stage.name, stage.kind, stage.required_fields, values)
        stage = stages[deal.stage_id]
        if stage.kind is StageKind.OPEN:
            assert deal.closed_at is None
            assert deal.loss_reason_id is None
            stuck += (at - deal.stage_entered_at) > timedelta(days=stage.planned_days or 0)
        else:
            assert deal.closed_at == deal.stage_entered_at
        assert deal.created_at >= at - timedelta(days=190)
        assert deal.stage_entered_at <= at
        assert deal.currency == "RUB"
        assert deal.amount_minor is None or deal.amount_minor % 100 == 0
    assert 40 <= stuck <= 400


@pytest.mark.usefixtures("seeded")
async def test_interactions_match_their_deals() -> None:
    at = now()
    deals = {d.id: d for d in await Deal.all()}
    latest: dict[int, datetime] = {}
    history: dict[int, list[StageTransition]] = defaultdict(list)
    for stay in await StageTransition.all().order_by("entered_at"):
        history[stay.deal_id].append(stay)
    for row in await Interaction.all():
        assert row.occurred_at <= at
        assert row.occurred_at >= at - timedelta(days=190)
        assert row.outcome
        assert row.deal_id or row.contact_id
        if row.deal_id is None:
            assert row.stage_id is None
            continue
        deal = deals[row.deal_id]
        assert row.office_id == deal.office_id
        assert row.contact_id == deal.contact_id
        assert deal.created_at <= row.occurred_at <= (deal.closed_at or at)
        stay = [s for s in history[deal.id] if s.entered_at <= row.occurred_at][-1]
        assert row.stage_id == stay.stage_id
        latest[deal.id] = max(latest.get(deal.id, row.occurred_at), row.occurred_at)
    for deal in deals.values():
        assert deal.last_interaction_at == latest.get(deal.id)


@pytest.mark.usefixtures("seeded")
async def test_tasks_surround_today_and_orders_follow_allowed_moves() -> None:
    at = now()
    for manager in await User.filter(role=Role.MANAGER):
        tasks = await Task.filter(assignee_id=manager.id)
        open_tasks = [t for t in tasks if t.status is TaskStatus.OPEN]
        assert any(t.due_at and t.due_at < at for t in open_tasks)
        assert any(t.due_at and t.due_at > at for t in open_tasks)
        assert any(t.status is TaskStatus.DONE and t.completed_at for t in tasks)

    changes: dict[int, list[OrderStatusChange]] = defaultdict(list)
    for change in await OrderStatusChange.all().order_by("changed_at"):
        changes[change.order_id].append(change)
    for order in await Order.all():
        history = changes[order.id]
        assert history[0].status is OrderStatus.NEW
        assert history[0].from_status is None
        for before, after in itertools.pairwise(history):
            assert after.from_status is before.status
            assert can_change(before.status, after.status)
        assert history[-1].status is order.status
        assert history[-1].changed_at <= at


@pytest.mark.usefixtures("db")
async def test_a_second_run_creates_nothing() -> None:
    await _seed()
    before = {m.__name__: await m.all().count() for m in (User, Company, Contact, Deal)}

    again = await _seed()

    assert not again.created
    assert not again.counts
    assert [login for login, _, _ in again.logins][:4] == [
        "admin@demo.test",
        "head@demo.test",
        "manager@demo.test",
        "manager.spb@demo.test",
    ]
    assert again.password == "demo-password"
    assert before == {m.__name__: await m.all().count() for m in (User, Company, Contact, Deal)}


async def _fingerprint() -> str:
    """A digest of what the seed wrote, independent of row ids."""
    rows = (
        await Contact.all().values_list("last_name", "first_name", "middle_name", "birthday"),
        await Company.all().values_list("inn", "name", "phone"),
        await ContactPhone.all().values_list("number", flat=True),
        await Deal.all().values_list("title", "amount_minor", "stage__name", "stage_entered_at"),
        await Interaction.all().values_list("occurred_at", "kind", "outcome"),
    )
    return hashlib.sha256(repr([sorted(map(repr, table)) for table in rows]).encode()).hexdigest()


@pytest.mark.usefixtures("db")
async def test_two_runs_into_clean_databases_give_the_same_data() -> None:
    with use_clock(FrozenClock(FROZEN)):
        await _seed()
        first = await _fingerprint()
        await truncate_all_models()
        await _seed()
        second = await _fingerprint()

    assert first == second


@pytest.mark.usefixtures("db")
async def test_english_gives_english_names() -> None:
    summary = await _seed("en")

    assert summary.created
    assert {login: office for login, _, office in summary.logins}[
        "admin@demo.test"
    ] == "Moscow (head office)"
    for model, fields in (
        (Contact, ("first_name", "last_name", "middle_name")),
        (User, ("full_name",)),
        (Pipeline, ("name",)),
        (Stage, ("name",)),
        (Company, ("name",)),
        (Interaction, ("outcome",)),
    ):
        for row in await model.all().values_list(*fields):
            for text in row:
                assert text.isascii(), text
    assert await Pipeline.filter(name="B2B Sales").exists()
