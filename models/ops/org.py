"""Offices and users: the organisation the rest of the domain is scoped by."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from models.actor import Actor
from models.audit import audit_changes, audit_created
from models.clock import now
from models.entities import Office, OfficeKind, Role, User
from models.errors import FieldError, FieldErrors, Forbidden, NotFound, ValidationFailed
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


def require_admin(actor: Actor) -> None:
    """Refuse (Forbidden) anyone but an admin or the system: for settings only admins change."""
    _require_admin(actor)


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
    if user.is_active and not active and user.role is Role.ADMIN:
        await _keep_an_admin(user)
    if user.is_active != active:
        await User.filter(id=user_id).update(is_active=active)
        if not active:
            await revoke_all_sign_ins(user_id)
        await audit_changes(actor, "user", user_id, {"is_active": (user.is_active, active)})
        user.is_active = active
    return user


_CYCLE = Text("Офис не может входить сам в себя.", "An office cannot be placed under itself.")
_ROOT_HAS_NO_PARENT = Text("У головного офиса нет вышестоящего.", "The head office has no parent.")
_LAST_ADMIN = Text(
    "Это последний активный администратор: назначьте другого сначала.",
    "This is the last active admin: appoint another one first.",
)
OFFICE_FIELDS = {"name", "kind", "parent_id", "timezone"}
USER_FIELDS = {"full_name", "role", "office_id", "language", "phone", "timezone"}


async def _keep_an_admin(user: User, field: str = "is_active") -> None:
    """Refuse to take the admin role from, or deactivate, the last active admin."""
    others = User.filter(role=Role.ADMIN, is_active=True).exclude(id=user.id)
    if not await others.exists():
        raise ValidationFailed([FieldError(field, "last_admin", _LAST_ADMIN)])


async def get_office(actor: Actor, office_id: int) -> Office:
    office = await visible_offices(actor).get_or_none(id=office_id)
    if office is None:
        raise NotFound("office", office_id)
    return office


async def update_office(actor: Actor, office_id: int, values: Mapping[str, Any]) -> Office:
    """Rename, retype, move or re-zone an office (admins). A move re-paths its whole subtree."""
    _require_admin(actor)
    office = await get_office(actor, office_id)
    errors = FieldErrors()
    f.reject_unknown(values, OFFICE_FIELDS, errors)
    columns = f.text_columns(values, {"name": 200}, errors, required=("name",))
    if "kind" in values:
        try:
            columns["kind"] = OfficeKind(values["kind"])
        except ValueError:
            errors.add("kind", "invalid_choice", _BAD_KIND)
    if "timezone" in values:
        _check_timezone(str(values["timezone"]), errors)
        columns["timezone"] = values["timezone"]
    new_path = None
    if "parent_id" in values and values["parent_id"] != office.parent_id:
        parent_id = values["parent_id"]
        parent = None if parent_id is None else await Office.get_or_none(id=parent_id)
        if parent_id is not None and parent is None:
            errors.add("parent_id", "not_found", f.NOT_FOUND_REF)
        elif parent is not None and parent.path.startswith(office.path):
            errors.add("parent_id", "cycle", _CYCLE)
        else:
            columns["parent_id"] = parent_id
            new_path = f"{parent.path if parent else ''}{office.id}/"
    errors.raise_if_any()
    changes = {name: (getattr(office, name), value) for name, value in columns.items()}
    if new_path is not None:
        old_path = office.path
        for below in await Office.filter(path__startswith=old_path).exclude(id=office.id):
            below_path = new_path + below.path[len(old_path) :]
            await Office.filter(id=below.id).update(path=below_path)
        columns["path"] = new_path
    if columns:
        await Office.filter(id=office.id).update(**columns, updated_at=now())
        for name, value in columns.items():
            setattr(office, name, value)
    await audit_changes(actor, "office", office.id, changes)
    return office


async def get_user(actor: Actor, user_id: int) -> User:
    user = await visible_users(actor).get_or_none(id=user_id)
    if user is None:
        raise NotFound("user", user_id)
    return user


async def update_user(actor: Actor, user_id: int, values: Mapping[str, Any]) -> User:
    """Change a colleague's profile, role or office (admins). The last active admin keeps the role.

    Role and office changes apply to the next request of the user: the actor is loaded afresh.
    """
    _require_admin(actor)
    user = await get_user(actor, user_id)
    errors = FieldErrors()
    f.reject_unknown(values, USER_FIELDS, errors)
    columns = f.text_columns(values, {"full_name": 200}, errors, required=("full_name",))
    if "phone" in values:
        phone = f.phone_field(values["phone"], "phone", errors)
        if phone and await User.filter(phone=phone).exclude(id=user.id).exists():
            errors.add("phone", "taken", _PHONE_TAKEN)
        columns["phone"] = phone
    if "role" in values:
        try:
            columns["role"] = Role(values["role"])
        except ValueError:
            errors.add("role", "invalid_choice", _BAD_ROLE)
    if "language" in values:
        if values["language"] not in ("ru", "en"):
            errors.add("language", "invalid_choice", _BAD_LANGUAGE)
        columns["language"] = values["language"]
    if "timezone" in values:
        if values["timezone"] is not None:
            _check_timezone(str(values["timezone"]), errors)
        columns["timezone"] = values["timezone"]
    if "office_id" in values:
        if not await Office.exists(id=values["office_id"]):
            errors.add("office_id", "not_found", f.NOT_FOUND_REF)
        columns["office_id"] = values["office_id"]
    demoted = user.role is Role.ADMIN and columns.get("role", Role.ADMIN) is not Role.ADMIN
    if demoted and user.is_active and not errors.has("role"):
        try:
            await _keep_an_admin(user, "role")
        except ValidationFailed as refused:
            errors.items.extend(refused.errors)
    errors.raise_if_any()
    changes = {name: (getattr(user, name), value) for name, value in columns.items()}
    if columns:
        await User.filter(id=user.id).update(**columns, updated_at=now())
        for name, value in columns.items():
            setattr(user, name, value)
    await audit_changes(actor, "user", user.id, changes)
    return user
