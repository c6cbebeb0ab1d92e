"""POST /v1/orders/import: a head or an admin uploads a CSV or XLSX file and gets the report;
a manager gets 403, a file that cannot be read a 422 naming `file`, a dry run writes nothing."""

from __future__ import annotations

import io
from collections.abc import Iterator

import httpx
import pytest
from openpyxl import Workbook

from api.v1 import orders as orders_route
from models.channels import use_channels
from models.entities import Channel, Order, OrderStatus, OutboundMessage
from models.ops.templates import install_default_templates
from tests.api.v1.staff import Staff, make_staff
from tests.factories import actor_for, make_contact, make_order

CSV = "text/csv"


@pytest.fixture
async def staff(client: httpx.AsyncClient) -> Staff:
    await install_default_templates()
    return await make_staff(client)


@pytest.fixture(autouse=True)
def email_configured() -> Iterator[None]:
    with use_channels({Channel.EMAIL}):
        yield


def upload(data: bytes, name: str = "orders.csv", kind: str = CSV) -> dict:
    return {"file": (name, data, kind)}


async def test_a_head_imports_a_file_and_reads_the_report(staff: Staff) -> None:
    ivan = await make_contact(
        await actor_for(staff.manager),
        phones=["+79161234567"],
        emails=["ivan@example.test"],
        preferred_channels=["email"],
    )
    foreign = await make_order(await actor_for(staff.stranger), number="S-1")
    data = (
        "Номер;Статус;Сумма;Телефон\r\n"
        "A-1;Подтверждён;1 500,50;8 916 123-45-67\r\n"
        "S-1;confirmed;;\r\n"
        "A-2;потерян;;\r\n"
    ).encode("cp1251")
    headers = {**await staff.headers(staff.head), "Accept-Language": "en"}
    response = await staff.client.post("/v1/orders/import", files=upload(data), headers=headers)
    assert response.status_code == 200, response.text
    order = await Order.get(number="A-1")
    assert response.json() == {
        "dry_run": False,
        "created": 1,
        "status_changed": 0,
        "updated": 0,
        "unchanged": 0,
        "failed": 2,
        "rows": [
            {"row": 2, "number": "A-1", "action": "created", "order_id": order.id},
            {"row": 3, "number": "S-1", "action": "error", "order_id": None},
            {"row": 4, "number": "A-2", "action": "error", "order_id": None},
        ],
        "errors": [
            {
                "row": 3,
                "field": "number",
                "column": "Номер",
                "code": "not_found",
                "message": "No order with this number, or it is not accessible.",
            },
            {
                "row": 4,
                "field": "status",
                "column": "Статус",
                "code": "invalid_choice",
                "message": "Unknown status “потерян”. Use one of: new, confirmed, paid, "
                "shipped, delivered, completed, cancelled.",
            },
        ],
    }
    assert (order.status, order.amount_minor, order.contact_id) == (
        OrderStatus.CONFIRMED,
        150_050,
        ivan.id,
    )
    assert (await Order.get(id=foreign.id)).status is OrderStatus.NEW
    (message,) = await OutboundMessage.all()
    assert (message.purpose, message.contact_id) == ("order_status.confirmed", ivan.id)

    again = await staff.client.post("/v1/orders/import", files=upload(data), headers=headers)
    assert (again.json()["unchanged"], again.json()["created"]) == (1, 0)
    assert await OutboundMessage.all().count() == 1


async def test_a_dry_run_of_an_xlsx_file_writes_nothing(staff: Staff) -> None:
    book = Workbook()
    book.active.append(["number", "status", "amount"])
    book.active.append(["X-1", "new", 10])
    out = io.BytesIO()
    book.save(out)
    kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = await staff.client.post(
        "/v1/orders/import",
        params={"dry_run": "true"},
        files=upload(out.getvalue(), "orders.xlsx", kind),
        headers=await staff.headers(staff.admin),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["dry_run"], body["created"], body["rows"][0]["order_id"]) == (True, 1, None)
    assert not await Order.exists()


async def test_past_orders_load_without_telling_their_clients(staff: Staff) -> None:
    await make_contact(
        await actor_for(staff.manager), phones=["+79161234567"], preferred_channels=["email"]
    )
    data = b"number;status;phone\r\nP-1;completed;+79161234567\r\n"
    response = await staff.client.post(
        "/v1/orders/import",
        params={"notify": "false"},
        files=upload(data),
        headers=await staff.headers(staff.head),
    )
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 1
    assert (await Order.get(number="P-1")).status is OrderStatus.COMPLETED
    assert not await OutboundMessage.exists()


async def test_a_manager_is_refused_before_the_file_is_read(staff: Staff) -> None:
    response = await staff.client.post(
        "/v1/orders/import",
        files=upload(b"not a table at all"),
        headers=await staff.headers(staff.manager),
    )
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "forbidden"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty_file"),
        ("Склад;Статус\nМосква;новый\n".encode(), "unknown_columns"),
        (b"PK\x03\x04broken", "unreadable"),
    ],
)
async def test_a_file_that_cannot_be_read_is_a_422_naming_file(
    staff: Staff, data: bytes, code: str
) -> None:
    response = await staff.client.post(
        "/v1/orders/import", files=upload(data), headers=await staff.headers(staff.head)
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert [(e["field"], e["code"]) for e in errors][:1] == [("file", code)]
    assert not await Order.exists()


async def test_no_file_and_too_large_a_file(staff: Staff, monkeypatch: pytest.MonkeyPatch) -> None:
    headers = await staff.headers(staff.head)
    missing = await staff.client.post("/v1/orders/import", data={"other": "x"}, headers=headers)
    assert missing.status_code == 422
    assert [e["field"] for e in missing.json()["errors"]] == ["file"]
    monkeypatch.setattr(orders_route, "MAX_FILE_BYTES", 16)
    large = await staff.client.post(
        "/v1/orders/import", files=upload(b"number\n" + b"1\n" * 10), headers=headers
    )
    assert large.status_code == 413
    assert large.json()["code"] == "too_large"


async def test_other_methods_on_the_import_path_are_405_not_an_order_id(staff: Staff) -> None:
    headers = await staff.headers(staff.head)
    for method in ("GET", "PUT", "DELETE"):
        response = await staff.client.request(method, "/v1/orders/import", headers=headers)
        assert response.status_code == 405, (method, response.text)
        assert response.headers["allow"] == "POST"
    order = await make_order(await actor_for(staff.head), number="A-1")
    assert (await staff.client.get(f"/v1/orders/{order.id}", headers=headers)).status_code == 200
    other = await staff.client.request("PUT", f"/v1/orders/{order.id}", headers=headers)
    assert (other.status_code, other.headers["allow"]) == (405, "GET, HEAD")
