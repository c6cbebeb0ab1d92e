"""/v1/leads: scoped lists and cards with ETags, If-Match changes, convert and reject."""

from __future__ import annotations

import httpx
import pytest

from models.entities import Contact, Deal, Lead, LeadStatus, User
from tests.api.v1.staff import Staff, make_staff
from tests.factories import actor_for, make_contact, make_lead, make_pipeline


@pytest.fixture
async def staff(client: httpx.AsyncClient) -> Staff:
    return await make_staff(client)


def _if_match(headers: dict[str, str], version: int) -> dict[str, str]:
    return {**headers, "If-Match": f'"{version}"'}


async def _lead(client: httpx.AsyncClient, headers: dict[str, str], **body: object) -> dict:
    response = await client.post(
        "/v1/leads", json={"title": "Заявка с сайта", **body}, headers=headers
    )
    assert response.status_code == 201, response.text
    return response.json()


async def test_create_normalises_and_reads_back_with_an_etag(
    client: httpx.AsyncClient, staff: Staff
) -> None:
    headers = await staff.headers(staff.manager)
    created = await client.post(
        "/v1/leads",
        json={
            "title": " Станки ",
            "person_name": "Петров Иван",
            "phone": "8 916 555-12-34",
            "email": "Ivan@Mail.TEST",
            "inn": "7707083893",
        },
        headers=headers,
    )
    assert created.status_code == 201
    body = created.json()
    assert (body["title"], body["phone"], body["email"], body["status"]) == (
        "Станки",
        "+79165551234",
        "ivan@mail.test",
        "new",
    )
    assert (body["owner_id"], body["office_id"], body["version"]) == (
        staff.manager.id,
        staff.north.id,
        1,
    )
    assert created.headers["etag"] == '"1"'
    card = await client.get(created.headers["location"], headers=headers)
    assert card.json() == body
    assert card.headers["etag"] == '"1"'


async def test_bad_and_server_owned_input_is_refused(
    client: httpx.AsyncClient, staff: Staff
) -> None:
    headers = await staff.headers(staff.manager)
    bad = await client.post(
        "/v1/leads",
        json={"title": "x", "phone": "12", "inn": "1234567890", "source_id": 99999},
        headers=headers,
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"phone", "inn", "source_id"}
    for owned in ({"status": "converted"}, {"version": 7}, {"office_id": staff.south.id}):
        refused = await client.post("/v1/leads", json={"title": "x", **owned}, headers=headers)
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["field"] == next(iter(owned))
    someone_else = await client.post(
        "/v1/leads", json={"title": "x", "owner_id": staff.stranger.id}, headers=headers
    )
    assert someone_else.status_code == 422
    assert someone_else.json()["errors"][0]["field"] == "owner_id"
    assert await Lead.all().count() == 0


async def test_visibility_and_filters(client: httpx.AsyncClient, staff: Staff) -> None:
    mine = await make_lead(await actor_for(staff.manager), title="Опт станков")
    deep = await make_lead(await actor_for(staff.deep), title="Опт фрез")
    south = await make_lead(await actor_for(staff.stranger), title="Опт гаек")
    await Lead.filter(id=deep.id).update(status=LeadStatus.IN_PROGRESS)

    async def ids(user: User, **params: object) -> list[int]:
        response = await client.get(
            "/v1/leads",
            params={"sort": "id", **params},
            headers=await staff.headers(user),
        )
        assert response.status_code == 200, response.text
        return [lead["id"] for lead in response.json()["items"]]

    assert await ids(staff.manager) == [mine.id]
    assert await ids(staff.head) == [mine.id, deep.id]
    assert await ids(staff.head, office_id=staff.department.id) == [deep.id]
    assert await ids(staff.head, status="in_progress") == [deep.id]
    assert await ids(staff.head, owner_id=staff.manager.id) == [mine.id]
    # Same case on purpose: SQLite's LIKE folds ASCII letters only (see models/queries/leads.py).
    assert await ids(staff.head, q="Опт  ст") == [mine.id]
    assert await ids(staff.admin) == [mine.id, deep.id, south.id]
    assert await ids(staff.admin, updated_since="2999-01-01T00:00:00Z") == []
    first = (
        await client.get(
            "/v1/leads", params={"limit": 2, "sort": "id"}, headers=await staff.headers(staff.admin)
        )
    ).json()
    rest = (
        await client.get(
            "/v1/leads",
            params={"limit": 2, "sort": "id", "cursor": first["next_cursor"]},
            headers=await staff.headers(staff.admin),
        )
    ).json()
    assert [lead["id"] for lead in first["items"] + rest["items"]] == [mine.id, deep.id, south.id]
    assert rest["next_cursor"] is None

    manager = await staff.headers(staff.manager)
    for lead in (south, deep):
        url = f"/v1/leads/{lead.id}"
        assert (await client.get(url, headers=manager)).status_code == 404
        patched = await client.patch(url, json={"title": "x"}, headers=_if_match(manager, 1))
        assert patched.status_code == 404
        rejected = await client.post(f"{url}/reject", headers=_if_match(manager, 1))
        assert rejected.status_code == 404
        converted = await client.post(f"{url}/convert", json={}, headers=_if_match(manager, 1))
        assert converted.status_code == 404
    assert await Lead.filter(status=LeadStatus.REJECTED).count() == 0


async def test_patch_needs_the_current_version(client: httpx.AsyncClient, staff: Staff) -> None:
    headers = await staff.headers(staff.manager)
    lead = await _lead(client, headers)
    url = f"/v1/leads/{lead['id']}"
    assert (await client.patch(url, json={"title": "Новое"}, headers=headers)).status_code == 428
    changed = await client.patch(
        url, json={"title": "Новое", "notes": "Перезвонить"}, headers=_if_match(headers, 1)
    )
    assert changed.status_code == 200
    assert changed.headers["etag"] == '"2"'
    stale = await client.patch(url, json={"title": "Старое"}, headers=_if_match(headers, 1))
    assert stale.status_code == 412
    assert (await client.get(url, headers=headers)).json()["title"] == "Новое"


async def test_convert_makes_contact_company_and_deal(
    client: httpx.AsyncClient, staff: Staff
) -> None:
    pipeline = await make_pipeline()
    headers = await staff.headers(staff.manager)
    lead = await _lead(
        client,
        headers,
        person_name="Сидоров Пётр Ильич",
        company_name="ООО Вектор",
        inn="7707083893",
        phone="+79160000001",
    )
    url = f"/v1/leads/{lead['id']}/convert"
    assert (await client.post(url, json={}, headers=headers)).status_code == 428
    converted = await client.post(url, json={}, headers=_if_match(headers, 1))
    assert converted.status_code == 200, converted.text
    body = converted.json()
    assert body["status"] == "converted"
    assert converted.headers["etag"] == '"2"'
    contact = await Contact.get(id=body["converted_contact_id"])
    assert (contact.last_name, contact.first_name, contact.company_id) == (
        "Сидоров",
        "Пётр",
        body["converted_company_id"],
    )
    deal = await Deal.get(id=body["converted_deal_id"])
    assert (deal.pipeline_id, deal.contact_id, deal.owner_id) == (
        pipeline.id,
        contact.id,
        staff.manager.id,
    )
    again = await client.post(url, json={}, headers=_if_match(headers, 2))
    assert again.status_code == 422
    assert again.json()["errors"][0]["field"] == "status"


async def test_duplicates_stop_conversion_until_linked_or_forced(
    client: httpx.AsyncClient, staff: Staff
) -> None:
    await make_pipeline()
    existing = await make_contact(await actor_for(staff.manager), phones=["+79160000002"])
    headers = await staff.headers(staff.manager)
    lead = await _lead(client, headers, person_name="Иван", phone="+79160000002")
    url = f"/v1/leads/{lead['id']}/convert"
    conflict = await client.post(url, json={"create_deal": False}, headers=_if_match(headers, 1))
    assert conflict.status_code == 409
    assert [c["id"] for c in conflict.json()["candidates"]] == [existing.id]
    assert (await Lead.get(id=lead["id"])).status is LeadStatus.NEW
    assert await Contact.all().count() == 1

    linked = await client.post(
        url, json={"contact_id": existing.id, "create_deal": False}, headers=_if_match(headers, 1)
    )
    assert linked.status_code == 200
    assert (linked.json()["converted_contact_id"], linked.json()["converted_deal_id"]) == (
        existing.id,
        None,
    )

    other = await _lead(client, headers, person_name="Иван", phone="+79160000002")
    forced = await client.post(
        f"/v1/leads/{other['id']}/convert",
        json={"force": True, "create_deal": False},
        headers=_if_match(headers, 1),
    )
    assert forced.status_code == 200
    assert forced.json()["converted_contact_id"] != existing.id
    unknown = await client.post(
        f"/v1/leads/{other['id']}/convert", json={"contact": 1}, headers=_if_match(headers, 2)
    )
    assert unknown.status_code == 422


async def test_reject_closes_the_lead(client: httpx.AsyncClient, staff: Staff) -> None:
    headers = await staff.headers(staff.manager)
    lead = await _lead(client, headers)
    url = f"/v1/leads/{lead['id']}"
    assert (await client.post(f"{url}/reject", headers=_if_match(headers, 3))).status_code == 412
    rejected = await client.post(f"{url}/reject", headers=_if_match(headers, 1))
    assert rejected.status_code == 200
    assert rejected.json()["status"] == "rejected"
    closed = await client.patch(url, json={"title": "x"}, headers=_if_match(headers, 2))
    assert closed.status_code == 422
    assert closed.json()["errors"][0]["field"] == "status"
    head = await staff.headers(staff.head)
    listed = await client.get("/v1/leads", params={"status": "rejected"}, headers=head)
    assert [item["id"] for item in listed.json()["items"]] == [lead["id"]]
