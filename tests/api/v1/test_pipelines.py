"""/v1/pipelines and /v1/stages: everyone reads the sales process; only admins change it."""

from __future__ import annotations

import httpx
import pytest

from models.entities import AuditEntry, Pipeline, Stage
from tests.api.v1.staff import Staff, make_staff
from tests.factories import actor_for, make_deal, make_pipeline

STAGES = [
    {"name": "Новая", "probability": 10, "planned_days": 2},
    {"name": "КП", "probability": 50, "required_fields": ["amount", "contact_id"]},
    {"name": "Успешно", "kind": "won", "probability": 100},
    {"name": "Проиграна", "kind": "lost"},
]


@pytest.fixture
async def staff(client: httpx.AsyncClient) -> Staff:
    return await make_staff(client)


async def _create(client: httpx.AsyncClient, headers: dict[str, str], **body: object) -> dict:
    response = await client.post(
        "/v1/pipelines", json={"name": "Опт", "stages": STAGES, **body}, headers=headers
    )
    assert response.status_code == 201, response.text
    return response.json()


async def test_admin_creates_a_pipeline_everyone_reads(
    client: httpx.AsyncClient, staff: Staff
) -> None:
    admin = await staff.headers(staff.admin)
    created = await _create(client, admin)
    assert created["is_default"] is True  # the first pipeline
    assert [(s["name"], s["kind"], s["position"]) for s in created["stages"]] == [
        ("Новая", "open", 0),
        ("КП", "open", 1),
        ("Успешно", "won", 2),
        ("Проиграна", "lost", 3),
    ]
    assert created["stages"][1]["required_fields"] == ["amount", "contact_id"]
    manager = await staff.headers(staff.stranger)
    listed = (await client.get("/v1/pipelines", headers=manager)).json()
    assert listed == {"items": [created], "next_cursor": None}
    one = await client.get(f"/v1/pipelines/{created['id']}", headers=manager)
    assert one.json() == created
    assert (await client.get("/v1/pipelines/99999", headers=manager)).status_code == 404
    audited = await AuditEntry.filter(entity="stage", action="create")
    assert {a.entity_id for a in audited} == {s["id"] for s in created["stages"]}


async def test_other_roles_get_403_on_every_write(client: httpx.AsyncClient, staff: Staff) -> None:
    pipeline = await make_pipeline()
    stage = await Stage.filter(pipeline_id=pipeline.id).first()
    assert stage is not None
    for user in (staff.head, staff.manager):
        headers = await staff.headers(user)
        writes = [
            await client.post(
                "/v1/pipelines", json={"name": "x", "stages": STAGES}, headers=headers
            ),
            await client.patch(f"/v1/pipelines/{pipeline.id}", json={"name": "x"}, headers=headers),
            await client.post(
                f"/v1/pipelines/{pipeline.id}/stages", json={"name": "x"}, headers=headers
            ),
            await client.patch(f"/v1/stages/{stage.id}", json={"name": "x"}, headers=headers),
        ]
        assert [w.status_code for w in writes] == [403, 403, 403, 403]
    assert await Pipeline.all().count() == 1
    assert not await Stage.filter(name="x").exists()


async def test_stage_rules_are_named_fields(client: httpx.AsyncClient, staff: Staff) -> None:
    admin = await staff.headers(staff.admin)
    unknown = await client.post(
        "/v1/pipelines",
        json={"name": "Опт", "stages": [{"name": "A", "required_fields": ["amount", "colour"]}]},
        headers=admin,
    )
    assert unknown.status_code == 422
    assert [e["field"] for e in unknown.json()["errors"]] == ["stages.0.required_fields.1"]
    closed_only = await client.post(
        "/v1/pipelines",
        json={
            "name": "Опт",
            "stages": [{"name": "W", "kind": "won"}, {"name": "W2", "kind": "won"}],
        },
        headers=admin,
    )
    assert closed_only.status_code == 422
    assert {e["code"] for e in closed_only.json()["errors"]} == {
        "no_open_stage",
        "second_won_stage",
    }
    created = await _create(client, admin)
    second_won = await client.post(
        f"/v1/pipelines/{created['id']}/stages", json={"name": "Ещё", "kind": "won"}, headers=admin
    )
    assert second_won.status_code == 422
    assert second_won.json()["errors"][0]["field"] == "kind"
    added = await client.post(
        f"/v1/pipelines/{created['id']}/stages",
        json={"name": "Договор", "required_fields": ["deadline"], "probability": 80},
        headers=admin,
    )
    assert added.status_code == 201
    assert added.json()["position"] == 4
    bad = await client.patch(
        f"/v1/stages/{added.json()['id']}",
        json={"required_fields": ["nonsense"], "probability": 101},
        headers=admin,
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"probability"}
    unknown_field = await client.patch(
        f"/v1/stages/{added.json()['id']}", json={"required_fields": ["nonsense"]}, headers=admin
    )
    assert unknown_field.status_code == 422
    assert unknown_field.json()["errors"][0]["field"] == "required_fields.0"
    server_owned = await client.patch(
        f"/v1/stages/{added.json()['id']}", json={"pipeline_id": 1}, headers=admin
    )
    assert server_owned.status_code == 422


async def test_a_pipeline_keeps_an_open_stage_and_busy_stages_keep_their_kind(
    client: httpx.AsyncClient, staff: Staff
) -> None:
    admin = await staff.headers(staff.admin)
    created = await client.post(
        "/v1/pipelines",
        json={
            "name": "Один",
            "stages": [{"name": "Единственный"}, {"name": "Итог", "kind": "lost"}],
        },
        headers=admin,
    )
    only_open = created.json()["stages"][0]
    refused = await client.patch(
        f"/v1/stages/{only_open['id']}", json={"kind": "won"}, headers=admin
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["code"] == "no_open_stage"

    pipeline = await make_pipeline(is_default=False)
    first = await Stage.get(pipeline_id=pipeline.id, position=0)
    await make_deal(await actor_for(staff.manager), pipeline_id=pipeline.id)
    busy = await client.patch(f"/v1/stages/{first.id}", json={"kind": "lost"}, headers=admin)
    assert busy.status_code == 422
    assert busy.json()["errors"][0]["code"] == "stage_in_use"
    renamed = await client.patch(
        f"/v1/stages/{first.id}",
        json={"name": "Первичный контакт", "planned_days": None, "position": 7},
        headers=admin,
    )
    assert renamed.status_code == 200
    assert (renamed.json()["name"], renamed.json()["planned_days"]) == ("Первичный контакт", None)
    stages = (await client.get(f"/v1/pipelines/{pipeline.id}", headers=admin)).json()["stages"]
    assert stages[-1]["id"] == first.id


async def test_one_default_pipeline_and_unique_names(
    client: httpx.AsyncClient, staff: Staff
) -> None:
    admin = await staff.headers(staff.admin)
    first = await _create(client, admin)
    second = await _create(client, admin, name="Розница", is_default=True)
    assert second["is_default"] is True
    listed = (await client.get("/v1/pipelines", headers=admin)).json()["items"]
    assert [p["is_default"] for p in listed] == [False, True]
    clear = await client.patch(
        f"/v1/pipelines/{second['id']}", json={"is_default": False}, headers=admin
    )
    assert clear.status_code == 422
    assert clear.json()["errors"][0]["field"] == "is_default"
    back = await client.patch(
        f"/v1/pipelines/{first['id']}",
        json={"is_default": True, "stale_after_days": 30},
        headers=admin,
    )
    assert (back.json()["is_default"], back.json()["stale_after_days"]) == (True, 30)
    assert await Pipeline.filter(is_default=True).count() == 1
    taken = await client.post(
        "/v1/pipelines", json={"name": "розница", "stages": STAGES}, headers=admin
    )
    assert taken.status_code == 422
    assert taken.json()["errors"][0] == {
        "field": "name",
        "code": "taken",
        "message": "Такое название уже есть.",
    }
