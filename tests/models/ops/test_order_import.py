"""Importing orders from a file: new numbers become orders, known ones change status and amount
through the same operations as the API (history, audit, the client's notification); bad rows are
reported and write nothing; the same file again changes nothing; a dry run writes nothing."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from openpyxl import Workbook

from models.actor import Actor
from models.channels import use_channels
from models.entities import (
    AuditEntry,
    Channel,
    Contact,
    Order,
    OrderStatus,
    OrderStatusChange,
    OutboundMessage,
    Task,
    User,
)
from models.errors import Forbidden
from models.ops.order_import import ImportReport, RowAction, import_orders
from models.ops.orders import change_order_status
from models.ops.templates import install_default_templates
from models.rules.order_import import read_order_file
from tests.factories import VALID_INNS, Org, make_company, make_contact, make_order, make_rule
from tests.models.expect import assert_bilingual

pytestmark = pytest.mark.usefixtures("db", "templates", "email_only")

IVAN = "+79161234567"
MARIA = "+79031112233"


@pytest.fixture
def email_only() -> Iterator[None]:
    with use_channels({Channel.EMAIL}):
        yield


@pytest.fixture
async def templates(db: str) -> int:
    return await install_default_templates()


async def _client(org: Org, phone: str, email: str) -> Contact:
    return await make_contact(
        org.manager, phones=[phone], emails=[email], preferred_channels=["email"]
    )


def csv(*lines: str, encoding: str = "utf-8") -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


async def run(
    actor: Actor, data: bytes, *, dry_run: bool = False, notify: bool = True
) -> ImportReport:
    return await import_orders(actor, read_order_file(data).rows, dry_run=dry_run, notify=notify)


async def login(actor: Actor) -> str:
    return (await User.get(id=actor.user_id)).email


def actions(report: ImportReport) -> list[tuple[int, str, RowAction]]:
    return [(o.row, o.number, o.action) for o in report.rows]


def problems(report: ImportReport) -> list[tuple[int, str, str]]:
    found = []
    for outcome in report.rows:
        for error in outcome.errors:
            assert_bilingual(error)
            found.append((outcome.row, error.field, error.code))
    return found


async def state() -> tuple[int, int, int, int, list[tuple[str, str, int, int | None]]]:
    orders = [
        (o.number, o.status.value, o.version, o.amount_minor)
        for o in await Order.all().order_by("number")
    ]
    return (
        await Order.all().count(),
        await OrderStatusChange.all().count(),
        await AuditEntry.all().count(),
        await OutboundMessage.all().count(),
        orders,
    )


async def test_new_orders_are_created_and_a_status_notifies_the_client(org: Org) -> None:
    ivan = await _client(org, IVAN, "ivan@example.test")
    data = csv(
        "Номер;Статус;Сумма;Телефон;Комментарий",
        "A-1;Новый;12 990,50;8 (916) 123-45-67;",
        "A-2;Подтверждён;1500;+7 916 123 45 67;подтверждён по телефону",
        "A-3;;;;",
    )
    report = await run(org.head, data)
    assert actions(report) == [
        (2, "A-1", RowAction.CREATED),
        (3, "A-2", RowAction.CREATED),
        (4, "A-3", RowAction.CREATED),
    ]
    a1, a2, a3 = [await Order.get(number=n) for n in ("A-1", "A-2", "A-3")]
    assert [o.order_id for o in report.rows] == [a1.id, a2.id, a3.id]
    assert (a1.status, a1.amount_minor, a1.currency, a1.contact_id) == (
        OrderStatus.NEW,
        1_299_050,
        "RUB",
        ivan.id,
    )
    assert (a1.owner_id, a1.office_id) == (org.head.user_id, org.north.id)
    assert (a2.status, a2.version) == (OrderStatus.CONFIRMED, 2)
    assert (a3.contact_id, a3.amount_minor) == (None, None)
    change = await OrderStatusChange.get(order_id=a2.id, status="confirmed")
    assert (change.from_status, change.comment, change.by_id) == (  # type: ignore[attr-defined]
        OrderStatus.NEW,
        "подтверждён по телефону",
        org.head.user_id,
    )
    (message,) = await OutboundMessage.all()
    assert (message.purpose, message.contact_id, message.address) == (
        "order_status.confirmed",
        ivan.id,
        "ivan@example.test",
    )
    assert message.payload["refs"] == {"order_id": a2.id}
    assert await AuditEntry.filter(entity="order", entity_id=a2.id, action="status").exists()


async def test_known_numbers_change_status_and_amount_and_the_same_file_again_is_a_no_op(
    org: Org,
) -> None:
    ivan = await _client(org, IVAN, "ivan@example.test")
    shipped = await make_order(org.manager, number="B-1", contact_id=ivan.id, amount="100")
    paid = await make_order(org.manager, number="B-2", contact_id=ivan.id, amount="100")
    same = await make_order(org.manager, number="B-3", amount="100")
    await change_order_status(org.manager, shipped.id, "confirmed", version=None)
    await change_order_status(org.manager, paid.id, "confirmed", version=None)
    before_messages = await OutboundMessage.all().count()
    data = csv(
        "number,status,amount,phone",
        "B-1,shipped,100.00,",
        'B-2,confirmed,"150,5",',
        "B-3,new,100,",
    )
    report = await run(org.head, data)
    assert actions(report) == [
        (2, "B-1", RowAction.STATUS_CHANGED),
        (3, "B-2", RowAction.UPDATED),
        (4, "B-3", RowAction.UNCHANGED),
    ]
    assert (await Order.get(id=shipped.id)).status is OrderStatus.SHIPPED
    changed = await Order.get(id=paid.id)
    assert (changed.status, changed.amount_minor) == (OrderStatus.CONFIRMED, 15_050)
    assert await AuditEntry.filter(
        entity="order", entity_id=paid.id, field="amount_minor", old_value="10000"
    ).exists()
    assert (await Order.get(id=same.id)).version == 1
    messages = await OutboundMessage.all().order_by("id")
    assert len(messages) == before_messages + 1
    assert messages[-1].purpose == "order_status.shipped"

    after_first = await state()
    again = await run(org.head, data)
    assert [o.action for o in again.rows] == [RowAction.UNCHANGED] * 3
    assert await state() == after_first, "no write, no second notification"


async def test_a_mixed_file_lands_the_good_rows_and_reports_each_bad_one(org: Org) -> None:
    await _client(org, IVAN, "ivan@example.test")
    await _client(org, MARIA, "maria@example.test")
    company = await make_company(org.manager, inn=VALID_INNS[0])
    existing = await make_order(org.manager, number="C-9")
    await change_order_status(org.manager, existing.id, "cancelled", version=None)
    data = csv(
        "Номер;Статус;Сумма;Валюта;Телефон;Email;ИНН;Ответственный",
        f"C-1;confirmed;10;;{IVAN};;{VALID_INNS[0]};{await login(org.manager)}",
        "C-2;оплачен;10;;;;;",  # new → paid: through confirmed
        "C-3;потерян;abc;XXX;12;нет;123;",
        f"C-4;new;;;{IVAN};maria@example.test;;",
        "C-9;completed;;;;;;",  # no step leads out of cancelled
        f"C-5;;;;+79990000000;;{VALID_INNS[1]};nobody@example.test",
        "C-6;new;5;usd;;;;",
    )
    report = await run(org.head, data)
    assert actions(report) == [
        (2, "C-1", RowAction.CREATED),
        (3, "C-2", RowAction.CREATED),
        (4, "C-3", RowAction.ERROR),
        (5, "C-4", RowAction.ERROR),
        (6, "C-9", RowAction.ERROR),
        (7, "C-5", RowAction.ERROR),
        (8, "C-6", RowAction.CREATED),
    ]
    assert problems(report) == [
        (4, "status", "invalid_choice"),
        (4, "phone", "invalid_phone"),
        (4, "email", "invalid_email"),
        (4, "inn", "invalid_inn"),
        (5, "email", "client_mismatch"),
        (6, "status", "invalid_transition"),
        (7, "phone", "not_found"),
        (7, "inn", "not_found"),
        (7, "owner", "not_found"),
    ]
    c1 = await Order.get(number="C-1")
    assert (c1.company_id, c1.owner_id, c1.status) == (
        company.id,
        org.manager.user_id,
        OrderStatus.CONFIRMED,
    )
    assert (await Order.get(number="C-6")).currency == "USD"
    c2 = await Order.get(number="C-2")
    assert c2.status is OrderStatus.PAID
    assert await status_steps(c2.id) == ["new", "confirmed", "paid"]
    assert (await Order.get(id=existing.id)).status is OrderStatus.CANCELLED
    assert report.count(RowAction.CREATED) == 3
    assert report.failed == 4


async def test_a_dry_run_reports_what_a_real_run_would_and_writes_nothing(org: Org) -> None:
    await _client(org, IVAN, "ivan@example.test")
    await make_order(org.manager, number="D-1")
    data = csv(
        "number;status;amount;phone",
        f"D-2;confirmed;10;{IVAN}",
        "D-1;confirmed;20;",
        "D-2;paid;;",  # the order row 2 created, as in a real run
        "D-3;shipped;;",
    )
    before = await state()
    dry = await run(org.head, data, dry_run=True)
    assert await state() == before
    assert dry.dry_run
    assert all(o.order_id is None for o in dry.rows if o.action is RowAction.CREATED)
    real = await run(org.head, data)
    assert [(o.row, o.action, o.errors) for o in dry.rows] == [
        (o.row, o.action, o.errors) for o in real.rows
    ]
    assert actions(real) == [
        (2, "D-2", RowAction.CREATED),
        (3, "D-1", RowAction.STATUS_CHANGED),
        (4, "D-2", RowAction.STATUS_CHANGED),
        (5, "D-3", RowAction.CREATED),
    ]
    assert await OutboundMessage.filter(purpose="order_status.paid").count() == 1


async def test_an_order_of_another_office_is_not_found_and_not_touched(org: Org) -> None:
    foreign = await make_order(org.stranger, number="S-1")
    report = await run(org.head, csv("Номер;Статус", "S-1;confirmed"))
    (outcome,) = report.rows
    assert (outcome.action, outcome.order_id) == (RowAction.ERROR, None)
    (error,) = outcome.errors
    assert (error.field, error.code) == ("number", "not_found")
    assert "S-1" not in error.message.ru
    assert (await Order.get(id=foreign.id)).status is OrderStatus.NEW
    mine = await run(org.south_head, csv("Номер;Статус", "S-1;confirmed"))
    assert mine.rows[0].action is RowAction.STATUS_CHANGED


async def test_owners_and_clients_are_limited_to_what_the_head_may_see(org: Org) -> None:
    await make_contact(org.stranger, phones=[MARIA])
    report = await run(
        org.head,
        csv(
            "number;phone;owner",
            f"E-1;{MARIA};",
            f"E-2;;{await login(org.stranger)}",
            f"E-3;;{(await login(org.manager)).upper()}",
        ),
    )
    assert problems(report) == [(2, "phone", "not_found"), (3, "owner", "not_found")]
    assert (await Order.get(number="E-3")).owner_id == org.manager.user_id


async def test_a_phone_two_clients_share_is_ambiguous(org: Org) -> None:
    await make_contact(org.manager, phones=[IVAN])
    await make_contact(org.manager, phones=[IVAN], force=True)
    report = await run(org.admin, csv("number;phone", f"F-1;{IVAN}"))
    assert problems(report) == [(2, "phone", "ambiguous")]


async def test_xlsx_and_cp1251_files_import_alike(org: Org) -> None:
    ivan = await _client(org, IVAN, "ivan@example.test")
    book = Workbook()
    sheet = book.active
    sheet.append(["Номер", "Статус", "Сумма", "Телефон"])
    sheet.append([1001, "Подтверждён", 12990.99, 79161234567])
    out = io.BytesIO()
    book.save(out)
    report = await run(org.head, out.getvalue())
    assert actions(report) == [(2, "1001", RowAction.CREATED)]
    order = await Order.get(number="1001")
    assert (order.amount_minor, order.contact_id, order.status) == (
        1_299_099,
        ivan.id,
        OrderStatus.CONFIRMED,
    )
    legacy = csv("Номер;Статус;Сумма", "1001;Отправлен;12990,99", encoding="cp1251")
    assert actions(await run(org.head, legacy)) == [(2, "1001", RowAction.STATUS_CHANGED)]


async def test_a_manager_may_not_import(org: Org) -> None:
    with pytest.raises(Forbidden):
        await run(org.manager, csv("number", "G-1"))
    assert not await Order.exists()


async def test_a_refused_row_leaves_nothing_for_the_rows_after_it(org: Org) -> None:
    order = await make_order(org.manager, number="Z-1", amount="10")
    order = await change_order_status(org.manager, order.id, "cancelled", version=None)
    report = await run(
        org.head,
        # Row 2 changes the amount, then its status is refused: the amount goes back too, and
        # row 3 still finds the amount to change.
        csv("number;status;amount", "Z-1;completed;20", "Z-1;cancelled;20", "Z-1;;20"),
    )
    assert actions(report) == [
        (2, "Z-1", RowAction.ERROR),
        (3, "Z-1", RowAction.UPDATED),
        (4, "Z-1", RowAction.UNCHANGED),
    ]
    stored = await Order.get(id=order.id)
    assert (stored.status, stored.amount_minor, stored.version) == (
        OrderStatus.CANCELLED,
        2000,
        order.version + 1,
    )
    assert [o.order_id for o in report.rows] == [None, order.id, order.id]


async def test_a_number_no_order_can_have_is_a_row_error_on_every_database(org: Org) -> None:
    report = await run(org.head, csv("number;status", "A\x00B;new", f"{'9' * 65};new", "A-1;new"))
    assert problems(report) == [(2, "number", "invalid_character"), (3, "number", "too_long")]
    assert report.count(RowAction.CREATED) == 1


async def status_steps(order_id: int) -> list[str]:
    changes = await OrderStatusChange.filter(order_id=order_id).order_by("changed_at", "id")
    return [str(c.status) for c in changes]


async def test_a_skipped_step_is_walked_and_the_client_hears_only_where_the_order_ends(
    org: Org,
) -> None:
    ivan = await _client(org, IVAN, "ivan@example.test")
    known = await make_order(org.manager, number="E-1", contact_id=ivan.id)
    await change_order_status(org.manager, known.id, "confirmed", version=None)
    data = csv(
        "number;status;phone;comment",
        "E-1;delivered;;доставлен курьером",  # confirmed → shipped → delivered
        f"E-2;completed;{IVAN};",  # new → confirmed → shipped → delivered → completed
    )
    report = await run(org.head, data)
    assert actions(report) == [
        (2, "E-1", RowAction.STATUS_CHANGED),
        (3, "E-2", RowAction.CREATED),
    ]
    assert await status_steps(known.id) == ["new", "confirmed", "shipped", "delivered"]
    last = await OrderStatusChange.filter(order_id=known.id).order_by("-id").first()
    assert last is not None
    assert last.comment == "доставлен курьером"
    e2 = await Order.get(number="E-2")
    assert await status_steps(e2.id) == ["new", "confirmed", "shipped", "delivered", "completed"]
    told = await OutboundMessage.filter(purpose__startswith="order_status.").order_by("id")
    assert [m.purpose for m in told] == [
        "order_status.confirmed",  # E-1 through the API before the import
        "order_status.delivered",
        "order_status.completed",
    ]


async def test_a_silent_import_loads_past_orders_and_tells_nobody(org: Org) -> None:
    ivan = await _client(org, IVAN, "ivan@example.test")
    known = await make_order(org.manager, number="F-1", contact_id=ivan.id)
    data = csv("number;status;phone", "F-1;paid;", f"F-2;completed;{IVAN}")
    report = await run(org.head, data, notify=False)
    assert report.failed == 0
    assert (await Order.get(id=known.id)).status is OrderStatus.PAID
    assert (await Order.get(number="F-2")).status is OrderStatus.COMPLETED
    assert not await OutboundMessage.filter(purpose__startswith="order_status.").exists()


async def test_rules_on_a_walked_step_tell_the_client_nothing_but_still_run(org: Org) -> None:
    await make_rule(
        entity="order",
        trigger={"on": "field_changed", "field": "status", "to": "shipped"},
        actions=[
            {"do": "send_template", "purpose": "proposal_sent"},
            {"do": "create_task", "title": "Проверить отгрузку"},
        ],
    )
    await _client(org, IVAN, "ivan@example.test")
    report = await run(org.head, csv("number;status;phone", f"G-1;delivered;{IVAN}"))
    assert report.failed == 0
    told = await OutboundMessage.all().values_list("purpose", flat=True)
    assert told == ["order_status.delivered"], "not the rule's message about «shipped»"
    assert await Task.filter(title="Проверить отгрузку").count() == 1, "staff work still done"

    silent = await run(org.head, csv("number;status;phone", f"G-2;shipped;{IVAN}"), notify=False)
    assert silent.failed == 0
    assert await OutboundMessage.all().count() == 1, "a silent import tells nobody anything"


async def test_a_known_order_is_not_held_up_by_columns_it_does_not_read(org: Org) -> None:
    known = await make_order(org.manager, number="K-1")
    data = csv("number;status;phone;inn;owner", "K-1;confirmed;12;123;nobody@example.test")
    report = await run(org.head, data)
    assert actions(report) == [(2, "K-1", RowAction.STATUS_CHANGED)]
    assert (await Order.get(id=known.id)).status is OrderStatus.CONFIRMED
    fresh = await run(org.head, csv("number;status;phone", "K-2;new;12"))
    assert problems(fresh) == [(2, "phone", "invalid_phone")], "a new order reads them all"


async def test_a_status_the_order_has_already_passed_here_changes_nothing(org: Org) -> None:
    ahead = await make_order(org.manager, number="L-1")
    for status in ("confirmed", "shipped", "delivered"):
        await change_order_status(org.manager, ahead.id, status, version=None)
    cancelled = await make_order(org.manager, number="L-2")
    await change_order_status(org.manager, cancelled.id, "cancelled", version=None)
    report = await run(org.head, csv("number;status", "L-1;shipped", "L-2;paid"))
    assert actions(report) == [
        (2, "L-1", RowAction.UNCHANGED),
        (3, "L-2", RowAction.UNCHANGED),
    ]
    assert (await Order.get(id=ahead.id)).status is OrderStatus.DELIVERED
    assert (await Order.get(id=cancelled.id)).status is OrderStatus.CANCELLED
