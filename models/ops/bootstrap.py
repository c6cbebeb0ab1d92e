"""The first administrator of a fresh installation."""

from __future__ import annotations

from dataclasses import dataclass

from models.actor import Actor
from models.entities import OfficeKind, Role, User
from models.ops.org import create_office, create_user
from models.passwords import one_time_password

FIRST_OFFICE = "Головной офис"


@dataclass(frozen=True, slots=True)
class FirstAdmin:
    login: str
    password: str


async def ensure_first_admin(login: str, timezone: str, language: str) -> FirstAdmin | None:
    """Create an office and an admin with a one-time password when there are no users at all.

    Returns the credentials to show once, or None when users already exist.
    """
    if await User.exists():
        return None
    system = Actor.system(language)
    office = await create_office(
        system, name=FIRST_OFFICE, kind=OfficeKind.COMPANY, timezone=timezone
    )
    password = one_time_password()
    await create_user(
        system,
        email=login,
        full_name="Администратор" if language == "ru" else "Administrator",
        office_id=office.id,
        role=Role.ADMIN,
        password=password,
        language=language,
    )
    return FirstAdmin(login=login, password=password)
