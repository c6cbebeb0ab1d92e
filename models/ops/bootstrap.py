"""The first administrator of a fresh installation."""

from __future__ import annotations

from dataclasses import dataclass

from models.actor import Actor
from models.entities import Office, OfficeKind, Role, User
from models.ops.org import create_office, create_user
from models.ops.templates import install_default_templates
from models.passwords import one_time_password

FIRST_OFFICE = "Головной офис"


@dataclass(frozen=True, slots=True)
class FirstAdmin:
    login: str
    password: str


async def ensure_top_office(timezone: str, language: str) -> Office:
    """The root of the office tree, created on a fresh installation."""
    top = await Office.filter(parent_id=None).order_by("id").first()
    if top is not None:
        return top
    return await create_office(
        Actor.system(language), name=FIRST_OFFICE, kind=OfficeKind.COMPANY, timezone=timezone
    )


async def ensure_first_admin(login: str, timezone: str, language: str) -> FirstAdmin | None:
    """Create an office and an admin with a one-time password when there are no users at all.

    Returns the credentials to show once, or None when users already exist.
    """
    if await User.exists():
        return None
    office = await ensure_top_office(timezone, language)
    password = one_time_password()
    await create_user(
        Actor.system(language),
        email=login,
        full_name="Администратор" if language == "ru" else "Administrator",
        office_id=office.id,
        role=Role.ADMIN,
        password=password,
        language=language,
    )
    return FirstAdmin(login=login, password=password)


async def ensure_default_templates() -> int:
    """Install the shipped message templates that are missing (never touching existing ones), as
    `voronka run`, `voronka migrate` and `voronka templates install-defaults` do."""
    return await install_default_templates()
