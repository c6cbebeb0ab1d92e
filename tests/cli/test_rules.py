"""`voronka rules apply` and `voronka rules list`: the example file creates the four rules,
applying it again changes nothing, --dry-run only prints the plan, and a bad file writes nothing
and says what is wrong, one line per problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.rules import RulesFileError, apply_rules, replay, rule_lines
from models.entities import Rule, RuleEntity, RuleRun, RunOutcome, Task
from models.ops.templates import install_default_templates
from tests.cli.conftest import Voronka
from tests.factories import SALES_STAGES, Org, make_deal, make_org, make_pipeline, make_rule

EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "rules.yaml"
NAMES = [
    "Спасибо и КП, когда сделка в работе",
    "Новый лид — самому свободному менеджеру офиса",
    "Больше 5 дней в «Переговорах» — задача руководителю",
    "Поздравить с днём рождения",
]


@pytest.fixture
async def ready(db: str) -> Org:
    org = await make_org()
    await make_pipeline(stages=SALES_STAGES)
    await install_default_templates()
    return org


@pytest.mark.usefixtures("ready")
async def test_the_example_file_applies_once(tmp_path: Path) -> None:
    planned = await apply_rules(EXAMPLE, dry_run=True)
    assert planned.lines == [f"создано / created: «{name}»" for name in NAMES]
    assert await Rule.all().count() == 0

    applied = await apply_rules(EXAMPLE, dry_run=False)
    assert applied.lines == planned.lines
    rules = {r.name: r for r in await Rule.all()}
    assert set(rules) == set(NAMES)
    birthday = rules["Поздравить с днём рождения"]
    assert birthday.entity == RuleEntity.CONTACT
    assert birthday.trigger == {"on": "time", "field": "birthday", "yearly": True, "at": "10:00"}

    again = await apply_rules(EXAMPLE, dry_run=False)
    assert again.lines == [f"без изменений / unchanged: «{name}»" for name in NAMES]
    assert {r.name: r.version for r in await Rule.all()} == dict.fromkeys(NAMES, 1)

    changed = tmp_path / "rules.yaml"
    changed.write_text(
        EXAMPLE.read_text(encoding="utf-8").replace("due_in: 1d", "due_in: 2d"), encoding="utf-8"
    )
    assert (await apply_rules(changed, dry_run=False)).lines[2] == (
        "изменено / updated: «Больше 5 дней в «Переговорах» — задача руководителю» (actions)"
    )
    assert len(await rule_lines()) == 4


@pytest.mark.usefixtures("ready")
async def test_a_bad_file_writes_nothing_and_names_each_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        """
rules:
  - name: Хороший
    entity: deal
    trigger: {on: created}
    actions: [{do: create_task, title: Позвонить}]
  - name: Плохой
    entity: deal
    trigger: {on: schedule, cron: "every monday"}
    conditions: {field: colour, op: eq, value: red}
    actions: [{do: set_field, field: amount, value: 1}]
""",
        encoding="utf-8",
    )
    with pytest.raises(RulesFileError) as error:
        await apply_rules(bad, dry_run=False)
    assert error.value.lines == [
        "bad.yaml: rule «Плохой»: trigger.cron: Неверное cron-выражение: expected 5 fields, got 2",
        "bad.yaml: rule «Плохой»: conditions.field: Нет такого поля у этой записи.",
    ]
    assert await Rule.all().count() == 0


async def test_unreadable_files_are_one_line(tmp_path: Path, db: str) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("rules:\n  - name: [unclosed\n", encoding="utf-8")
    with pytest.raises(RulesFileError) as error:
        await apply_rules(broken, dry_run=False)
    [line] = error.value.lines
    assert line.startswith("broken.yaml: line 3: not valid YAML")
    twice = tmp_path / "twice.yaml"
    twice.write_text("- {name: A}\n- {name: A}\n- 3\n", encoding="utf-8")
    with pytest.raises(RulesFileError) as error:
        await apply_rules(twice, dry_run=False)
    assert error.value.lines == [
        "twice.yaml: rule «A»: the name is used twice",
        "twice.yaml: rule 3: expected a mapping with a `name`",
    ]


def test_voronka_rules_apply_on_the_demo_account(voronka: Voronka) -> None:
    assert voronka("demo").returncode == 0
    # Without the default templates the messages of two rules have nothing to be written from.
    refused = voronka("rules", "apply", str(EXAMPLE))
    assert refused.returncode == 2
    assert refused.stderr.splitlines() == [
        f"voronka: rules.yaml: rule «{NAMES[0]}»: actions.0.purpose: "
        "Нет активного шаблона с таким назначением.",
        f"voronka: rules.yaml: rule «{NAMES[3]}»: actions.0.purpose: "
        "Нет активного шаблона с таким назначением.",
    ]
    assert voronka("migrate").returncode == 0  # installs the default templates
    dry = voronka("rules", "apply", str(EXAMPLE), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "Nothing changed (--dry-run)" in dry.stdout
    assert voronka("rules", "list").stdout.strip() == "Правил нет / No rules"
    applied = voronka("rules", "apply", str(EXAMPLE))
    assert applied.returncode == 0, applied.stderr
    assert applied.stdout.count("created") == 4
    again = voronka("rules", "apply", str(EXAMPLE))
    assert again.stdout.count("unchanged") == 4
    listed = voronka("rules", "list").stdout.splitlines()
    assert len(listed) == 4
    assert any("schedule" not in line and "birthday" in line for line in listed)
    missing = voronka("rules", "apply", "no-such-file.yaml")
    assert missing.returncode == 2
    assert missing.stderr.strip().splitlines() == [
        "voronka: no-such-file.yaml: No such file or directory"
    ]


async def test_replay_describes_the_replayed_run_on_one_line(ready: Org) -> None:
    rule = await make_rule(
        trigger={"on": "created"}, actions=[{"do": "create_task", "title": "Позвонить"}]
    )
    await make_deal(ready.manager)
    run = await RuleRun.get(rule_id=rule.id)
    results = [{**run.results[0], "status": "failed", "detail": "no head"}]
    await RuleRun.filter(id=run.id).update(outcome=RunOutcome.DEAD, attempts=5, results=results)
    line = await replay(run.id)
    assert line.startswith(f"{run.id}\tok\t1\t0 create_task ok: task ")
    assert await Task.all().count() == 2


def test_replaying_no_such_run_is_one_line(voronka: Voronka) -> None:
    assert voronka("migrate").returncode == 0
    missing = voronka("rules", "replay", "999", VORONKA_LANGUAGE="en")
    assert missing.returncode == 2
    assert missing.stderr.strip() == "voronka: Not found."
