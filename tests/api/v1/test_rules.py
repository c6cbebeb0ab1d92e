"""/v1/rules: admins write checked rules, read their runs and dry-run them; a bad rule is a 422
naming the path in the reader's language; nobody else gets in."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from models.entities import Deal, RuleRun, RunOutcome, Task
from models.ops.templates import install_default_templates
from tests.api.v1.staff import Staff, make_staff
from tests.factories import SALES_STAGES, actor_for, make_deal, make_pipeline


@pytest.fixture
async def staff(client: httpx.AsyncClient) -> Staff:
    await make_pipeline(stages=SALES_STAGES)
    await install_default_templates()
    return await make_staff(client)


STUCK = {
    "name": "Переговоры затянулись",
    "entity": "deal",
    "trigger": {"on": "time", "field": "stage_entered_at", "after": "5d"},
    "conditions": {"stage": "Переговоры"},
    "actions": [{"do": "create_task", "for": "head", "title": "Сделка застряла"}],
}


async def test_an_admin_creates_reads_updates_lists_and_deletes(staff: Staff) -> None:
    admin = await staff.headers(staff.admin)
    created = await staff.client.post("/v1/rules", json=STUCK, headers=admin)
    assert created.status_code == 201, created.text
    rule = created.json()
    assert created.headers["Location"] == f"/v1/rules/{rule['id']}"
    assert created.headers["ETag"] == '"1"'
    assert rule["conditions"]["field"] == "stage_id"  # the name became an id
    assert rule["is_active"] is True
    assert rule["office_id"] is None

    path = f"/v1/rules/{rule['id']}"
    assert (await staff.client.get(path, headers=admin)).json() == rule
    change = {"is_active": False}
    assert (await staff.client.patch(path, json=change, headers=admin)).status_code == 428
    stale = await staff.client.patch(path, json=change, headers={**admin, "If-Match": '"0"'})
    assert stale.status_code == 412
    changed = await staff.client.patch(path, json=change, headers={**admin, "If-Match": '"1"'})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["is_active"], changed.headers["ETag"]) == (False, '"2"')

    listed = await staff.client.get("/v1/rules?entity=deal&active=false", headers=admin)
    assert [r["id"] for r in listed.json()["items"]] == [rule["id"]]
    assert (await staff.client.get("/v1/rules?active=true", headers=admin)).json()["items"] == []
    assert (await staff.client.delete(path, headers=admin)).status_code == 204
    assert (await staff.client.get(path, headers=admin)).status_code == 404


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"trigger": {"on": "schedule", "cron": "0 9 * *"}}, "trigger.cron", "invalid_cron"),
        (
            {"conditions": {"field": "colour", "op": "eq", "value": 1}},
            "conditions.field",
            "unknown_field",
        ),
        (
            {"actions": [{"do": "set_field", "field": "stage_id", "value": 1}]},
            "actions.0.field",
            "not_settable",
        ),
        (
            {
                "entity": "order",
                "trigger": {"on": "created"},
                "conditions": {},
                "actions": [{"do": "assign_owner"}],
            },
            "actions.0.do",
            "no_owner",
        ),
        ({"trigger": []}, "trigger", "dict_type"),
        ({"version": 3}, "version", "extra_forbidden"),
    ],
)
async def test_a_bad_rule_is_a_422_naming_the_path(
    staff: Staff, change: dict[str, Any], field: str, code: str
) -> None:
    admin = await staff.headers(staff.admin)
    response = await staff.client.post("/v1/rules", json={**STUCK, **change}, headers=admin)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [(field, code)]


async def test_the_reason_comes_in_the_readers_language(staff: Staff) -> None:
    admin = await staff.headers(staff.admin)
    loop = {
        "name": "Сумма",
        "entity": "deal",
        "trigger": {"on": "field_changed", "field": "amount"},
        "actions": [{"do": "set_field", "field": "amount", "value": "1"}],
    }
    for language, start in (
        ("ru", "Правило зациклится: «Сумма» → «Сумма»"),
        ("en", "The rule would loop"),
    ):
        response = await staff.client.post(
            "/v1/rules", json=loop, headers={**admin, "Accept-Language": language}
        )
        [error] = response.json()["errors"]
        assert (error["field"], error["code"]) == ("actions", "loop")
        assert error["message"].startswith(start)


async def test_runs_are_listed_and_a_dry_run_changes_nothing(staff: Staff) -> None:
    admin = await staff.headers(staff.admin)
    rule = (
        await staff.client.post(
            "/v1/rules",
            json={
                "name": "Новая сделка",
                "entity": "deal",
                "trigger": {"on": "created"},
                "actions": [{"do": "create_task", "title": "Позвонить клиенту", "due_in": "1h"}],
            },
            headers=admin,
        )
    ).json()
    manager = await actor_for(staff.manager)
    deal = await make_deal(manager)
    runs = await staff.client.get(f"/v1/rules/{rule['id']}/runs", headers=admin)
    assert runs.status_code == 200, runs.text
    [run] = runs.json()["items"]
    assert (run["outcome"], run["record_id"], run["event"], run["dry_run"]) == (
        "ok",
        deal.id,
        "created",
        False,
    )
    assert run["results"][0]["status"] == "ok"

    version = (await Deal.get(id=deal.id)).version
    dry = await staff.client.post(
        f"/v1/rules/{rule['id']}/dry-run", json={"record_id": deal.id}, headers=admin
    )
    assert dry.status_code == 200, dry.text
    assert dry.json()["dry_run"] is True
    assert dry.json()["results"][0]["status"] == "ok"
    assert await Task.all().count() == 1
    assert (await Deal.get(id=deal.id)).version == version
    only_dry = await staff.client.get(f"/v1/rules/{rule['id']}/runs?dry_run=true", headers=admin)
    assert [r["id"] for r in only_dry.json()["items"]] == [dry.json()["id"]]
    assert await RuleRun.all().count() == 2

    missing = await staff.client.post(
        f"/v1/rules/{rule['id']}/dry-run", json={"record_id": 999_999}, headers=admin
    )
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "record_id"


async def test_only_admins_get_in(staff: Staff) -> None:
    for user in (staff.head, staff.manager):
        headers = await staff.headers(user)
        assert (await staff.client.get("/v1/rules", headers=headers)).status_code == 403
        created = await staff.client.post("/v1/rules", json=STUCK, headers=headers)
        assert created.status_code == 403


async def test_an_admin_replays_a_dead_run(staff: Staff) -> None:
    admin = await staff.headers(staff.admin)
    rule = (
        await staff.client.post(
            "/v1/rules",
            json={
                "name": "Сразу в КП",
                "entity": "deal",
                "trigger": {"on": "created"},
                "actions": [{"do": "move_stage", "stage": "КП отправлено"}],
            },
            headers=admin,
        )
    ).json()
    deal = await make_deal(await actor_for(staff.manager))
    run = await RuleRun.get(rule_id=rule["id"])
    path = f"/v1/rules/{rule['id']}/runs/{run.id}/replay"
    early = await staff.client.post(path, headers=admin)
    assert early.status_code == 422
    assert early.json()["errors"][0]["field"] == "outcome"
    await RuleRun.filter(id=run.id).update(outcome=RunOutcome.DEAD, attempts=5)
    for user in (staff.head, staff.manager):
        refused = await staff.client.post(path, headers=await staff.headers(user))
        assert refused.status_code == 403
    missing = await staff.client.post(f"/v1/rules/{rule['id']}/runs/999999/replay", headers=admin)
    assert missing.status_code == 404

    replayed = await staff.client.post(path, headers=admin)
    assert replayed.status_code == 200, replayed.text
    body = replayed.json()
    assert (body["id"], body["outcome"], body["attempts"]) == (run.id, "failed", 1)
    assert body["next_attempt_at"] is not None
    assert body["results"][0]["status"] == "failed"
    assert (await Deal.get(id=deal.id)).version == 1
