"""Creating accounts from the command line."""

from __future__ import annotations

from models.actor import Actor
from models.entities import Office
from models.errors import FieldError, ValidationFailed
from models.ops.bootstrap import ensure_top_office
from models.ops.org import create_user
from models.passwords import one_time_password
from models.text import Text

_NO_OFFICE = Text(
    "Такого офиса нет. Укажите id или точное название.",
    "No such office. Give its id or exact name.",
)


async def _find_office(reference: str | None, timezone: str, language: str) -> Office:
    if reference is None:
        return await ensure_top_office(timezone, language)
    by_id = reference.isdigit()
    office = await Office.get_or_none(**({"id": int(reference)} if by_id else {"name": reference}))
    if office is None:
        raise ValidationFailed([FieldError("office", "not_found", _NO_OFFICE)])
    return office


async def create_account(
    email: str,
    name: str,
    role: str,
    office: str | None,
    password: str | None,
    phone: str | None,
    language: str,
    timezone: str,
) -> tuple[str, str | None]:
    """Create the user; returns the login and the generated one-time password, if any."""
    found = await _find_office(office, timezone, language)
    generated = None if password else one_time_password()
    user = await create_user(
        Actor.system(language),
        email=email,
        full_name=name,
        office_id=found.id,
        role=role,
        password=password or generated,
        phone=phone,
        language=language,
    )
    return user.email, generated
