"""Absences: planned or sudden, the hand-over of the absent user's open work, and the offer to
take it back on return.

Who may declare or change an absence: the user themself, a head for users of their office tree,
an admin (`visible_absences`). At the start (`hand_over`, run by the clock once per absence, or
at once for a sudden absence) the user's open tasks, deals and leads move to one substitute:
the deputy when one is given and free, otherwise by the hand-over policy (`HandoverPolicy`):
the nearest head of the user's office tree or the least-loaded free colleague of the office,
each trying the other next. Each moved item is a `Handover` row and an audit entry. After the
end (`offer_return`) the user gets one notice with Take back · Leave; `settle_return` acts on
the answer once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from tortoise.models import Model
from tortoise.queryset import QuerySet

from models.actor import Actor
from models.audit import audit_changes, audit_created, audit_event
from models.clock import now
from models.entities import (
    Absence,
    Deal,
    Handover,
    Lead,
    LeadStatus,
    Role,
    Task,
    TaskStatus,
    User,
)
from models.errors import FieldError, FieldErrors, NotFound, ValidationFailed
from models.ops import fields as f
from models.ops.user_notices import Button, Notice, notify_user
from models.ops.versioning import update_versioned
from models.queries.heads import nearest_head
from models.queries.workload import least_loaded_user
from models.scope import subtree_filter, visible_users
from models.text import Text

ENTITY = "absence"
HandoverPolicy = Literal["head", "least_loaded"]
HANDOVER_POLICIES: tuple[HandoverPolicy, ...] = ("head", "least_loaded")
FIELDS = {"user_id", "starts_at", "ends_at", "reason", "deputy_id"}
SUDDEN_FIELDS = FIELDS - {"starts_at"}
# The bot's `HandoverChoice` callback data packs to the same text (prefix, act, absence id).
CALLBACK_PREFIX = "ho"
TAKE_BACK = "back"
LEAVE = "leave"
# A return notice lists this many items, then says how many more there are.
NOTICE_ITEMS = 15

_OPEN_LEADS = (LeadStatus.NEW, LeadStatus.IN_PROGRESS)
_BEFORE_START = Text(
    "Конец отсутствия должен быть позже начала.", "The absence must end after it starts."
)
_ENDS_IN_PAST = Text("Конец отсутствия уже прошёл.", "The end of the absence has already passed.")
_OVERLAP = Text(
    "В эти даты у сотрудника уже есть отсутствие.",
    "The user is already absent for part of this time.",
)
_SELF_DEPUTY = Text("Сотрудник не может замещать сам себя.", "A user cannot be their own deputy.")
_CANCELLED = Text("Отсутствие отменено.", "The absence was cancelled.")
_ENDED = Text("Отсутствие уже закончилось.", "The absence has already ended.")
_STARTED = Text(
    "Отсутствие уже началось: начало не меняется.",
    "The absence has started: its start cannot change.",
)
_NOT_SHORTER = Text(
    "Новый конец должен быть раньше прежнего.", "The new end must be earlier than the current one."
)
_NOT_RETURNED = Text(
    "Вернуть работу можно после конца отсутствия.",
    "The work can be taken back after the absence ends.",
)
_NOTHING_MOVED = Text("За время отсутствия ничего не передавалось.", "Nothing was handed over.")
_SETTLED = Text("Вы уже ответили на это предложение.", "This offer has already been answered.")

_KIND_NAMES = {
    "task": Text("Задача", "Task"),
    "deal": Text("Сделка", "Deal"),
    "lead": Text("Заявка", "Lead"),
}


def handover_callback(act: str, absence_id: int) -> str:
    return f"{CALLBACK_PREFIX}:{act}:{absence_id}"


def visible_absences(actor: Actor) -> QuerySet[Absence]:
    """Absences the actor may see and manage: their own (managers), those of their office tree
    (heads), all (admins and the system)."""
    if actor.sees_everything:
        return Absence.all()
    if actor.role is Role.HEAD:
        return Absence.filter(subtree_filter(actor, "user__"))
    return Absence.filter(user_id=actor.user_id)


async def get_absence(actor: Actor, absence_id: int) -> Absence:
    found = await visible_absences(actor).get_or_none(id=absence_id)
    if found is None:
        raise NotFound(ENTITY, absence_id)
    return found


async def _absent_user(actor: Actor, user_id: Any, errors: FieldErrors) -> User | None:
    """The user the absence is for, if the actor may declare it: themself, a user of a head's
    office tree, anyone for an admin."""
    if not isinstance(user_id, int) or isinstance(user_id, bool):
        errors.add("user_id", "not_found", f.NOT_FOUND_REF)
        return None
    query = User.filter(id=user_id, is_active=True)
    if actor.role is Role.MANAGER:
        query = query.filter(id=actor.user_id)
    elif not actor.sees_everything:
        query = query.filter(subtree_filter(actor))
    user = await query.first()
    if user is None:
        errors.add("user_id", "not_found", f.NOT_FOUND_REF)
    return user


async def _deputy(
    actor: Actor, values: Mapping[str, Any], user_id: int | None, errors: FieldErrors
) -> int | None:
    deputy_id = values.get("deputy_id")
    if deputy_id is None:
        return None
    if not isinstance(deputy_id, int) or isinstance(deputy_id, bool):
        errors.add("deputy_id", "not_found", f.NOT_FOUND_REF)
        return None
    if deputy_id == user_id:
        errors.add("deputy_id", "self", _SELF_DEPUTY)
        return None
    if not await visible_users(actor).filter(id=deputy_id, is_active=True).exists():
        errors.add("deputy_id", "not_found", f.NOT_FOUND_REF)
        return None
    return deputy_id


async def _check_period(
    user_id: int | None,
    starts_at: datetime | None,
    ends_at: datetime | None,
    errors: FieldErrors,
    *,
    exclude_id: int | None = None,
) -> None:
    if starts_at is None or ends_at is None:
        return
    if ends_at <= starts_at:
        errors.add("ends_at", "before_start", _BEFORE_START)
        return
    if ends_at <= now():
        errors.add("ends_at", "in_past", _ENDS_IN_PAST)
        return
    if user_id is None:
        return
    others = Absence.filter(
        user_id=user_id, cancelled_at=None, starts_at__lt=ends_at, ends_at__gt=starts_at
    )
    if exclude_id is not None:
        others = others.exclude(id=exclude_id)
    if await others.exists():
        errors.add("starts_at", "overlap", _OVERLAP)
        errors.add("ends_at", "overlap", _OVERLAP)


async def _create(
    actor: Actor, values: Mapping[str, Any], allowed: set[str], starts_at: datetime | None
) -> Absence:
    errors = FieldErrors()
    f.reject_unknown(values, allowed, errors)
    if actor.user_id is not None:
        values = {"user_id": actor.user_id, **values}
    for name in ("user_id", "ends_at", *(() if starts_at is not None else ("starts_at",))):
        if values.get(name) is None:
            errors.add(name, "required", f.REQUIRED)
    user = None
    if values.get("user_id") is not None:
        user = await _absent_user(actor, values["user_id"], errors)
    if starts_at is None and values.get("starts_at") is not None:
        starts_at = f.aware_datetime(values["starts_at"], "starts_at", errors)
    ends_at = None
    if values.get("ends_at") is not None:
        ends_at = f.aware_datetime(values["ends_at"], "ends_at", errors)
    reason = f.text_field(values, "reason", 200, errors) or ""
    deputy_id = await _deputy(actor, values, user.id if user else None, errors)
    await _check_period(user.id if user else None, starts_at, ends_at, errors)
    errors.raise_if_any()
    assert user is not None
    assert starts_at is not None
    assert ends_at is not None
    columns: dict[str, Any] = {
        "user_id": user.id,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "reason": reason,
        "deputy_id": deputy_id,
    }
    absence = await Absence.create(
        **columns, sudden="starts_at" not in allowed, created_by_id=actor.user_id
    )
    await audit_created(actor, ENTITY, absence.id, {**columns, "sudden": absence.sudden})
    return absence


async def plan_absence(actor: Actor, values: Mapping[str, Any]) -> Absence:
    """A planned absence (user_id, by default the actor, starts_at, ends_at, reason, deputy_id):
    refused when it ends
    before it starts, has ended already or overlaps another absence of the user. The clock hands
    the work over when it starts."""
    return await _create(actor, values, FIELDS, None)


async def declare_sudden_absence(
    actor: Actor, values: Mapping[str, Any], *, policy: HandoverPolicy = "head"
) -> Absence:
    """An absence from now (user_id, ends_at, reason, deputy_id): the work is handed over at
    once, in the caller's transaction."""
    absence = await _create(actor, values, SUDDEN_FIELDS, now())
    await hand_over(absence.id, policy=policy)
    return await Absence.get(id=absence.id)


async def cancel_absence(actor: Actor, absence_id: int) -> Absence:
    """Before the hand-over the absence is cancelled; after it, it ends now, and the user is
    offered the work back on the clock's next tick."""
    absence = await get_absence(actor, absence_id)
    at = now()
    _refuse_closed(absence, at)
    if absence.handed_over_at is None:
        await Absence.filter(id=absence.id).update(cancelled_at=at, updated_at=at)
        await audit_changes(actor, ENTITY, absence.id, {"cancelled_at": (None, at)})
        absence.cancelled_at = at
    else:
        await Absence.filter(id=absence.id).update(ends_at=at, updated_at=at)
        await audit_changes(actor, ENTITY, absence.id, {"ends_at": (absence.ends_at, at)})
        absence.ends_at = at
    return absence


async def shorten_absence(actor: Actor, absence_id: int, ends_at: datetime) -> Absence:
    """Bring the end of an absence forward, to now at the earliest."""
    absence = await get_absence(actor, absence_id)
    at = now()
    _refuse_closed(absence, at)
    errors = FieldErrors()
    if f.aware_datetime(ends_at, "ends_at", errors) is not None:
        if ends_at >= absence.ends_at:
            errors.add("ends_at", "not_shorter", _NOT_SHORTER)
        elif ends_at <= absence.starts_at:
            errors.add("ends_at", "before_start", _BEFORE_START)
        elif ends_at < at:
            errors.add("ends_at", "in_past", _ENDS_IN_PAST)
    errors.raise_if_any()
    await Absence.filter(id=absence.id).update(ends_at=ends_at, updated_at=at)
    await audit_changes(actor, ENTITY, absence.id, {"ends_at": (absence.ends_at, ends_at)})
    absence.ends_at = ends_at
    return absence


def _refuse_closed(absence: Absence, at: datetime) -> None:
    if absence.cancelled_at is not None:
        raise ValidationFailed([FieldError("status", "cancelled", _CANCELLED)])
    if absence.ends_at <= at:
        raise ValidationFailed([FieldError("status", "ended", _ENDED)])


# The hand-over


async def _absent_now(at: datetime) -> set[int]:
    rows: list[Any] = await Absence.filter(
        cancelled_at=None, starts_at__lte=at, ends_at__gt=at
    ).values_list("user_id", flat=True)
    return {int(user_id) for user_id in rows}


async def pick_substitute(absence: Absence, policy: HandoverPolicy, at: datetime) -> int | None:
    """Who takes over: the deputy if active and not away themself, else by the policy."""
    user = await User.get(id=absence.user_id)
    away = await _absent_now(at) | {user.id}
    if absence.deputy_id is not None and absence.deputy_id not in away:
        if await User.exists(id=absence.deputy_id, is_active=True):
            return absence.deputy_id
    order = ("head", "least_loaded") if policy == "head" else ("least_loaded", "head")
    for way in order:
        if way == "head":
            head = await nearest_head(user.id, skip=away)
            found = head.id if head is not None else None
        else:
            found = await least_loaded_user(user.office_id, exclude=away)
        if found is not None:
            return found
    return None


@dataclass(frozen=True, slots=True)
class _Kind:
    name: str
    model: type[Model]
    holder: str

    def open_items(self, user_id: int) -> QuerySet[Any]:
        query = self.model.filter(**{f"{self.holder}_id": user_id})
        if self.model is Task:
            return query.filter(status=TaskStatus.OPEN)
        if self.model is Deal:
            return query.filter(closed_at=None)
        return query.filter(status__in=_OPEN_LEADS)

    def is_open(self, item: Any) -> bool:
        if self.model is Task:
            return bool(item.status is TaskStatus.OPEN)
        if self.model is Deal:
            return item.closed_at is None
        return item.status in _OPEN_LEADS


KINDS = (
    _Kind("task", Task, "assignee"),
    _Kind("deal", Deal, "owner"),
    _Kind("lead", Lead, "owner"),
)
_BY_NAME = {kind.name: kind for kind in KINDS}


async def _move(actor: Actor, kind: _Kind, item: Any, to: User, action: str) -> None:
    column = f"{kind.holder}_id"
    old = getattr(item, column)
    await update_versioned(item, None, **{column: to.id, "office_id": to.office_id})
    await audit_changes(actor, kind.name, item.id, {column: (old, to.id)}, action=action)


async def hand_over(absence_id: int, *, policy: HandoverPolicy = "head") -> list[Handover]:
    """Move the absent user's open work to the substitute, once per absence: the absence is
    claimed by stamping `handed_over_at`, so a second run (or a second process) moves nothing.
    Runs only while the absence is on and not cancelled."""
    at = now()
    claimed = await Absence.filter(
        id=absence_id, handed_over_at=None, cancelled_at=None, starts_at__lte=at, ends_at__gt=at
    ).update(handed_over_at=at)
    if not claimed:
        return []
    absence = await Absence.get(id=absence_id)
    system = Actor.system()
    substitute_id = await pick_substitute(absence, policy, at)
    if substitute_id is None:
        await audit_event(system, ENTITY, absence.id, "handover", "no substitute")
        return []
    substitute = await User.get(id=substitute_id)
    moved: list[Handover] = []
    for kind in KINDS:
        for item in await kind.open_items(absence.user_id).order_by("id"):
            await _move(system, kind, item, substitute, "handover")
            moved.append(
                Handover(
                    absence_id=absence.id,
                    entity=kind.name,
                    entity_id=item.id,
                    title=item.title[:300],
                    from_user_id=absence.user_id,
                    to_user_id=substitute.id,
                    moved_at=at,
                )
            )
    if moved:
        await Handover.bulk_create(moved)
    await audit_event(
        system, ENTITY, absence.id, "handover", f"{len(moved)} to user {substitute.id}"
    )
    if moved:
        await _tell_substitute(absence, substitute, moved)
    return moved


async def _tell_substitute(absence: Absence, substitute: User, moved: Sequence[Handover]) -> None:
    absent = await User.get(id=absence.user_id)
    counts = {name: sum(1 for h in moved if h.entity == name) for name in _KIND_NAMES}
    body = Text(
        f"{absent.full_name} отсутствует: вам переданы задачи ({counts['task']}), "
        f"сделки ({counts['deal']}), заявки ({counts['lead']}).",
        f"{absent.full_name} is away: you now have their tasks ({counts['task']}), "
        f"deals ({counts['deal']}) and leads ({counts['lead']}).",
    )
    notice = Notice(
        purpose="absence_handover",
        title=Text("Вам передана работа", "Work handed over to you"),
        body=body,
        data={"absence_id": str(absence.id)},
    )
    await notify_user(substitute, notice, dedup_key=f"absence:{absence.id}:handover")


# The return


async def handovers_of(actor: Actor, absence_id: int) -> list[Handover]:
    """What was moved during the absence, in the order it was moved."""
    absence = await get_absence(actor, absence_id)
    return await Handover.filter(absence_id=absence.id).order_by("id")


async def offer_return(absence_id: int) -> bool:
    """Once the absence has ended, offer the user the work that was moved (Take back · Leave),
    once. True when this call made the offer."""
    at = now()
    claimed = await Absence.filter(
        id=absence_id, offered_at=None, handed_over_at__isnull=False, ends_at__lte=at
    ).update(offered_at=at)
    if not claimed:
        return False
    absence = await Absence.get(id=absence_id)
    moved = await Handover.filter(absence_id=absence.id).order_by("id")
    if not moved:
        return False
    user = await User.get(id=absence.user_id)
    names = dict(
        await User.filter(id__in={h.to_user_id for h in moved}).values_list("id", "full_name")
    )
    lines_ru = [
        f"{_KIND_NAMES[h.entity].ru} «{h.title}» → {names.get(h.to_user_id, '')}"
        for h in moved[:NOTICE_ITEMS]
    ]
    lines_en = [
        f"{_KIND_NAMES[h.entity].en} “{h.title}” → {names.get(h.to_user_id, '')}"
        for h in moved[:NOTICE_ITEMS]
    ]
    more = len(moved) - NOTICE_ITEMS
    if more > 0:
        lines_ru.append(f"…и ещё {more}")
        lines_en.append(f"…and {more} more")
    notice = Notice(
        purpose="absence_return",
        title=Text("С возвращением!", "Welcome back!"),
        body=Text(
            "Пока вас не было, передали:\n" + "\n".join(lines_ru) + "\nВернуть себе?",
            "While you were away, this was handed over:\n"
            + "\n".join(lines_en)
            + "\nTake it back?",
        ),
        buttons=(
            (
                Button(Text("Вернуть себе", "Take back"), handover_callback(TAKE_BACK, absence.id)),
                Button(Text("Оставить", "Leave"), handover_callback(LEAVE, absence.id)),
            ),
        ),
        data={"absence_id": str(absence.id)},
    )
    await notify_user(user, notice, dedup_key=f"absence:{absence.id}:return")
    return True


@dataclass(slots=True)
class Settlement:
    """What became of the moved work: taken back, left with the substitutes, or gone (closed or
    passed on meanwhile, so left where it is)."""

    absence: Absence
    returned: list[Handover] = field(default_factory=list)
    kept: list[Handover] = field(default_factory=list)
    gone: list[Handover] = field(default_factory=list)


async def settle_return(actor: Actor, absence_id: int, *, take_back: bool) -> Settlement:
    """Take back (the items the substitute still holds and that are still open go back to the
    user) or Leave (everything stays). Once per absence: a second answer is refused."""
    absence = await get_absence(actor, absence_id)
    at = now()
    if absence.handed_over_at is None or absence.ends_at > at or absence.cancelled_at is not None:
        raise ValidationFailed([FieldError("status", "not_returned", _NOT_RETURNED)])
    moved = await Handover.filter(absence_id=absence.id, outcome=None).order_by("id")
    if absence.settled_at is not None:
        raise ValidationFailed([FieldError("settlement", "settled", _SETTLED)])
    if not moved:
        raise ValidationFailed([FieldError("settlement", "nothing", _NOTHING_MOVED)])
    settlement = "taken_back" if take_back else "left"
    claimed = await Absence.filter(id=absence.id, settled_at=None).update(
        settled_at=at, settlement=settlement, updated_at=at
    )
    if not claimed:
        raise ValidationFailed([FieldError("settlement", "settled", _SETTLED)])
    result = Settlement(absence)
    owner = await User.get(id=absence.user_id)
    for handover in moved:
        kind = _BY_NAME[handover.entity]
        item = await kind.model.get_or_none(id=handover.entity_id)
        held = (
            item is not None
            and getattr(item, f"{kind.holder}_id") == handover.to_user_id
            and kind.is_open(item)
        )
        if not held:
            outcome, bucket = "gone", result.gone
        elif take_back:
            await _move(actor, kind, item, owner, "take_back")
            outcome, bucket = "returned", result.returned
        else:
            outcome, bucket = "kept", result.kept
        await Handover.filter(id=handover.id).update(
            outcome=outcome, returned_at=at if outcome == "returned" else None
        )
        handover.outcome = outcome
        bucket.append(handover)
    await audit_changes(actor, ENTITY, absence.id, {"settlement": (None, settlement)})
    absence.settled_at = at
    absence.settlement = settlement
    return result


# What the clock asks


async def absences_to_hand_over(limit: int = 100) -> list[int]:
    at = now()
    rows: list[Any] = (
        await Absence.filter(
            handed_over_at=None, cancelled_at=None, starts_at__lte=at, ends_at__gt=at
        )
        .order_by("starts_at", "id")
        .limit(limit)
        .values_list("id", flat=True)
    )
    return [int(i) for i in rows]


async def absences_to_offer(limit: int = 100) -> list[int]:
    at = now()
    rows: list[Any] = (
        await Absence.filter(offered_at=None, handed_over_at__isnull=False, ends_at__lte=at)
        .order_by("ends_at", "id")
        .limit(limit)
        .values_list("id", flat=True)
    )
    return [int(i) for i in rows]
