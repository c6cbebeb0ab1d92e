"""Automation rules: /v1/rules. Admins only.

A rule watches one kind of record (`entity`): when its `trigger` happens and its `conditions`
hold, its `actions` run in order, as the system. The grammar of trigger, conditions and actions
is in docs/automation.md; saving checks all of it, and each problem is a 422 field error naming
the path (`trigger.cron`, `conditions.all.1.field`, `actions.0.purpose`). Names of stages,
pipelines, sources, segments, offices and users are answered as ids. Every run is logged
(`/v1/rules/{id}/runs`); `POST /v1/rules/{id}/dry-run` shows what the rule would do to a record
and changes nothing; `POST /v1/rules/{id}/runs/{run_id}/replay` retries a dead run.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response, status
from pydantic import Field

from api.deps import CurrentActor, Transaction
from api.pagination import DEFAULT_PAGE_SIZE, Cursor, Limit, PageOut, decode_cursor, page_out
from api.problems import problem_responses
from api.schemas import Id, Input, Output
from api.versions import Version, set_etag
from models.entities import Rule, RuleEntity, RuleRun, RunOutcome
from models.ops.automation import dry_run, replay_run
from models.ops.rules import create_rule, delete_rule, get_rule, update_rule
from models.queries.rules import RuleFilters, RunFilters, list_rules, list_runs

router = APIRouter(prefix="/rules", tags=["rules"], responses=problem_responses(401))

Name = Annotated[str, Field(min_length=1, max_length=200, description="Unique")]
Description = Annotated[str, Field(max_length=2000)]
Trigger = Annotated[
    dict[str, Any],
    Field(
        description="`on`: created, updated, field_changed (`field`, optional `from`, `to`), "
        "stage_entered / stage_left (optional `stage`: name or id), time (`field`, `before` or "
        "`after` such as 3d; date fields also `yearly`, `at` HH:MM), schedule (`cron`, five "
        "fields, cron's day numbers)",
        examples=[{"on": "time", "field": "stage_entered_at", "after": "5d"}],
    ),
]
Conditions = Annotated[
    dict[str, Any],
    Field(
        description="{} (always), {all: [...]}, {any: [...]}, {field, op, value} with op eq, "
        "ne, lt, gt, in, contains, is_empty, or {pipeline|stage|segment|source|office: name or "
        "id}",
        examples=[{"all": [{"stage": "Переговоры"}, {"field": "amount", "op": "gt", "value": 1}]}],
    ),
]
Actions = Annotated[
    list[dict[str, Any]],
    Field(
        max_length=20,
        description="In order, each {do: ...}: send_template (purpose), create_task (title, "
        "for: owner|head|user, user, due_in, description), assign_owner (how: least_loaded|"
        "round_robin), set_field (field, value), move_stage (stage), webhook (url)",
        examples=[[{"do": "create_task", "for": "head", "title": "Сделка застряла"}]],
    ),
]


class RuleCreate(Input):
    name: Name
    description: Description = ""
    entity: RuleEntity
    trigger: Trigger
    conditions: Conditions = Field(default_factory=dict)
    actions: Actions
    is_active: bool = True
    office_id: Id | None = Field(
        default=None, description="Only records of this office and below (null: every office)"
    )


class RuleUpdate(Input):
    """Only the fields sent are changed; the rule is checked again as a whole."""

    name: Name | None = None
    description: Description | None = None
    entity: RuleEntity | None = None
    trigger: Trigger | None = None
    conditions: Conditions | None = None
    actions: Actions | None = None
    is_active: bool | None = None
    office_id: Id | None = None


class RuleOut(Output):
    id: int
    name: str
    description: str
    entity: RuleEntity
    trigger: dict[str, Any] = Field(description="Canonical: names resolved to ids")
    conditions: dict[str, Any]
    actions: list[dict[str, Any]]
    is_active: bool
    office_id: int | None
    version: int
    created_at: datetime
    updated_at: datetime


class ActionResultOut(Output):
    index: int
    do: str
    status: Literal["ok", "failed", "skipped", "pending"] = Field(
        description="In a dry run: what would happen"
    )
    detail: str


class RuleRunOut(Output):
    id: int
    rule_id: int
    entity: RuleEntity
    record_id: int
    event: str = Field(description="The trigger that fired it (dry runs: the rule's trigger)")
    outcome: RunOutcome = Field(
        description="failed with next_attempt_at: a retry is planned; dead: attempts ran out"
    )
    results: list[ActionResultOut]
    error: str
    attempts: int
    depth: int = Field(description="How many rule runs led to this one")
    dry_run: bool
    next_attempt_at: datetime | None
    started_at: datetime
    finished_at: datetime | None


class DryRunIn(Input):
    record_id: Id = Field(description="A record of the rule's entity")


def _out(rule: Rule, response: Response | None = None) -> RuleOut:
    if response is not None:
        set_etag(response, rule.version)
    return RuleOut.model_validate(rule)


def _run(run: RuleRun) -> RuleRunOut:
    results = [
        ActionResultOut(
            index=int(r.get("index", i)),
            do=str(r.get("do", "")),
            status=r.get("status", "pending"),
            detail=str(r.get("detail", "")),
        )
        for i, r in enumerate(run.results)
    ]
    return RuleRunOut(
        id=run.id,
        rule_id=run.rule_id,
        entity=RuleEntity(run.entity),
        record_id=run.record_id,
        event=run.event,
        outcome=RunOutcome(run.outcome),
        results=results,
        error=run.error,
        attempts=run.attempts,
        depth=run.depth,
        dry_run=run.dry_run,
        next_attempt_at=run.next_attempt_at,
        started_at=run.started_at,
        finished_at=run.finished_at,
    )


@router.get("", operation_id="listRules", responses=problem_responses(403, 422))
async def list_(
    actor: CurrentActor,
    _: Transaction,
    entity: RuleEntity | None = None,
    active: bool | None = None,
    sort: Annotated[
        str | None, Query(max_length=50, description="name, id, updated_at; '-' descending")
    ] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
) -> PageOut[RuleOut]:
    page = await list_rules(actor, RuleFilters(entity, active), sort, decode_cursor(cursor), limit)
    return page_out(page, [_out(r) for r in page.items])


@router.post(
    "",
    operation_id="createRule",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(403, 422),
)
async def create(
    body: RuleCreate, actor: CurrentActor, _: Transaction, response: Response
) -> RuleOut:
    """422 names each problem by its path: an unknown field, a bad cron expression, a loop
    (with the chain of rules), an action the record kind or the rule's office does not allow."""
    rule = await create_rule(actor, body.model_dump(exclude_unset=True))
    response.headers["Location"] = f"/v1/rules/{rule.id}"
    return _out(rule, response)


@router.get("/{rule_id}", operation_id="getRule", responses=problem_responses(403, 404))
async def get(rule_id: Id, actor: CurrentActor, _: Transaction, response: Response) -> RuleOut:
    return _out(await get_rule(actor, rule_id), response)


@router.patch(
    "/{rule_id}", operation_id="updateRule", responses=problem_responses(403, 404, 412, 422, 428)
)
async def update(
    rule_id: Id,
    body: RuleUpdate,
    actor: CurrentActor,
    _: Transaction,
    response: Response,
    version: Version,
) -> RuleOut:
    values = body.model_dump(exclude_unset=True)
    rule = await update_rule(actor, rule_id, values, version=version.number)
    return _out(rule, response)


@router.delete(
    "/{rule_id}",
    operation_id="deleteRule",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(403, 404),
)
async def delete(rule_id: Id, actor: CurrentActor, _: Transaction) -> None:
    """The rule and its run log go; what it did stays. To pause a rule, set
    `is_active: false` instead."""
    await delete_rule(actor, rule_id)


@router.get(
    "/{rule_id}/runs", operation_id="listRuleRuns", responses=problem_responses(403, 404, 422)
)
async def runs(
    rule_id: Id,
    actor: CurrentActor,
    _: Transaction,
    outcome: RunOutcome | None = None,
    record_id: Id | None = None,
    dry_run: bool | None = None,
    sort: Annotated[str | None, Query(max_length=50, description="id; default -id")] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
) -> PageOut[RuleRunOut]:
    filters = RunFilters(outcome, record_id, dry_run)
    page = await list_runs(actor, rule_id, filters, sort, decode_cursor(cursor), limit)
    return page_out(page, [_run(r) for r in page.items])


@router.post(
    "/{rule_id}/dry-run", operation_id="dryRunRule", responses=problem_responses(403, 404, 422)
)
async def dry_run_(rule_id: Id, body: DryRunIn, actor: CurrentActor, _: Transaction) -> RuleRunOut:
    """What the rule would do to the record now, its trigger aside: conditions checked, each
    action performed and rolled back, so nothing changes and nothing is sent. The answer is
    kept in the run log as a dry run. 422 `not_found` on `record_id` for no such record."""
    return _run(await dry_run(actor, rule_id, body.record_id))


@router.post(
    "/{rule_id}/runs/{run_id}/replay",
    operation_id="replayRuleRun",
    responses=problem_responses(403, 404, 422),
)
async def replay(rule_id: Id, run_id: Id, actor: CurrentActor, _: Transaction) -> RuleRunOut:
    """Perform a dead run's failed actions again now, as the clock's retry does, with its
    attempts counted from zero (failing again, it is retried before it is dead). A record that
    no longer qualifies has them skipped with the reason. 422 `not_replayable` on `outcome` for
    a run that is not dead."""
    return _run(await replay_run(actor, rule_id, run_id))
