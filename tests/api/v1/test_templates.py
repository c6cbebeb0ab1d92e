"""/v1/templates: admins write checked templates and preview them; nobody else gets in."""

from __future__ import annotations

import httpx
import pytest

from models.entities import Template
from models.ops.templates import install_default_templates
from tests.api.v1.staff import Staff, make_staff
from tests.factories import actor_for, make_contact, make_order


@pytest.fixture
async def staff(client: httpx.AsyncClient) -> Staff:
    return await make_staff(client)


SMS = {
    "purpose": "thanks_after_call",
    "channel": "sms",
    "language": "ru",
    "body": "{{ client.first_name }}, спасибо за разговор!",
}


async def test_an_admin_creates_reads_updates_and_deletes(staff: Staff) -> None:
    admin = await staff.headers(staff.admin)
    created = await staff.client.post("/v1/templates", json=SMS, headers=admin)
    assert created.status_code == 201, created.text
    template = created.json()
    assert created.headers["Location"] == f"/v1/templates/{template['id']}"
    assert created.headers["ETag"] == '"1"'
    assert template["sms"] == {"encoding": "ucs2", "units": 22, "segments": 1}
    assert template["consent_purpose"] == "service"

    path = f"/v1/templates/{template['id']}"
    read = await staff.client.get(path, headers=admin)
    assert read.json() == template
    stale = await staff.client.patch(
        path, json={"is_active": False}, headers={**admin, "If-Match": '"0"'}
    )
    assert stale.status_code == 412
    missing = await staff.client.patch(path, json={"is_active": False}, headers=admin)
    assert missing.status_code == 428
    changed = await staff.client.patch(
        path, json={"is_active": False}, headers={**admin, "If-Match": '"1"'}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["is_active"] is False
    assert changed.headers["ETag"] == '"2"'
    listed = await staff.client.get("/v1/templates?active=false", headers=admin)
    assert [t["id"] for t in listed.json()["items"]] == [template["id"]]
    deleted = await staff.client.delete(path, headers=admin)
    assert deleted.status_code == 204
    assert (await staff.client.get(path, headers=admin)).status_code == 404


async def test_a_bad_template_is_a_422_naming_line_and_variable(staff: Staff) -> None:
    admin = await staff.headers(staff.admin)
    response = await staff.client.post(
        "/v1/templates",
        json={**SMS, "body": "Привет!\n{{ client.phone }}"},
        headers={**admin, "Accept-Language": "ru"},
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    [error] = response.json()["errors"]
    assert (error["field"], error["code"]) == ("body", "unknown_variable")
    assert error["message"].startswith("Строка 2: неизвестная переменная «client.phone»")
    english = await staff.client.post(
        "/v1/templates",
        json={**SMS, "body": "{% for %}"},
        headers={**admin, "Accept-Language": "en"},
    )
    [error] = english.json()["errors"]
    assert error["code"] == "template_syntax"
    assert error["message"].startswith("Line 1: template error")


async def test_a_preview_renders_for_a_client(staff: Staff) -> None:
    await install_default_templates()
    manager = await actor_for(staff.manager)
    contact = await make_contact(manager, first_name="Анна")
    order = await make_order(manager, contact_id=contact.id, number="З-5")
    template = await Template.get(purpose="order_status.shipped", channel="telegram", language="ru")
    response = await staff.client.post(
        f"/v1/templates/{template.id}/preview",
        json={"contact_id": contact.id, "order_id": order.id},
        headers=await staff.headers(staff.admin),
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "template_id": template.id,
        "channel": "telegram",
        "language": "ru",
        "subject": "",
        "body": "<b>Заказ №\u00a0З-5 отправлен</b>\n\nВаш заказ №\u00a0З-5 отправлен. "
        "Напишем, когда он будет доставлен.",
        "text_body": "",
        "content_variables": {},
        "sms": None,
    }


async def test_only_admins_see_templates(staff: Staff) -> None:
    await install_default_templates()
    for user in (staff.head, staff.manager):
        headers = await staff.headers(user)
        for response in (
            await staff.client.get("/v1/templates", headers=headers),
            await staff.client.post("/v1/templates", json=SMS, headers=headers),
        ):
            assert response.status_code == 403, response.text
    page = await staff.client.get(
        "/v1/templates?channel=email&language=en&limit=3", headers=await staff.headers(staff.admin)
    )
    body = page.json()
    assert len(body["items"]) == 3
    assert body["next_cursor"]
    assert {(t["channel"], t["language"]) for t in body["items"]} == {("email", "en")}


WHATSAPP = {
    "purpose": "order_status.shipped",
    "channel": "whatsapp",
    "language": "ru",
    "body": "Заказ {{ order.number }} отправлен",
    "content_sid": "HX" + "0123456789abcdef" * 2,
}


async def test_content_variables_are_saved_checked_and_previewed(staff: Staff) -> None:
    admin = await staff.headers(staff.admin)
    bad = await staff.client.post(
        "/v1/templates",
        json={**WHATSAPP, "content_variables": {"1": "client.first_name", "2": "order.numbr"}},
        headers={**admin, "Accept-Language": "en"},
    )
    assert bad.status_code == 422
    [error] = bad.json()["errors"]
    assert (error["field"], error["code"]) == ("content_variables.2", "unknown_variable")
    assert error["message"].startswith("Line 1: unknown variable “order.numbr”")
    no_sid = await staff.client.post(
        "/v1/templates",
        json={**WHATSAPP, "content_sid": None, "content_variables": {"1": "order.number"}},
        headers=admin,
    )
    assert no_sid.status_code == 422
    assert [e["field"] for e in no_sid.json()["errors"]] == ["content_variables"]

    variables = {"1": "client.first_name", "2": "order.number"}
    created = await staff.client.post(
        "/v1/templates", json={**WHATSAPP, "content_variables": variables}, headers=admin
    )
    assert created.status_code == 201, created.text
    assert created.json()["content_variables"] == variables
    manager = await actor_for(staff.manager)
    contact = await make_contact(manager, first_name="Фёдор")
    order = await make_order(manager, contact_id=contact.id, number="З-5")
    preview = await staff.client.post(
        f"/v1/templates/{created.json()['id']}/preview",
        json={"contact_id": contact.id, "order_id": order.id},
        headers=admin,
    )
    assert preview.status_code == 200, preview.text
    assert preview.json()["content_variables"] == {"1": "Фёдор", "2": "З-5"}

    path = f"/v1/templates/{created.json()['id']}"
    cleared = await staff.client.patch(
        path, json={"content_variables": None}, headers={**admin, "If-Match": '"1"'}
    )
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["content_variables"] == {}
