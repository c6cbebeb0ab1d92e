"""/v1/orders: create, lists, the order with its status history, status changes with If-Match."""

from __future__ import annotations

import httpx
import pytest

from models.entities import Order, OrderStatusChange, User
from tests.api.v1.conftest import PASSWORD, headers_for
from tests.factories import actor_for, make_contact, make_office, make_user


@pytest.fixture
async def manager() -> User:
    return await make_user(await make_office(), password=PASSWORD)


@pytest.fixture
async def headers(client: httpx.AsyncClient, manager: User) -> dict[str, str]:
    return await headers_for(client, manager)


def _if_match(headers: dict[str, str], version: int) -> dict[str, str]:
    return {**headers, "If-Match": f'"{version}"'}


async def _order(client: httpx.AsyncClient, headers: dict[str, str], **body: object) -> dict:
    response = await client.post("/v1/orders", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_create_read_with_history_and_list(
    client: httpx.AsyncClient, headers: dict[str, str], manager: User
) -> None:
    contact = await make_contact(await actor_for(manager))
    created = await client.post(
        "/v1/orders",
        json={"number": "A-1001", "amount": "15 000,5", "contact_id": contact.id},
        headers=headers,
    )
    assert created.status_code == 201
    order = created.json()
    assert created.headers["location"] == f"/v1/orders/{order['id']}"
    assert created.headers["etag"] == '"1"'
    assert (order["number"], order["amount"], order["currency"], order["status"]) == (
        "A-1001",
        "15000.50",
        "RUB",
        "new",
    )
    assert (order["contact_id"], order["owner_id"], order["office_id"]) == (
        contact.id,
        manager.id,
        manager.office_id,
    )
    assert [(h["from_status"], h["status"], h["by_id"]) for h in order["status_history"]] == [
        (None, "new", manager.id)
    ]
    read = await client.get(f"/v1/orders/{order['id']}", headers=headers)
    assert (read.status_code, read.headers["etag"]) == (200, '"1"')
    assert read.json() == order

    other = await _order(client, headers, number="A-1002")
    listed = await client.get("/v1/orders", headers=headers)
    assert [o["id"] for o in listed.json()["items"]] == [other["id"], order["id"]]
    assert "status_history" not in listed.json()["items"][0]
    by_contact = await client.get("/v1/orders", params={"contact_id": contact.id}, headers=headers)
    assert [o["id"] for o in by_contact.json()["items"]] == [order["id"]]
    first = await client.get("/v1/orders", params={"limit": 1, "sort": "number"}, headers=headers)
    rest = await client.get(
        "/v1/orders",
        params={"cursor": first.json()["next_cursor"], "sort": "number"},
        headers=headers,
    )
    assert [o["number"] for o in first.json()["items"] + rest.json()["items"]] == [
        "A-1001",
        "A-1002",
    ]


async def test_bad_input_names_the_fields(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    await _order(client, headers, number="A-1")
    taken = await client.post("/v1/orders", json={"number": "A-1"}, headers=headers)
    assert taken.status_code == 422
    assert taken.json()["errors"][0]["field"] == "number"
    bad = await client.post(
        "/v1/orders",
        json={"amount": "много", "status": "paid", "contact_id": 10**6},
        headers=headers,
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"number", "amount", "status"}
    hidden = await client.post(
        "/v1/orders",
        json={"number": "A-2", "contact_id": 10**6, "currency": "XXX"},
        headers=headers,
    )
    assert {e["field"] for e in hidden.json()["errors"]} == {"contact_id", "currency"}
    assert await Order.all().count() == 1
    listed = await client.get("/v1/orders", params={"status": "lost"}, headers=headers)
    assert listed.status_code == 422
    assert listed.json()["errors"][0]["field"] == "status"


async def test_status_changes_need_the_current_version_and_an_allowed_move(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    order = await _order(client, headers, number="B-7")
    url = f"/v1/orders/{order['id']}/status"
    missing = await client.post(url, json={"status": "confirmed"}, headers=headers)
    assert missing.status_code == 428
    stale = await client.post(url, json={"status": "confirmed"}, headers=_if_match(headers, 3))
    assert stale.status_code == 412
    jump = await client.post(url, json={"status": "delivered"}, headers=_if_match(headers, 1))
    assert jump.status_code == 422
    assert jump.json()["errors"][0]["code"] == "invalid_transition"
    unknown = await client.post(url, json={"status": "lost"}, headers=_if_match(headers, 1))
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "status"
    assert await OrderStatusChange.filter(order_id=order["id"]).count() == 1
    assert (await client.get(f"/v1/orders/{order['id']}", headers=headers)).json() == order

    confirmed = await client.post(
        url,
        json={"status": "confirmed", "comment": "Клиент подтвердил"},
        headers=_if_match(headers, 1),
    )
    assert confirmed.status_code == 200
    assert confirmed.headers["etag"] == '"2"'
    body = confirmed.json()
    assert body["status"] == "confirmed"
    assert [(h["from_status"], h["status"], h["comment"]) for h in body["status_history"]] == [
        (None, "new", ""),
        ("new", "confirmed", "Клиент подтвердил"),
    ]
    listed = await client.get("/v1/orders", params={"status": "confirmed"}, headers=headers)
    assert [o["id"] for o in listed.json()["items"]] == [order["id"]]


async def test_another_offices_manager_gets_404(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    order = await _order(client, headers, number="C-1")
    stranger = await make_user(await make_office(), password=PASSWORD)
    their = await headers_for(client, stranger)
    assert (await client.get(f"/v1/orders/{order['id']}", headers=their)).status_code == 404
    change = await client.post(
        f"/v1/orders/{order['id']}/status",
        json={"status": "cancelled"},
        headers=_if_match(their, 1),
    )
    assert change.status_code == 404
    assert (await client.get("/v1/orders", headers=their)).json()["items"] == []
    assert (await client.get(f"/v1/orders/{order['id']}", headers=headers)).json()[
        "status"
    ] == "new"


async def test_the_spec_publishes_order_statuses(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    operation = spec["paths"]["/v1/orders/{order_id}/status"]["post"]
    assert operation["operationId"] == "changeOrderStatus"
    body = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    status = spec["components"]["schemas"][body.rsplit("/", 1)[-1]]["properties"]["status"]
    assert status == {"$ref": "#/components/schemas/OrderStatus"}
    assert spec["components"]["schemas"]["OrderStatus"]["enum"] == [
        "new",
        "confirmed",
        "paid",
        "shipped",
        "delivered",
        "completed",
        "cancelled",
    ]
    operation_ids = {op["operationId"] for path in spec["paths"].values() for op in path.values()}
    assert {
        "listTasks",
        "createTask",
        "getTask",
        "updateTask",
        "completeTask",
        "cancelTask",
        "snoozeTask",
        "listInteractions",
        "getInteraction",
        "createInteraction",
        "downloadAttachment",
        "listOrders",
        "createOrder",
        "getOrder",
        "changeOrderStatus",
    } <= operation_ids
