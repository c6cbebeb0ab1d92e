"""Creating accounts from the command line, and their Telegram links."""

from __future__ import annotations

from models.actor import Actor, actor_from
from models.entities import Office
from models.errors import FieldError, ValidationFailed
from models.ops.bootstrap import ensure_top_office
from models.ops.org import create_user
from models.ops.sessions import find_user
from models.ops.telegram_link import TelegramLink, TelegramNotConfigured, issue_telegram_link
from models.passwords import one_time_password
from models.rules.digits import MAX_ID, whole_number
from models.text import Text

_NO_USER = Text(
    "Нет активного пользователя с таким email или телефоном.",
    "No active user has this email or phone.",
)
_NO_OFFICE = Text(
    "Такого офиса нет. Укажите id или точное название.",
    "No such office. Give its id or exact name.",
)


async def _find_office(reference: str | None, timezone: str, language: str) -> Office:
    if reference is None:
        return await ensure_top_office(timezone, language)
    office_id = whole_number(reference, MAX_ID)
    by = {"id": office_id} if office_id is not None else {"name": reference}
    office = await Office.get_or_none(**by)
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


async def telegram_link_for(login: str, bot_username: str | None) -> TelegramLink:
    """A one-time deep link for the user with this login (email or phone)."""
    if not bot_username:
        raise TelegramNotConfigured()
    user = await find_user(login)
    if user is None or not user.is_active:
        raise ValidationFailed([FieldError("login", "not_found", _NO_USER)])
    return await issue_telegram_link(actor_from(user, user.office), bot_username)
