"""Rules on events: saving checks them against the database, events run them in the change's
transaction, every run is logged, a failing action is recorded and retried without stopping the
others, a rule cannot loop, and a dry run changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from tortoise.transactions import in_transaction

from models.channels import use_channels
from models.clock import FrozenClock, use_clock
from models.entities import (
    AuditEntry,
    Channel,
    Deal,
    Lead,
    MessageState,
    OutboundMessage,
    Pipeline,
    Role,
    RuleRun,
    RunOutcome,
    Task,
    WebhookDelivery,
)
from models.errors import Forbidden, NotFound, ValidationFailed
from models.ops.automation import dry_run, due_retries, replay_run, retry_run
from models.ops.contacts import update_contact
from models.ops.deals import move_deal_to_stage, update_deal
from models.ops.leads import create_lead
from models.ops.orders import change_order_status, create_order
from models.ops.rules import create_rule, update_rule
from models.ops.templates import install_default_templates
from models.settings import get_settings
from tests.factories import (
    SALES_STAGES,
    SYSTEM,
    T0,
    Org,
    make_contact,
    make_deal,
    make_pipeline,
    make_rule,
    make_user,
    stage_named,
)

pytestmark = pytest.mark.usefixtures("db")


@pytest.fixture
def clock() -> Iterator[FrozenClock]:
    with use_clock(FrozenClock(T0)) as frozen:
        yield frozen


@pytest.fixture
async def sales() -> Pipeline:
    return await make_pipeline(stages=SALES_STAGES)


@pytest.fixture
async def templates() -> int:
    return await install_default_templates()


def _errors(error: pytest.ExceptionInfo[ValidationFailed]) -> dict[str, str]:
    return {e.field: e.code for e in error.value.errors}


async def _refused(**values: Any) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as error:
        await make_rule(**values)
    return _errors(error)


# Saving


async def test_names_become_ids_and_unknown_ones_are_refused(org: Org, sales: Pipeline) -> None:
    work = await stage_named(sales, "В работе")
    rule = await make_rule(
        trigger={"on": "stage_entered", "stage": "в работе"},
        conditions={"any": [{"office": "Север"}, {"field": "amount", "op": "gt", "value": 1000}]},
    )
    assert rule.trigger == {"on": "stage_entered", "stage_id": work.id}
    assert rule.conditions["any"][0] == {
        "field": "office_ids",
        "op": "contains",
        "value": org.north.id,
    }
    refused = await _refused(
        trigger={"on": "stage_entered", "stage": "Нет такого"},
        conditions={"all": [{"field": "colour", "op": "eq", "value": "red"}]},
    )
    assert refused == {"trigger.stage": "not_found", "conditions.all.0.field": "unknown_field"}


async def test_a_bad_cron_and_a_template_nobody_wrote_are_refused(org: Org) -> None:
    refused = await _refused(
        trigger={"on": "schedule", "cron": "61 * * * *"},
        actions=[{"do": "send_template", "purpose": "no_such_purpose"}],
    )
    assert refused == {"trigger.cron": "invalid_cron", "actions.0.purpose": "unknown_purpose"}


async def test_a_rule_that_would_retrigger_itself_is_refused(org: Org) -> None:
    with pytest.raises(ValidationFailed) as error:
        await make_rule(
            name="Сумма",
            trigger={"on": "field_changed", "field": "amount"},
            actions=[{"do": "set_field", "field": "amount", "value": "100"}],
        )
    [problem] = error.value.errors
    assert (problem.field, problem.code) == ("actions", "loop")
    assert "«Сумма» → «Сумма»" in problem.message.ru


async def test_a_loop_through_two_rules_is_refused_with_the_chain(
    org: Org, sales: Pipeline
) -> None:
    await make_rule(
        name="A",
        trigger={"on": "stage_entered", "stage": "В работе"},
        actions=[{"do": "move_stage", "stage": "Переговоры"}],
    )
    with pytest.raises(ValidationFailed) as error:
        await make_rule(
            name="B",
            trigger={"on": "stage_entered", "stage": "Переговоры"},
            actions=[{"do": "move_stage", "stage": "В работе"}],
        )
    assert "«B» → «A» → «B»" in error.value.errors[0].message.en
    # The same rule, inactive, loops nowhere.
    await make_rule(
        name="B",
        is_active=False,
        trigger={"on": "stage_entered", "stage": "Переговоры"},
        actions=[{"do": "move_stage", "stage": "В работе"}],
    )


async def test_a_task_for_a_user_outside_the_rules_office_is_refused(org: Org) -> None:
    stranger = await make_user(org.south, Role.MANAGER)
    refused = await _refused(
        office_id=org.north.id,
        actions=[{"do": "create_task", "title": "x", "for": "user", "user": stranger.email}],
    )
    assert refused == {"actions.0.user": "forbidden"}


async def test_only_admins_write_rules(org: Org) -> None:
    with pytest.raises(Forbidden):
        await create_rule(org.head, {"name": "x", "entity": "deal", "trigger": {"on": "created"}})


# Runs on events


async def test_deal_entering_in_work_sends_the_proposal_by_email(
    org: Org, sales: Pipeline, templates: int, clock: FrozenClock
) -> None:
    rule = await make_rule(
        trigger={"on": "stage_entered", "stage": "В работе"},
        actions=[{"do": "send_template", "purpose": "proposal_sent"}],
    )
    contact = await make_contact(org.manager, emails=["client@example.test"])
    deal = await make_deal(org.manager, contact_id=contact.id, title="Окна")
    assert await RuleRun.all().count() == 0  # created in «Новая»: not this rule's stage

    with use_channels({Channel.EMAIL, Channel.TELEGRAM}):
        async with in_transaction():
            await move_deal_to_stage(
                org.manager, deal.id, (await stage_named(sales, "В работе")).id, version=None
            )

    [message] = await OutboundMessage.all()
    assert (message.channel, message.address) == (Channel.EMAIL, "client@example.test")
    assert message.purpose == "proposal_sent"
    assert message.state == MessageState.QUEUED
    assert "Окна" in message.subject
    [run] = await RuleRun.filter(rule_id=rule.id)
    assert (run.outcome, run.event, run.record_id, run.dry_run) == (
        RunOutcome.OK,
        "stage_entered",
        deal.id,
        False,
    )
    assert run.results[0]["status"] == "ok"
    assert run.finished_at == T0


async def test_a_new_lead_goes_to_the_least_loaded_manager_of_its_office(org: Org) -> None:
    await make_pipeline()
    await make_rule(entity="lead", trigger={"on": "created"}, actions=[{"do": "assign_owner"}])
    await make_deal(org.manager, owner_id=org.manager.user_id)
    await make_deal(org.manager, owner_id=org.manager.user_id)
    # The head enters the lead for the north office: the colleague has the least work.
    lead = await create_lead(org.head, {"title": "Заявка с сайта"})
    await lead.refresh_from_db()
    assert lead.owner_id == org.colleague.user_id
    assert lead.office_id == org.north.id


async def test_a_failing_action_is_recorded_retried_and_buried_without_stopping_others(
    org: Org, sales: Pipeline, clock: FrozenClock
) -> None:
    # Entering «КП отправлено» needs an amount and a contact the deal does not have.
    failing = await make_rule(
        name="Сразу в КП",
        trigger={"on": "created"},
        actions=[
            {"do": "move_stage", "stage": "КП отправлено"},
            {"do": "create_task", "title": "Подготовить КП"},
        ],
    )
    other = await make_rule(name="Позвонить", trigger={"on": "created"})
    deal = await make_deal(org.manager)

    [run] = await RuleRun.filter(rule_id=failing.id)
    assert run.outcome == RunOutcome.FAILED
    assert [r["status"] for r in run.results] == ["failed", "ok"]
    assert "amount" in run.results[0]["detail"]
    assert run.error.startswith("actions.0:")
    assert run.next_attempt_at == T0 + timedelta(minutes=1)
    assert (await Deal.get(id=deal.id)).stage_id == (await stage_named(sales, "Новая")).id
    assert await RuleRun.get(rule_id=other.id).values_list("outcome", flat=True) == "ok"
    assert await Task.filter(deal_id=deal.id).count() == 2

    for attempt in range(2, 6):
        clock.advance(timedelta(hours=3))
        assert await due_retries() == [run.id]
        async with in_transaction():
            await retry_run(run.id)
        await run.refresh_from_db()
        assert run.attempts == attempt
    assert run.outcome == RunOutcome.DEAD
    assert run.next_attempt_at is None
    assert await Task.filter(deal_id=deal.id).count() == 2  # the ok action was not repeated


async def test_a_retry_succeeds_once_the_data_allows_it(
    org: Org, sales: Pipeline, clock: FrozenClock
) -> None:
    await make_rule(
        trigger={"on": "created"}, actions=[{"do": "move_stage", "stage": "КП отправлено"}]
    )
    deal = await make_deal(org.manager)
    contact = await make_contact(org.manager)
    await update_deal(
        org.manager, deal.id, {"amount": "5000", "contact_id": contact.id}, version=None
    )
    clock.advance(timedelta(minutes=2))
    [run_id] = await due_retries()
    async with in_transaction():
        run = await retry_run(run_id)
    assert run is not None
    assert (run.outcome, run.attempts, run.error) == (RunOutcome.OK, 2, "")
    assert (await Deal.get(id=deal.id)).stage_id == (await stage_named(sales, "КП отправлено")).id


async def test_the_loop_guard_cuts_a_rule_fired_by_its_own_action(
    org: Org, sales: Pipeline
) -> None:
    # Saved before the loop check could see it: an inactive pair, then switched on in the
    # database, as an older version or a concurrent save could leave them.
    a = await make_rule(
        name="A",
        trigger={"on": "stage_entered", "stage": "В работе"},
        actions=[{"do": "move_stage", "stage": "Переговоры"}],
    )
    b = await make_rule(
        name="B",
        is_active=False,
        trigger={"on": "stage_entered", "stage": "Переговоры"},
        actions=[{"do": "move_stage", "stage": "В работе"}],
    )
    await type(b).filter(id=b.id).update(is_active=True)
    deal = await make_deal(org.manager)
    await move_deal_to_stage(
        org.manager, deal.id, (await stage_named(sales, "В работе")).id, version=None
    )
    runs = await RuleRun.all().order_by("id")
    assert [(r.rule_id, r.outcome, r.depth) for r in runs] == [
        (a.id, RunOutcome.OK, 0),
        (b.id, RunOutcome.OK, 1),
        (a.id, RunOutcome.SKIPPED, 2),
    ]
    assert "loop guard" in runs[-1].error
    assert (await Deal.get(id=deal.id)).stage_id == (await stage_named(sales, "В работе")).id


async def test_a_dry_run_shows_what_would_happen_and_changes_nothing(
    org: Org, sales: Pipeline, templates: int
) -> None:
    deal = await make_deal(org.manager)
    rule = await make_rule(
        trigger={"on": "stage_entered", "stage": "В работе"},
        actions=[
            {"do": "create_task", "title": "Позвонить", "for": "head"},
            {"do": "move_stage", "stage": "КП отправлено"},
        ],
    )
    before = (await Deal.get(id=deal.id)).version
    run = await dry_run(org.admin, rule.id, deal.id)
    assert run.dry_run is True
    assert [r["status"] for r in run.results] == ["ok", "failed"]
    assert f"for user {org.head.user_id}" in run.results[0]["detail"]
    assert "amount" in run.results[1]["detail"]
    assert run.next_attempt_at is None
    assert await Task.all().count() == 0
    assert (await Deal.get(id=deal.id)).version == before
    assert await RuleRun.filter(dry_run=False).count() == 0
    with pytest.raises(Forbidden):
        await dry_run(org.manager, rule.id, deal.id)


async def test_conditions_decide_and_the_office_scope_limits(org: Org, sales: Pipeline) -> None:
    await make_rule(
        office_id=org.north.id,
        conditions={"field": "amount", "op": "gt", "value": 100_000},
    )
    await make_deal(org.manager, amount="500000")
    await make_deal(org.manager, amount="5000")
    await make_deal(org.stranger, amount="900000")
    assert await RuleRun.all().count() == 1


async def test_a_webhook_is_a_row_for_the_clock(org: Org, monkeypatch: pytest.MonkeyPatch) -> None:
    await make_pipeline()
    monkeypatch.setenv("VORONKA_WEBHOOK_SECRET", "s3cret-for-tests")
    get_settings.cache_clear()
    try:
        await make_rule(trigger={"on": "created"}, actions=[{"do": "webhook", "url": "http://h/x"}])
    finally:
        monkeypatch.delenv("VORONKA_WEBHOOK_SECRET")
        get_settings.cache_clear()
    deal = await make_deal(org.manager, title="Сделка")
    [delivery] = await WebhookDelivery.all()
    assert delivery.url == "http://h/x"
    assert f'"id": {deal.id}' in delivery.body
    assert '"title": "Сделка"' in delivery.body


async def test_updating_a_rule_checks_it_again(org: Org) -> None:
    await make_pipeline()
    rule = await make_rule()
    with pytest.raises(ValidationFailed) as error:
        await update_rule(
            SYSTEM, rule.id, {"entity": "lead", "trigger": {"on": "stage_left"}}, version=1
        )
    assert _errors(error) == {"trigger.on": "deals_only"}
    changed = await update_rule(SYSTEM, rule.id, {"is_active": False}, version=1)
    assert (changed.is_active, changed.version) == (False, 2)
    assert await Lead.all().count() == 0


async def test_round_robin_takes_the_managers_of_the_office_in_turn(org: Org) -> None:
    await make_pipeline()
    await make_rule(
        entity="lead",
        trigger={"on": "created"},
        actions=[{"do": "assign_owner", "how": "round_robin"}],
    )
    owners = []
    for _ in range(3):
        lead = await create_lead(org.head, {"title": "Заявка"})
        owners.append((await Lead.get(id=lead.id)).owner_id)
    first, second = sorted([org.manager.user_id, org.colleague.user_id])  # type: ignore[type-var]
    assert owners == [first, second, first]


async def test_set_field_takes_a_moment_relative_to_now(
    org: Org, sales: Pipeline, clock: FrozenClock
) -> None:
    await make_rule(
        trigger={"on": "stage_entered", "stage": "Переговоры"},
        actions=[{"do": "set_field", "field": "deadline", "value": "+3d"}],
    )
    deal = await make_deal(org.manager)
    await move_deal_to_stage(
        org.manager, deal.id, (await stage_named(sales, "Переговоры")).id, version=None
    )
    assert (await Deal.get(id=deal.id)).deadline == T0 + timedelta(days=3)


async def test_a_message_for_a_deal_without_a_client_is_a_skipped_run(
    org: Org, sales: Pipeline, templates: int
) -> None:
    await make_rule(actions=[{"do": "send_template", "purpose": "proposal_sent"}])
    await make_deal(org.manager)
    run = await RuleRun.get()
    assert run.outcome == RunOutcome.SKIPPED
    assert run.results[0]["detail"] == "the record has no client"


async def test_a_greeting_to_a_client_without_consent_is_a_skipped_run_never_retried(
    org: Org, templates: int
) -> None:
    await make_rule(
        entity="contact",
        trigger={"on": "created"},
        actions=[{"do": "send_template", "purpose": "birthday_greeting"}],
    )
    with use_channels({Channel.EMAIL}):
        await make_contact(org.manager, emails=["no-news@example.test"])
    run = await RuleRun.get()
    assert (run.outcome, run.next_attempt_at) == (RunOutcome.SKIPPED, None)
    assert run.results[0]["status"] == "skipped"
    assert "no marketing consent" in run.results[0]["detail"]


async def test_a_field_change_to_a_value_fires(org: Org, templates: int) -> None:
    await make_pipeline()
    await make_rule(
        entity="order",
        trigger={"on": "field_changed", "field": "status", "to": "shipped"},
        actions=[{"do": "create_task", "title": "Позвонить после отгрузки"}],
    )
    order = await create_order(org.manager, {"number": "З-7", "amount": "10"})
    await change_order_status(org.manager, order.id, "confirmed", version=None)
    assert await Task.all().count() == 0
    await change_order_status(org.manager, order.id, "shipped", version=None)
    [task] = await Task.all()
    assert task.assignee_id == org.manager.user_id


# Retries and replays


async def _bury(run: RuleRun, clock: FrozenClock) -> None:
    """Let the clock retry the run until its attempts run out."""
    while run.outcome != RunOutcome.DEAD:
        clock.advance(timedelta(hours=3))
        async with in_transaction():
            await retry_run(run.id)
        await run.refresh_from_db()


async def test_an_admin_replays_a_dead_run_once_the_data_allows_it(
    org: Org, sales: Pipeline, clock: FrozenClock
) -> None:
    rule = await make_rule(
        trigger={"on": "created"},
        actions=[
            {"do": "create_task", "title": "Подготовить КП"},
            {"do": "move_stage", "stage": "КП отправлено"},
        ],
    )
    deal = await make_deal(org.manager)
    run = await RuleRun.get(rule_id=rule.id)
    with pytest.raises(ValidationFailed) as early:
        await replay_run(org.admin, rule.id, run.id)
    assert _errors(early) == {"outcome": "not_replayable"}
    await _bury(run, clock)

    with pytest.raises(Forbidden):
        await replay_run(org.head, rule.id, run.id)
    other = await make_rule(name="Другое", trigger={"on": "created"})
    with pytest.raises(NotFound):
        await replay_run(org.admin, other.id, run.id)

    contact = await make_contact(org.manager)
    await update_deal(
        org.manager, deal.id, {"amount": "5000", "contact_id": contact.id}, version=None
    )
    replayed = await replay_run(org.admin, rule.id, run.id)
    assert (replayed.outcome, replayed.attempts, replayed.error) == (RunOutcome.OK, 1, "")
    assert (await Deal.get(id=deal.id)).stage_id == (await stage_named(sales, "КП отправлено")).id
    assert await Task.filter(deal_id=deal.id, title="Подготовить КП").count() == 1
    entry = await AuditEntry.get(entity="rule_run", entity_id=run.id)
    assert (entry.action, entry.actor_id) == ("replay", org.admin.user_id)
    with pytest.raises(ValidationFailed):
        await replay_run(org.admin, rule.id, run.id)


async def test_a_replay_that_fails_again_goes_back_to_the_clocks_retries(
    org: Org, sales: Pipeline, clock: FrozenClock
) -> None:
    rule = await make_rule(
        trigger={"on": "created"}, actions=[{"do": "move_stage", "stage": "КП отправлено"}]
    )
    await make_deal(org.manager)
    run = await RuleRun.get(rule_id=rule.id)
    await _bury(run, clock)
    replayed = await replay_run(org.admin, rule.id, run.id)
    assert (replayed.outcome, replayed.attempts) == (RunOutcome.FAILED, 1)
    assert replayed.next_attempt_at == clock.now() + timedelta(minutes=1)
    clock.advance(timedelta(minutes=1))
    assert await due_retries() == [run.id]


async def test_a_retry_skips_a_record_that_no_longer_meets_the_conditions(
    org: Org, sales: Pipeline, clock: FrozenClock
) -> None:
    rule = await make_rule(
        trigger={"on": "created"},
        conditions={"field": "title", "op": "contains", "value": "окна"},
        actions=[{"do": "move_stage", "stage": "КП отправлено"}],
    )
    deal = await make_deal(org.manager, title="Окна в офис")
    await update_deal(org.manager, deal.id, {"title": "Двери в офис"}, version=None)
    clock.advance(timedelta(minutes=1))
    async with in_transaction():
        run = await retry_run((await RuleRun.get(rule_id=rule.id)).id)
    assert run is not None
    assert (run.outcome, run.next_attempt_at) == (RunOutcome.SKIPPED, None)
    assert run.results[0]["status"] == "skipped"
    assert run.results[0]["detail"] == "not retried: the record no longer meets the conditions"


async def test_a_paused_rule_is_not_retried(org: Org, sales: Pipeline, clock: FrozenClock) -> None:
    rule = await make_rule(
        trigger={"on": "created"}, actions=[{"do": "move_stage", "stage": "КП отправлено"}]
    )
    await make_deal(org.manager)
    await update_rule(SYSTEM, rule.id, {"is_active": False}, version=None)
    clock.advance(timedelta(minutes=1))
    async with in_transaction():
        run = await retry_run((await RuleRun.get(rule_id=rule.id)).id)
    assert run is not None
    assert run.outcome == RunOutcome.SKIPPED
    assert run.results[0]["detail"] == "not retried: the rule is paused"


async def test_conditions_the_runs_own_action_changed_do_not_stop_its_retry(
    org: Org, sales: Pipeline, clock: FrozenClock
) -> None:
    rule = await make_rule(
        trigger={"on": "created"},
        conditions={"field": "title", "op": "contains", "value": "окна"},
        actions=[
            {"do": "set_field", "field": "title", "value": "КП: двери готовы"},
            {"do": "move_stage", "stage": "КП отправлено"},
        ],
    )
    deal = await make_deal(org.manager, title="Окна в офис")
    assert (await Deal.get(id=deal.id)).title == "КП: двери готовы"
    contact = await make_contact(org.manager)
    await update_deal(
        org.manager, deal.id, {"amount": "5000", "contact_id": contact.id}, version=None
    )
    clock.advance(timedelta(minutes=1))
    async with in_transaction():
        run = await retry_run((await RuleRun.get(rule_id=rule.id)).id)
    assert run is not None
    assert run.outcome == RunOutcome.OK
    assert (await Deal.get(id=deal.id)).stage_id == (await stage_named(sales, "КП отправлено")).id


async def test_a_message_retried_once_the_client_has_an_address_is_a_new_message(
    org: Org, sales: Pipeline, templates: int, clock: FrozenClock
) -> None:
    rule = await make_rule(actions=[{"do": "send_template", "purpose": "proposal_sent"}])
    contact = await make_contact(org.manager)
    with use_channels({Channel.EMAIL}):
        await make_deal(org.manager, contact_id=contact.id)
        [failed] = await OutboundMessage.all()
        assert failed.state == MessageState.FAILED
        run = await RuleRun.get(rule_id=rule.id)
        assert run.outcome == RunOutcome.FAILED
        await update_contact(
            org.manager, contact.id, {"emails": ["client@example.test"]}, version=None
        )
        clock.advance(timedelta(minutes=1))
        async with in_transaction():
            retried = await retry_run(run.id)
    assert retried is not None
    assert retried.outcome == RunOutcome.OK
    sent = await OutboundMessage.get(dedup_key=f"rule:{run.id}:0:2")
    assert (sent.state, sent.address) == (MessageState.QUEUED, "client@example.test")
    assert (await OutboundMessage.get(id=failed.id)).state == MessageState.FAILED
