"""The pure part of the rules: checking and the canonical form, conditions, trigger matching,
loops, due moments and signatures. No database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.entities.enums import RuleEntity
from models.errors import FieldErrors
from models.rules.automation import (
    Catalogue,
    Checked,
    RuleSpec,
    check_rule,
    conditions_hold,
    cron_trigger,
    due_moments,
    find_loop,
    last_fire,
    sign,
    signature_valid,
    trigger_fires,
)

CATALOGUE = Catalogue(
    pipelines={1: "Продажи", 2: "Опт"},
    stages={10: ("Новая", 1), 11: ("В работе", 1), 12: ("Переговоры", 1), 20: ("Новая", 2)},
    sources={5: "Сайт"},
    segments={7: "VIP"},
    offices={1: ("Головной офис", "1/"), 2: ("Север", "1/2/"), 3: ("Юг", "1/3/")},
    users={100: ("head@north.test", "1/2/"), 101: ("south@south.test", "1/3/")},
    purposes=frozenset({"proposal_sent", "birthday_greeting"}),
    webhooks=True,
)
AT = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
DEAL = RuleEntity.DEAL


def check(
    entity: RuleEntity = DEAL,
    trigger: Any = None,
    conditions: Any = None,
    actions: Any = None,
    catalogue: Catalogue = CATALOGUE,
    office_path: str | None = None,
) -> tuple[Checked, dict[str, str]]:
    errors = FieldErrors()
    checked = check_rule(
        entity,
        trigger if trigger is not None else {"on": "created"},
        conditions,
        actions if actions is not None else [{"do": "create_task", "title": "x"}],
        catalogue,
        errors,
        office_path=office_path,
    )
    return checked, {e.field: e.code for e in errors.items}


def test_names_resolve_to_ids_case_insensitively() -> None:
    checked, errors = check(
        trigger={"on": "stage_entered", "stage": "в работе"},
        conditions={
            "all": [
                {"pipeline": "Продажи"},
                {"source": ["Сайт", 5]},
                {"office": "север"},
                {"segment": "VIP"},
            ]
        },
        actions=[{"do": "move_stage", "stage": "Переговоры"}],
    )
    assert errors == {}
    assert checked.trigger == {"on": "stage_entered", "stage_id": 11}
    assert checked.conditions == {
        "all": [
            {"field": "pipeline_id", "op": "eq", "value": 1},
            {"field": "source_id", "op": "in", "value": [5, 5]},
            {"field": "office_ids", "op": "contains", "value": 2},
            {"field": "segment_id", "op": "eq", "value": 7},
        ]
    }
    assert checked.actions == [{"do": "move_stage", "stage_id": 12}]


def test_a_name_two_records_share_must_be_an_id() -> None:
    _, errors = check(trigger={"on": "stage_entered", "stage": "Новая"})
    assert errors == {"trigger.stage": "ambiguous"}
    checked, errors = check(trigger={"on": "stage_entered", "stage_id": 20})
    assert (checked.trigger, errors) == ({"on": "stage_entered", "stage_id": 20}, {})


@pytest.mark.parametrize(
    ("trigger", "conditions", "actions", "expected"),
    [
        ({"on": "sometimes"}, None, None, {"trigger.on": "unknown_trigger"}),
        ({}, None, None, {"trigger.on": "required"}),
        (
            {"on": "field_changed", "field": "colour"},
            None,
            None,
            {"trigger.field": "unknown_field"},
        ),
        ({"on": "schedule", "cron": "0 9 * *"}, None, None, {"trigger.cron": "invalid_cron"}),
        ({"on": "schedule", "cron": "0 25 * * *"}, None, None, {"trigger.cron": "invalid_cron"}),
        (
            {"on": "time", "field": "title", "after": "1d"},
            None,
            None,
            {"trigger.field": "not_a_moment"},
        ),
        (
            {"on": "time", "field": "deadline", "after": "soon"},
            None,
            None,
            {"trigger.after": "invalid_duration"},
        ),
        (
            {"on": "time", "field": "deadline", "yearly": True},
            None,
            None,
            {"trigger.yearly": "date_fields_only"},
        ),
        ({"on": "created", "extra": 1}, None, None, {"trigger.extra": "unknown_key"}),
        (
            None,
            {"field": "title", "op": "gt", "value": "a"},
            None,
            {"conditions.op": "operator_not_for_field"},
        ),
        (
            None,
            {"field": "amount", "op": "like", "value": 1},
            None,
            {"conditions.op": "unknown_operator"},
        ),
        (
            None,
            {"field": "amount", "op": "gt", "value": "lots"},
            None,
            {"conditions.value": "invalid"},
        ),
        (
            None,
            {"any": [{"field": "amount", "op": "in", "value": []}]},
            None,
            {"conditions.any.0.value": "invalid"},
        ),
        (None, {"colour": "red"}, None, {"conditions": "invalid_condition"}),
        (None, None, [], {"actions": "required"}),
        (None, None, [{"do": "fly"}], {"actions.0.do": "unknown_action"}),
        (
            None,
            None,
            [{"do": "send_template", "purpose": "spam"}],
            {"actions.0.purpose": "unknown_purpose"},
        ),
        (
            None,
            None,
            [{"do": "set_field", "field": "stage_id", "value": 11}],
            {"actions.0.field": "not_settable"},
        ),
        (
            None,
            None,
            [{"do": "set_field", "field": "owner_id", "value": 100}],
            {"actions.0.field": "not_settable"},
        ),
        (
            None,
            None,
            [{"do": "set_field", "field": "deadline", "value": "tomorrow"}],
            {"actions.0.value": "invalid"},
        ),
        (
            None,
            None,
            [{"do": "create_task", "title": "x", "for": "user"}],
            {"actions.0.user": "required"},
        ),
        (
            None,
            None,
            [{"do": "create_task", "title": "x", "for": "user", "user": "nobody@x.test"}],
            {"actions.0.user": "not_found"},
        ),
        (None, None, [{"do": "webhook", "url": "ftp://x"}], {"actions.0.url": "invalid_url"}),
        (
            None,
            None,
            [{"do": "assign_owner", "how": "randomly"}],
            {"actions.0.how": "invalid_choice"},
        ),
    ],
)
def test_each_problem_is_named_by_its_path(
    trigger: Any, conditions: Any, actions: Any, expected: dict[str, str]
) -> None:
    assert check(trigger=trigger, conditions=conditions, actions=actions)[1] == expected


def test_what_a_record_kind_cannot_do_is_refused() -> None:
    _, errors = check(
        RuleEntity.LEAD,
        trigger={"on": "stage_entered"},
        actions=[
            {"do": "send_template", "purpose": "proposal_sent"},
            {"do": "move_stage", "stage_id": 11},
        ],
    )
    assert errors == {
        "trigger.on": "deals_only",
        "actions.0.do": "no_contact",
        "actions.1.do": "deals_only",
    }
    _, errors = check(RuleEntity.ORDER, actions=[{"do": "assign_owner"}])
    assert errors == {"actions.0.do": "no_owner"}


def test_webhooks_need_the_signing_key() -> None:
    unsigned = Catalogue(purposes=CATALOGUE.purposes)
    _, errors = check(actions=[{"do": "webhook", "url": "https://x.test/h"}], catalogue=unsigned)
    assert errors == {"actions.0.url": "webhook_secret_missing"}


def test_a_rule_of_an_office_may_not_give_tasks_outside_it() -> None:
    action = {"do": "create_task", "title": "x", "for": "user", "user": "south@south.test"}
    assert check(actions=[action], office_path="1/2/")[1] == {"actions.0.user": "forbidden"}
    checked, errors = check(actions=[{**action, "user": "head@north.test"}], office_path="1/2/")
    assert errors == {}
    assert checked.actions[0]["user_id"] == 100


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=5),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(
                st.sampled_from(["on", "field", "op", "value", "all", "any", "do", "stage", "x"]),
                inner,
                max_size=4,
            )
        ),
        max_leaves=12,
    ),
    st.sampled_from(list(RuleEntity)),
)
def test_any_json_is_checked_never_crashes(junk: Any, entity: RuleEntity) -> None:
    check(entity, trigger=junk, conditions=junk, actions=junk)
    check(entity, conditions=junk)
    check(entity, actions=[junk])


DEAL_RECORD = {
    "title": "Поставка окон",
    "amount": Decimal("150000.00"),
    "stage_id": 12,
    "office_ids": [1, 2],
    "deadline": AT + timedelta(days=2),
    "contact_id": None,
}


@pytest.mark.parametrize(
    ("conditions", "holds"),
    [
        ({}, True),
        ({"field": "amount", "op": "gt", "value": "100000"}, True),
        ({"field": "amount", "op": "lt", "value": "100000"}, False),
        ({"field": "amount", "op": "eq", "value": "150000"}, True),
        ({"field": "title", "op": "contains", "value": "ОКОН"}, True),
        ({"field": "stage_id", "op": "in", "value": [11, 12]}, True),
        ({"field": "stage_id", "op": "ne", "value": 12}, False),
        ({"field": "contact_id", "op": "is_empty", "value": True}, True),
        ({"field": "title", "op": "is_empty", "value": True}, False),
        ({"field": "office_ids", "op": "contains", "value": 2}, True),
        ({"field": "office_ids", "op": "contains", "value": 3}, False),
        ({"field": "deadline", "op": "lt", "value": "+3d"}, True),
        ({"field": "deadline", "op": "lt", "value": "+1d"}, False),
        ({"field": "deadline", "op": "gt", "value": "2025-03-04T00:00:00+00:00"}, True),
        ({"field": "closed_at", "op": "lt", "value": "now"}, False),
        (
            {
                "any": [
                    {"field": "amount", "op": "lt", "value": "1"},
                    {"all": [{"field": "stage_id", "op": "eq", "value": 12}]},
                ]
            },
            True,
        ),
        (
            {
                "all": [
                    {"field": "amount", "op": "gt", "value": "1"},
                    {"field": "stage_id", "op": "eq", "value": 11},
                ]
            },
            False,
        ),
    ],
)
def test_conditions(conditions: dict[str, Any], holds: bool) -> None:
    assert conditions_hold(DEAL, conditions, DEAL_RECORD, AT) is holds


def test_field_changed_with_from_and_to() -> None:
    trigger = {"on": "field_changed", "field": "amount", "to": "5000"}
    changes = {"amount": (Decimal("1000.00"), Decimal("5000.00"))}
    assert trigger_fires(DEAL, trigger, "updated", changes)
    assert not trigger_fires(DEAL, {**trigger, "from": "2000"}, "updated", changes)
    assert not trigger_fires(DEAL, trigger, "updated", {"title": ("a", "b")})
    assert not trigger_fires(DEAL, trigger, "created", changes)


def test_stage_triggers() -> None:
    moved = {"stage_id": (10, 11)}
    assert trigger_fires(DEAL, {"on": "stage_entered", "stage_id": 11}, "updated", moved)
    assert not trigger_fires(DEAL, {"on": "stage_entered", "stage_id": 12}, "updated", moved)
    assert trigger_fires(DEAL, {"on": "stage_left", "stage_id": 10}, "updated", moved)
    assert trigger_fires(DEAL, {"on": "stage_left"}, "updated", moved)
    created = {"stage_id": (None, 11)}
    assert trigger_fires(DEAL, {"on": "stage_entered", "stage_id": 11}, "created", created)
    assert not trigger_fires(DEAL, {"on": "stage_left"}, "created", created)
    assert trigger_fires(DEAL, {"on": "updated"}, "updated", moved)
    assert not trigger_fires(DEAL, {"on": "updated"}, "created", created)


def _spec(
    name: str, trigger: dict[str, Any], *actions: dict[str, Any], entity: RuleEntity = DEAL
) -> RuleSpec:
    return RuleSpec(name, entity, trigger, list(actions))


def test_loops_are_found_through_other_rules() -> None:
    a = _spec("A", {"on": "stage_entered", "stage_id": 11}, {"do": "move_stage", "stage_id": 12})
    b = _spec("B", {"on": "stage_entered", "stage_id": 12}, {"do": "move_stage", "stage_id": 11})
    c = _spec("C", {"on": "stage_entered", "stage_id": 12}, {"do": "create_task", "title": "x"})
    assert find_loop([a, b], "A") == ["A", "B", "A"]
    assert find_loop([a, c], "A") is None
    tasks = _spec(
        "T", {"on": "created"}, {"do": "create_task", "title": "x"}, entity=RuleEntity.TASK
    )
    assert find_loop([tasks], "T") == ["T", "T"]
    values = _spec(
        "V",
        {"on": "field_changed", "field": "title", "to": "done"},
        {"do": "set_field", "field": "title", "value": "other"},
    )
    assert find_loop([values], "V") is None  # it sets a value its trigger does not wait for
    clock = _spec(
        "K", {"on": "schedule", "cron": "* * * * *"}, {"do": "move_stage", "stage_id": 11}
    )
    assert find_loop([clock, a], "K") is None


def test_cron_counts_days_as_cron_does() -> None:
    monday = cron_trigger("0 9 * * 1", "Europe/Moscow")
    fire = monday.get_next_fire_time(None, AT)
    assert fire is not None
    assert fire.weekday() == 0
    assert fire.hour == 9
    sunday = cron_trigger("0 9 * * 0", "UTC").get_next_fire_time(None, AT)
    assert sunday is not None
    assert sunday.weekday() == 6
    weekdays = cron_trigger("30 8 * * 1-5", "UTC")
    assert last_fire(weekdays, AT, AT + timedelta(days=7)) == datetime(
        2025, 3, 10, 8, 30, tzinfo=UTC
    )


def test_due_moments() -> None:
    before = {"on": "time", "field": "deadline", "before": "3d"}
    assert due_moments(before, AT, "UTC", AT) == [AT - timedelta(days=3)]
    yearly = {"on": "time", "field": "birthday", "yearly": True, "at": "10:00"}
    moments = due_moments(yearly, date(1992, 2, 29), "Europe/Moscow", AT)
    assert moments[1] == datetime(2025, 2, 28, 7, 0, tzinfo=UTC)
    once = {"on": "time", "field": "birthday", "after": "1d"}
    assert due_moments(once, date(2025, 3, 5), "UTC", AT) == [
        datetime(2025, 3, 6, 9, 0, tzinfo=UTC)
    ]


def test_signatures() -> None:
    header = sign(b"key", 1700000000, b'{"a":1}')
    assert header.startswith("sha256=")
    assert len(header) == 7 + 64
    assert signature_valid(b"key", 1700000000, b'{"a":1}', header)
    assert not signature_valid(b"key", 1700000001, b'{"a":1}', header)
    assert not signature_valid(b"key", 1700000000, b'{"a":2}', header)
