"""`voronka rules apply rules.yaml`, `voronka rules list` and `voronka rules replay <run>`.

The file holds a list of rules (under `rules:`, or at the top), each with the fields of
`POST /v1/rules` (`office:` may name the office). Rules are matched by name: a new name is
created, a changed rule updated, an equal one left alone, so applying a file twice changes
nothing. Rules missing from the file stay as they are. Everything is checked and written in one
transaction: one refused rule writes nothing, and each problem is one line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml
from tortoise.transactions import in_transaction

from models.actor import Actor
from models.entities import Office, Rule, RuleRun, RunOutcome
from models.errors import ValidationFailed
from models.ops.automation import replay_run
from models.ops.rules import check_rule_values, create_rule, rule_named, update_rule
from models.settings import get_settings


class RulesFileError(Exception):
    """The file cannot be read or refused rules: one line per problem."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        super().__init__("\n".join(lines))


class _Loader(yaml.SafeLoader):
    """YAML 1.1 reads `on`, `off`, `yes` and `no` as booleans, so `trigger: {on: created}`
    would lose its key: only true and false are booleans here."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_ALIASES = {"active": "is_active"}
_DEFAULTS: dict[str, Any] = {
    "description": "",
    "conditions": {},
    "is_active": True,
    "office_id": None,
}


def _plain(value: Any) -> Any:
    """YAML dates and times as the ISO text the API takes."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def read_rules(path: Path) -> list[dict[str, Any]]:
    name = path.name
    try:
        loaded = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except OSError as error:
        raise RulesFileError([f"{path}: {error.strerror or error}"]) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        raise RulesFileError([f"{name}:{where}: not valid YAML: {problem}"]) from None
    items = loaded.get("rules") if isinstance(loaded, dict) else loaded
    if not isinstance(items, list):
        raise RulesFileError([f"{name}: expected a list of rules (under `rules:`)"])
    rules, problems, seen = [], [], set()
    for index, item in enumerate(items, 1):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            problems.append(f"{name}: rule {index}: expected a mapping with a `name`")
            continue
        if item["name"] in seen:
            problems.append(f"{name}: rule «{item['name']}»: the name is used twice")
        seen.add(item["name"])
        rules.append({_ALIASES.get(str(k), str(k)): _plain(v) for k, v in item.items()})
    if problems:
        raise RulesFileError(problems)
    return rules


@dataclass
class Plan:
    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


async def _office(values: dict[str, Any]) -> None:
    office = values.pop("office", None)
    if office is None:
        return
    found = await Office.filter(name=office).first() if isinstance(office, str) else None
    values["office_id"] = found.id if found else (office if isinstance(office, int) else -1)


def _changed(rule: Rule, columns: Mapping[str, Any]) -> list[str]:
    return [name for name, value in columns.items() if getattr(rule, name) != value]


async def apply_rules(path: Path, *, dry_run: bool) -> Plan:
    """Create or update each rule of the file by name, in one transaction (rolled back for a
    dry run or when any rule is refused)."""
    rules = read_rules(path)
    system = Actor.system(get_settings().language)
    language = get_settings().language
    plan = Plan()
    try:
        async with in_transaction():
            for values in rules:
                name = values["name"]
                await _office(values)
                # The file describes the whole rule: what it leaves out is reset, not kept.
                values = {**_DEFAULTS, **values}
                existing = await rule_named(system, name)
                try:
                    if existing is None:
                        await create_rule(system, values)
                        plan.lines.append(f"создано / created: «{name}»")
                        continue
                    columns = await check_rule_values(system, values, existing)
                    changed = _changed(existing, columns)
                    if not changed:
                        plan.lines.append(f"без изменений / unchanged: «{name}»")
                        continue
                    await update_rule(system, existing.id, values, version=existing.version)
                    plan.lines.append(f"изменено / updated: «{name}» ({', '.join(changed)})")
                except ValidationFailed as error:
                    plan.problems.extend(
                        f"{path.name}: rule «{name}»: {e.field}: {e.message.get(language)}"
                        for e in error.errors
                    )
            if dry_run or plan.problems:
                raise _RollBack()
    except _RollBack:
        pass
    if plan.problems:
        raise RulesFileError(plan.problems)
    return plan


class _RollBack(Exception):
    pass


async def rule_lines() -> list[str]:
    """One line per rule: id, on/off, entity, trigger, runs ok/failed/dead, name."""
    lines = []
    for rule in await Rule.all().order_by("name"):
        counts = {}
        for outcome in (RunOutcome.OK, RunOutcome.FAILED, RunOutcome.DEAD):
            counts[outcome] = await RuleRun.filter(
                rule_id=rule.id, outcome=outcome, dry_run=False
            ).count()
        trigger = rule.trigger.get("on", "?")
        detail = rule.trigger.get("cron") or rule.trigger.get("field") or ""
        runs = "/".join(str(counts[o]) for o in (RunOutcome.OK, RunOutcome.FAILED, RunOutcome.DEAD))
        lines.append(
            f"{rule.id:>5}  {'on ' if rule.is_active else 'off'}  {rule.entity:<7}  "
            f"{(trigger + ' ' + detail).strip():<28}  {runs:>9}  {rule.name}"
        )
    return lines


async def replay(run_id: int) -> str:
    """Replay a dead run (models.ops.automation.replay_run) and describe it on one line: id,
    outcome, attempts, then each action's status and detail."""
    rule_id = await RuleRun.filter(id=run_id).values_list("rule_id", flat=True)
    run = await replay_run(Actor.system(), int(rule_id[0]) if rule_id else 0, run_id)
    actions = "; ".join(f"{r['index']} {r['do']} {r['status']}: {r['detail']}" for r in run.results)
    return f"{run.id}\t{run.outcome}\t{run.attempts}\t{actions}"
