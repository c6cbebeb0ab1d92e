"""Who is acting: a user with a role and an office, or the system itself (the clock, a rule)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from models.entities import Office, Role, User
from models.errors import NotFound


@dataclass(frozen=True, slots=True)
class Actor:
    user_id: int | None
    role: Role
    office_id: int | None
    office_path: str
    language: str = "ru"
    timezone: str = "Europe/Moscow"

    @classmethod
    def system(cls, language: str = "ru") -> Actor:
        return cls(user_id=None, role=Role.ADMIN, office_id=None, office_path="", language=language)

    @property
    def is_system(self) -> bool:
        return self.user_id is None

    @property
    def sees_everything(self) -> bool:
        return self.role is Role.ADMIN


def actor_from(user: User, office: Office) -> Actor:
    return Actor(
        user_id=user.id,
        role=Role(user.role),
        office_id=office.id,
        office_path=office.path,
        language=user.language,
        timezone=user.timezone or office.timezone,
    )


# The columns `actor_from_row` reads, for SELECTs over `app_user u JOIN office o`.
ACTOR_COLUMNS = (
    "u.id, u.role, u.language, u.timezone, o.id AS office_id, o.path, o.timezone AS office_timezone"
)


def actor_from_row(row: Mapping[str, Any]) -> Actor:
    return Actor(
        user_id=row["id"],
        role=Role(row["role"]),
        office_id=row["office_id"],
        office_path=row["path"],
        language=row["language"],
        timezone=row["timezone"] or row["office_timezone"],
    )


async def load_actor(user_id: int) -> Actor:
    """The actor for an active user; a deactivated or missing user is not found."""
    user = await User.get_or_none(id=user_id, is_active=True).select_related("office")
    if user is None:
        raise NotFound("user", user_id)
    return actor_from(user, user.office)
