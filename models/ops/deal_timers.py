"""Stage timers, deadlines and quiet deals: what the clock tells owners and heads about deals
and leads, once each.

- A deal past its stage's planned duration (`Stage.planned_days`): the owner is told; after
  `VORONKA_STAGE_ESCALATE_AFTER_HOURS` more, the nearest head too. Once per stage entry.
- A deal's or lead's deadline: the owner is told `VORONKA_DEADLINE_WARN_HOURS` before it and
  when it comes. Once per deadline value: a moved deadline is told about again.
- An open deal with no interaction for the pipeline's `stale_after_days` (else
  `VORONKA_QUIET_DAYS`): the owner is told. Once per silence: a new interaction starts another.

The rules are the ones /v1/me/today shows (`models/rules/timing.py`). What was told is kept on
the row as the value it was about (`Deal.stage_noticed_for` = the `stage_entered_at` told
about, and so on); a notice is claimed by one conditional UPDATE from "not this value" to this
value, so two schedulers (or a repeated run) tell it once, and its outbox dedup key names the
value too. Each notice is one short transaction: a failing one is logged and tried on the
next run; it never stops the others.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.expressions import F, Q
from tortoise.models import Model
from tortoise.transactions import in_transaction

from models.clock import now
from models.entities import Deal, Lead, LeadStatus, Pipeline, User
from models.ops.reminders import local_time, moment_key, zones_of
from models.ops.user_notices import Button, Notice, notify_user
from models.queries.heads import nearest_head
from models.rules.timing import (
    deadline_phase,
    gone_quiet,
    quiet_since,
    stage_escalation_due,
    stage_overdue,
    time_in_stage,
)
from models.settings import get_settings
from models.text import Text

log = logging.getLogger(__name__)

STAGE_PURPOSE = "deal_stage_overdue"
STAGE_HEAD_PURPOSE = "deal_stage_escalation"
DEADLINE_PURPOSE = "deadline"
QUIET_PURPOSE = "deal_quiet"

_OPEN_DEAL = Text("Открыть сделку", "Open the deal")
_STAGE_TITLE = Text("Сделка дольше срока в этапе", "Deal over its stage time")
_STAGE_BODY = Text(
    "«{title}»: {days} дн. в этапе «{stage}», по плану {planned} дн.",
    "“{title}”: {days} days in “{stage}”, planned {planned}.",
)
_STAGE_HEAD_TITLE = Text("Сделка застряла", "A deal is stuck")
_STAGE_HEAD_BODY = Text(
    "{owner}: «{title}» {days} дн. в этапе «{stage}», по плану {planned} дн.",
    "{owner}: “{title}” {days} days in “{stage}”, planned {planned}.",
)
_DEADLINE_SOON = Text("Скоро срок", "Deadline coming")
_DEADLINE_NOW = Text("Срок наступил", "Deadline reached")
_DEAL_DEADLINE = Text("Сделка «{title}»: срок {when}.", "Deal “{title}”: due {when}.")
_LEAD_DEADLINE = Text("Заявка «{title}»: срок {when}.", "Lead “{title}”: due {when}.")
_QUIET_TITLE = Text("Нет контакта по сделке", "No contact on a deal")
_QUIET_BODY = Text(
    "«{title}»: ни одного контакта {days} дн. (с {since}).",
    "“{title}”: no interaction for {days} days (since {since}).",
)


def open_deal_button(deal_id: int) -> Button:
    # The bot's OpenCard (bots/telegram/callbacks.py) unpacks "open:deal:<id>".
    return Button(_OPEN_DEAL, f"open:deal:{deal_id}")


def _say(text: Text, language: str, **values: object) -> str:
    return text.get(language).format(**values)


@dataclass(frozen=True, slots=True)
class TimerSettings:
    stage_escalate_after: timedelta
    deadline_warn: timedelta
    quiet_days: int

    @classmethod
    def current(cls) -> TimerSettings:
        settings = get_settings()
        return cls(
            stage_escalate_after=timedelta(hours=settings.stage_escalate_after_hours),
            deadline_warn=timedelta(hours=settings.deadline_warn_hours),
            quiet_days=settings.quiet_days,
        )


async def _claim(model: type[Model], row_id: int, column: str, value: datetime) -> bool:
    """Mark `column` as told about `value`, unless it already is: True for the one who did."""
    isnull: dict[str, Any] = {f"{column}__isnull": True}
    same: dict[str, Any] = {column: value}
    unmarked = Q(**isnull) | ~Q(**same)
    return await model.filter(unmarked, id=row_id).update(**{column: value}) == 1


async def _one(what: str, row_id: int, work: Callable[[], Awaitable[bool]]) -> int:
    """One notice in its own transaction; a failure is logged and left for the next run."""
    try:
        async with in_transaction():
            return int(await work())
    except Exception:
        log.exception("%s of %d failed; tried again on the next run", what, row_id)
        return 0


async def _user(user_id: int) -> tuple[User, str]:
    user = await User.get(id=user_id)
    return user, (await zones_of([user]))[user.id]


async def stage_timers(timers: TimerSettings) -> int:
    """Owners of deals over their stage time, and then their heads. Returns notices claimed."""
    at = now()
    # A stage entry already escalated is done with: only the others are read.
    pending = Q(stage_escalated_for__isnull=True) | ~Q(stage_escalated_for=F("stage_entered_at"))
    rows = await Deal.filter(
        pending, closed_at__isnull=True, stage__planned_days__isnull=False
    ).values(
        "id",
        "title",
        "owner_id",
        "stage_entered_at",
        "stage_noticed_for",
        "stage_escalated_for",
        planned="stage__planned_days",
        stage_name="stage__name",
    )
    told = 0
    for row in rows:
        entered, planned = row["stage_entered_at"], row["planned"]
        if row["stage_noticed_for"] != entered and stage_overdue(entered, planned, at):
            told += await _one("stage reminder", row["id"], _owner_stage(row, at))
        due = stage_escalation_due(entered, planned, timers.stage_escalate_after, at)
        if row["stage_escalated_for"] != entered and due:
            told += await _one("stage escalation", row["id"], _head_stage(row, at))
    return told


def _stage_values(row: dict[str, Any], at: datetime) -> dict[str, object]:
    return {
        "title": row["title"],
        "stage": row["stage_name"],
        "days": time_in_stage(row["stage_entered_at"], at).days,
        "planned": row["planned"],
    }


def _owner_stage(row: dict[str, Any], at: datetime) -> Callable[[], Awaitable[bool]]:
    async def work() -> bool:
        entered = row["stage_entered_at"]
        if not await _claim(Deal, row["id"], "stage_noticed_for", entered):
            return False
        owner, _ = await _user(row["owner_id"])
        body = _say(_STAGE_BODY, owner.language, **_stage_values(row, at))
        notice = Notice(
            purpose=STAGE_PURPOSE,
            title=_STAGE_TITLE,
            body=Text(body, body),
            buttons=((open_deal_button(row["id"]),),),
            data={"kind": STAGE_PURPOSE, "deal_id": str(row["id"])},
        )
        await notify_user(owner, notice, dedup_key=f"deal:{row['id']}:stage:{moment_key(entered)}")
        return True

    return work


def _head_stage(row: dict[str, Any], at: datetime) -> Callable[[], Awaitable[bool]]:
    async def work() -> bool:
        entered = row["stage_entered_at"]
        if not await _claim(Deal, row["id"], "stage_escalated_for", entered):
            return False
        head = await nearest_head(row["owner_id"])
        if head is None:
            log.info("deal %d is stuck, but its owner has no head to tell", row["id"])
            return True
        owner = await User.get(id=row["owner_id"])
        body = _say(
            _STAGE_HEAD_BODY, head.language, owner=owner.full_name, **_stage_values(row, at)
        )
        notice = Notice(
            purpose=STAGE_HEAD_PURPOSE,
            title=_STAGE_HEAD_TITLE,
            body=Text(body, body),
            buttons=((open_deal_button(row["id"]),),),
            data={"kind": STAGE_HEAD_PURPOSE, "deal_id": str(row["id"])},
        )
        key = f"deal:{row['id']}:stage-head:{moment_key(entered)}"
        await notify_user(head, notice, dedup_key=key)
        return True

    return work


async def deadlines(timers: TimerSettings) -> int:
    """Owners of open deals and leads whose deadline is near or has come. Returns claimed."""
    at = now()
    horizon = at + timers.deadline_warn
    told = 0
    for model, kind in ((Deal, "deal"), (Lead, "lead")):
        # A deadline told about when it came is done with: only the others are read.
        query = model.filter(
            Q(deadline_noticed_for__isnull=True) | ~Q(deadline_noticed_for=F("deadline")),
            deadline__lte=horizon,
        )
        if model is Deal:
            query = query.filter(closed_at__isnull=True)
        else:
            query = query.filter(status__in=(LeadStatus.NEW, LeadStatus.IN_PROGRESS))
        rows = await query.values(
            "id", "title", "owner_id", "deadline", "deadline_warned_for", "deadline_noticed_for"
        )
        for row in rows:
            phase = deadline_phase(row["deadline"], timers.deadline_warn, at)
            column = {"before": "deadline_warned_for", "at": "deadline_noticed_for"}.get(
                phase or ""
            )
            if column is None or row[column] == row["deadline"]:
                continue
            told += await _one(f"{kind} deadline", row["id"], _deadline(model, kind, row, column))
    return told


def _deadline(
    model: type[Model], kind: str, row: dict[str, Any], column: str
) -> Callable[[], Awaitable[bool]]:
    async def work() -> bool:
        deadline = row["deadline"]
        if not await _claim(model, row["id"], column, deadline):
            return False
        owner, zone = await _user(row["owner_id"])
        language = owner.language
        came = column == "deadline_noticed_for"
        body = _say(
            _DEAL_DEADLINE if kind == "deal" else _LEAD_DEADLINE,
            language,
            title=row["title"],
            when=local_time(deadline, zone, language),
        )
        buttons = ((open_deal_button(row["id"]),),) if kind == "deal" else ()
        notice = Notice(
            purpose=DEADLINE_PURPOSE,
            title=_DEADLINE_NOW if came else _DEADLINE_SOON,
            body=Text(body, body),
            buttons=buttons,
            data={"kind": DEADLINE_PURPOSE, f"{kind}_id": str(row["id"])},
        )
        phase = "at" if came else "before"
        key = f"{kind}:{row['id']}:deadline-{phase}:{moment_key(deadline)}"
        await notify_user(owner, notice, dedup_key=key)
        return True

    return work


async def quiet_deals(timers: TimerSettings) -> int:
    """Owners of open deals nobody has been in touch about for too long. Returns claimed."""
    at = now()
    # A silence already told about is done with: only the others are read.
    untold = (
        Q(quiet_noticed_for__isnull=True)
        | Q(~Q(quiet_noticed_for=F("created_at")), last_interaction_at__isnull=True)
        | Q(~Q(quiet_noticed_for=F("last_interaction_at")), last_interaction_at__isnull=False)
    )
    rows = await Deal.filter(untold, closed_at__isnull=True).values(
        "id",
        "title",
        "owner_id",
        "created_at",
        "last_interaction_at",
        "quiet_noticed_for",
        "pipeline_id",
    )
    own_days = dict(await Pipeline.all().values_list("id", "stale_after_days"))
    told = 0
    for row in rows:
        days = own_days.get(row["pipeline_id"]) or timers.quiet_days
        since = quiet_since(row["last_interaction_at"], row["created_at"])
        if row["quiet_noticed_for"] == since:
            continue
        if gone_quiet(row["last_interaction_at"], row["created_at"], days, at):
            told += await _one("quiet deal", row["id"], _quiet(row, since, at))
    return told


def _quiet(row: dict[str, Any], since: datetime, at: datetime) -> Callable[[], Awaitable[bool]]:
    async def work() -> bool:
        if not await _claim(Deal, row["id"], "quiet_noticed_for", since):
            return False
        owner, zone = await _user(row["owner_id"])
        language = owner.language
        body = _say(
            _QUIET_BODY,
            language,
            title=row["title"],
            days=(at - since).days,
            since=local_time(since, zone, language),
        )
        notice = Notice(
            purpose=QUIET_PURPOSE,
            title=_QUIET_TITLE,
            body=Text(body, body),
            buttons=((open_deal_button(row["id"]),),),
            data={"kind": QUIET_PURPOSE, "deal_id": str(row["id"])},
        )
        await notify_user(owner, notice, dedup_key=f"deal:{row['id']}:quiet:{moment_key(since)}")
        return True

    return work
