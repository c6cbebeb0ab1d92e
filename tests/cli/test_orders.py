"""`voronka orders import FILE --as LOGIN [--dry-run]`: the counts and one line per row error in
the user's language; exit status 1 when a row failed, 2 when the file cannot be read."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from cli import orders as orders_cli
from cli.orders import ImportRefused, exit_status, import_file, render
from models.channels import use_channels
from models.entities import Channel, Order, OrderStatus, OutboundMessage, User
from models.ops.order_import import RowAction
from models.ops.templates import install_default_templates
from tests.cli.conftest import Voronka
from tests.factories import Org, make_contact, make_org


@pytest.fixture
async def org(db: str) -> Org:
    made = await make_org()
    await install_default_templates()
    return made


async def _login(org: Org, who: str) -> str:
    return (await User.get(id=getattr(org, who).user_id)).email


async def test_import_prints_counts_and_each_error_with_the_files_column(
    org: Org, tmp_path: Path
) -> None:
    ivan = await make_contact(
        org.manager,
        phones=["+79161234567"],
        emails=["ivan@example.test"],
        preferred_channels=["email"],
    )
    path = tmp_path / "заказы.csv"
    path.write_bytes(
        "Номер;Статус;Сумма;Телефон\r\n"
        "A-1;Подтверждён;1500;+79161234567\r\n"
        "A-2;оплачен;10;\r\n"
        "A-3;;x;\r\n".encode("cp1251")
    )
    head = await _login(org, "head")
    with use_channels({Channel.EMAIL}):
        dry = await import_file(path, head, dry_run=True)
        assert not await Order.exists()
        done = await import_file(path, head, dry_run=False)
    expected = [
        "Создано: 2",
        "Статус изменён: 0",
        "Обновлено: 0",
        "Без изменений: 0",
        "Ошибок: 1",
        "строка 4, Сумма: Сумма должна быть числом.",
    ]
    assert render(dry) == [*expected, "Ничего не записано (--dry-run)."]
    assert render(done) == expected
    assert exit_status(done) == 1
    order = await Order.get(number="A-1")
    assert (order.status, order.contact_id) == (OrderStatus.CONFIRMED, ivan.id)
    assert (await Order.get(number="A-2")).status is OrderStatus.PAID, "through «confirmed»"
    assert await OutboundMessage.filter(purpose="order_status.confirmed").count() == 1

    await User.filter(id=org.head.user_id).update(language="en")
    path.write_bytes("Номер;Статус\r\nA-1;подтверждён\r\n".encode("cp1251"))
    again = await import_file(path, head, dry_run=False)
    assert render(again) == [
        "Created: 0",
        "Status changed: 0",
        "Updated: 0",
        "Unchanged: 1",
        "Errors: 0",
    ]
    assert exit_status(again) == 0


async def test_rows_of_one_order_stay_in_one_batch_in_dry_and_real_runs(
    org: Org, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(orders_cli, "BATCH_ROWS", 1)
    path = tmp_path / "orders.csv"
    path.write_text(
        "number,status\nA-1,new\nA-1,confirmed\nA-2,new\nA-3,paid\nA-2,cancelled\nA-4,new\n",
        encoding="utf-8",
    )
    head = await _login(org, "head")
    dry = await import_file(path, head, dry_run=True)
    real = await import_file(path, head, dry_run=False)
    # Batches, [A-2, A-3, A-2], [A-4].
    expected = [
        RowAction.CREATED,
        RowAction.STATUS_CHANGED,
        RowAction.CREATED,
        RowAction.CREATED,
        RowAction.STATUS_CHANGED,
        RowAction.CREATED,
    ]
    assert [o.action for o in dry.report.rows] == expected
    assert [o.action for o in real.report.rows] == expected
    assert {o.number: o.status for o in await Order.all()} == {
        "A-1": OrderStatus.CONFIRMED,
        "A-2": OrderStatus.CANCELLED,
        "A-3": OrderStatus.PAID,
        "A-4": OrderStatus.NEW,
    }


async def test_a_file_that_cannot_be_read_and_a_manager_are_refused(
    org: Org, tmp_path: Path
) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("Склад;Статус\nМосква;новый\n", encoding="utf-8")
    with pytest.raises(ImportRefused) as raised:
        await import_file(path, await _login(org, "head"), dry_run=False)
    assert raised.value.lines == [
        "orders.csv: Неизвестные столбцы: «Склад». Допустимы: «Номер», «Статус», «Сумма», "
        "«Валюта», «Телефон», «Email», «ИНН», «Сделка», «Ответственный», «Комментарий».",
        "orders.csv: Нет столбца с номером заказа («Номер» или “number”).",
    ]
    with pytest.raises(ImportRefused) as refused:
        await import_file(path, await _login(org, "manager"), dry_run=False)
    assert refused.value.lines == ["Недостаточно прав."]


def test_voronka_orders_import(voronka: Voronka, tmp_path: Path) -> None:
    created = voronka(
        "createuser", "--email", "head@example.test", "--name", "Head", "--role", "head",
        "--password", "correct-horse-battery", "--language", "en",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    good = tmp_path / "orders.xlsx"
    book = Workbook()
    book.active.append(["number", "status", "amount"])
    book.active.append(["A-1", "confirmed", 1500.5])
    book.active.append(["A-2", "shipped", 10])
    book.save(good)
    first = voronka("orders", "import", str(good), "--as", "head@example.test", "--silent")
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines() == [
        "Created: 2",
        "Status changed: 0",
        "Updated: 0",
        "Unchanged: 0",
        "Errors: 0",
    ]
    book.active.append(["A-3", "completed", 10])
    book.active.append(["A-3", "cancelled", 10])
    book.save(good)
    back = voronka("orders", "import", str(good), "--as", "head@example.test")
    assert back.returncode == 1, back.stderr
    assert back.stdout.splitlines()[-1] == (
        "row 5, status: From “completed” the order can only go to: —."
    )
    book.active.delete_rows(4, 2)
    book.save(good)
    again = voronka("orders", "import", str(good), "--as", "head@example.test", "--dry-run")
    assert again.returncode == 0, again.stderr
    assert "Unchanged: 2" in again.stdout
    assert again.stdout.strip().endswith("Nothing was written (--dry-run).")

    bad = tmp_path / "orders.csv"
    bad.write_bytes(b"")
    empty = voronka("orders", "import", str(bad), "--as", "head@example.test")
    assert (empty.returncode, empty.stdout) == (2, "")
    assert empty.stderr.strip() == "voronka: orders.csv: The file is empty."
    missing = voronka("orders", "import", "nope.csv", "--as", "head@example.test")
    assert missing.returncode == 2
    assert missing.stderr.strip() == "voronka: nope.csv: No such file or directory"
    nobody = voronka("orders", "import", str(good), "--as", "x@example.test", VORONKA_LANGUAGE="en")
    assert nobody.returncode == 2
    assert nobody.stderr.strip() == "voronka: --as: No active user has this email or phone."
