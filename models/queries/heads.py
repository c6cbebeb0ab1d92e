"""Who answers for a user's work: the nearest head up the office tree.

Escalations (an overdue task, a deal stuck past its stage's time) go to the head of the user's
own office, else of the office above it, and so on to the root. A head is never their own
escalation: a head's overdue work goes to the head above them.
"""

from __future__ import annotations

from collections.abc import Collection

from models.entities import Office, Role, User


def _ancestors_nearest_first(office: Office) -> list[int]:
    """The office's own id, then its parent's, up to the root (`path` is "1/4/9/")."""
    ids = [int(part) for part in office.path.split("/") if part]
    if office.id not in ids:
        ids.append(office.id)
    return list(reversed(ids))


async def nearest_head(user_id: int, *, skip: Collection[int] = ()) -> User | None:
    """The active head nearest above `user_id` (in their office first), leaving out `skip`
    (those away, for a hand-over), or None."""
    user = await User.get_or_none(id=user_id).select_related("office")
    if user is None:
        return None
    chain = _ancestors_nearest_first(user.office)
    heads = await User.filter(
        office_id__in=chain, role=Role.HEAD, is_active=True, id__not=user_id
    ).order_by("id")
    for office_id in chain:
        for head in heads:
            if head.office_id == office_id and head.id not in skip:
                return head
    return None
