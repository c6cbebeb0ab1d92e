"""Offices and users: the organisation the rest of the domain is scoped by."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from models.actor import Actor
from models.audit import audit_changes, audit_created
from models.entities import Office, OfficeKind, Role, User
from models.errors import FieldErrors, Forbidden, NotFound
from models.ops import fields as f
from models.ops.sessions import revoke_all_sign_ins
from models.passwords import MIN_LENGTH, hash_password
from models.scope import visible_offices, visible_users
from models.text import Text

_BAD_TZ = Text("Неизвестный часовой пояс.", "Unknown time zone.")
_EMAIL_TAKEN = Text("Этот адрес уже занят.", "This address is already in use.")
_PHONE_TAKEN = Text("Этот телефон уже занят.", "This phone is already in use.")
_SHORT_PASSWORD = Text(
    "Пароль — не короче {n} символов.", "The password must be at least {n} characters."
).format(n=MIN_LENGTH)
_BAD_ROLE = Text("Роль: admin, head или manager.", "Role: admin, head or manager.")
_BAD_LANGUAGE = Text("Язык: ru или en.", "Language: ru or en.")
_BAD_KIND = Text("Вид: company, branch или department.", "Kind: company, branch or department.")


def _check_timezone(name: str, errors: FieldErrors) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        errors.add("timezone", "unknown_timezone", _BAD_TZ)


def _require_admin(actor: Actor) -> None:
    if not actor.sees_everything:
        raise Forbidden()


async def create_office(
    actor: Actor,
    *,
    name: str,
    kind: str = OfficeKind.BRANCH,
    parent_id: int | None = None,
    timezone: str = "Europe/Moscow",
) -> Office:
    _require_admin(actor)
    errors = FieldErrors()
    clean_name = f.text_field({"name": name}, "name", 200, errors)
    if not clean_name:
        errors.add("name", "required", f.REQUIRED)
    try:
        office_kind = OfficeKind(kind)
    except ValueError:
        errors.add("kind", "invalid_choice", _BAD_KIND)
    _check_timezone(timezone, errors)
    parent = None
    if parent_id is not None:
        parent = await Office.get_or_none(id=parent_id)
        if parent is None:
            errors.add("parent_id", "not_found", f.NOT_FOUND_REF)
    errors.raise_if_any()
    office = await Office.create(
        name=clean_name, kind=office_kind, parent_id=parent_id, timezone=timezone
    )
    office.path = f"{parent.path if parent else ''}{office.id}/"
    await office.save(update_fields=["path"])
    await audit_created(
        actor,
        "office",
        office.id,
        {"name": clean_name, "kind": office_kind, "parent_id": parent_id},
    )
    return office


async def create_user(
    actor: Actor,
    *,
    email: str,
    full_name: str,
    office_id: int,
    role: str = Role.MANAGER,
    password: str | None = None,
    phone: str | None = None,
    language: str = "ru",
) -> User:
    """Create an account. Admins create anyone; heads create managers within their office tree."""
    errors = FieldErrors()
    clean_email = f.email_field(email, "email", errors)
    if not email.strip():
        errors.add("email", "required", f.REQUIRED)
    clean_name = f.text_field({"full_name": full_name}, "full_name", 200, errors)
    if not clean_name:
        errors.add("full_name", "required", f.REQUIRED)
    clean_phone = f.phone_field(phone, "phone", errors)
    try:
        user_role = Role(role)
    except ValueError:
        errors.add("role", "invalid_choice", _BAD_ROLE)
        user_role = Role.MANAGER
    if language not in ("ru", "en"):
        errors.add("language", "invalid_choice", _BAD_LANGUAGE)
    if password is not None and len(password) < MIN_LENGTH:
        errors.add("password", "too_short", _SHORT_PASSWORD)
    if not actor.sees_everything and (actor.role is not Role.HEAD or user_role is not Role.MANAGER):
        raise Forbidden()
    if not await visible_offices(actor).filter(id=office_id).exists():
        errors.add("office_id", "not_found", f.NOT_FOUND_REF)
    if clean_email and await User.exists(email=clean_email):
        errors.add("email", "taken", _EMAIL_TAKEN)
    if clean_phone and await User.exists(phone=clean_phone):
        errors.add("phone", "taken", _PHONE_TAKEN)
    errors.raise_if_any()
    user = await User.create(
        email=clean_email,
        full_name=clean_name,
        phone=clean_phone,
        role=user_role,
        office_id=office_id,
        language=language,
        password_hash=hash_password(password) if password else None,
    )
    await audit_created(
        actor,
        "user",
        user.id,
        {"email": clean_email, "full_name": clean_name, "role": user_role, "office_id": office_id},
    )
    return user


async def set_user_active(actor: Actor, user_id: int, active: bool) -> User:
    """Activate or deactivate an account; deactivation ends every sign-in of the user at once."""
    _require_admin(actor)
    user = await visible_users(actor).get_or_none(id=user_id)
    if user is None:
        raise NotFound("user", user_id)
    if user.is_active != active:
        await User.filter(id=user_id).update(is_active=active)
        if not active:
            await revoke_all_sign_ins(user_id)
        await audit_changes(actor, "user", user_id, {"is_active": (user.is_active, active)})
        user.is_active = active
    return user
