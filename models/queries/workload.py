"""Who in an office has the least work: for routing new leads and handing over an absent
colleague's clients (rules and absences both ask the same question, so it is answered here).

A user's load is what is still open in their name: deals not closed, leads neither converted
nor rejected, and tasks not done or cancelled. Ties go to the user with the lower id, so the same
data always gives the same answer.
"""

from __future__ import annotations

from collections.abc import Collection

from models.entities import LeadStatus, Role, TaskStatus
from models.queries.rows import fetch

_OPEN_LEADS = (LeadStatus.NEW.value, LeadStatus.IN_PROGRESS.value)


async def open_work_by_user(user_ids: Collection[int]) -> dict[int, int]:
    """The number of open deals, leads and tasks of each user (0 for a user with none)."""
    if not user_ids:
        return {}
    ids = sorted(set(user_ids))
    marks = ", ".join("?" for _ in ids)
    rows = await fetch(
        f"SELECT owner_id AS user_id, count(*) AS n FROM deal "
        f"WHERE closed_at IS NULL AND owner_id IN ({marks}) GROUP BY owner_id "
        f"UNION ALL SELECT owner_id, count(*) FROM lead "
        f"WHERE status IN (?, ?) AND owner_id IN ({marks}) GROUP BY owner_id "
        f"UNION ALL SELECT assignee_id, count(*) FROM task "
        f"WHERE status = ? AND assignee_id IN ({marks}) GROUP BY assignee_id",
        [*ids, *_OPEN_LEADS, *ids, TaskStatus.OPEN.value, *ids],
    )
    load = dict.fromkeys(ids, 0)
    for row in rows:
        load[int(row["user_id"])] += int(row["n"])
    return load


async def least_loaded_user(
    office_id: int,
    *,
    roles: Collection[Role] = (Role.MANAGER,),
    exclude: Collection[int] = (),
) -> int | None:
    """The id of the active user of `office_id` with one of `roles` and the least open work,
    leaving out `exclude`, or None when the office has no such user."""
    wanted = [role.value for role in roles]
    if not wanted:
        return None
    rows = await fetch(
        f"SELECT id FROM app_user WHERE office_id = ? AND is_active = ? "
        f"AND role IN ({', '.join('?' for _ in wanted)}) ORDER BY id",
        [office_id, True, *wanted],
    )
    candidates = [int(row["id"]) for row in rows if int(row["id"]) not in set(exclude)]
    if not candidates:
        return None
    load = await open_work_by_user(candidates)
    return min(candidates, key=lambda user_id: (load[user_id], user_id))
