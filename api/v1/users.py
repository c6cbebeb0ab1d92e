"""Colleagues: /v1/users. Password hashes never leave the server."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status
from pydantic import Field

from api.deps import CurrentActor, Transaction
from api.pagination import DEFAULT_PAGE_SIZE, Cursor, Limit, PageOut, decode_cursor, page_out
from api.problems import problem_responses
from api.schemas import Id, Input, Output
from models.entities import Role, User
from models.ops.org import create_user, get_user, set_user_active, update_user
from models.ops.telegram_link import unlink_telegram
from models.passwords import MIN_LENGTH
from models.queries.org import UserFilters, list_users

router = APIRouter(prefix="/users", tags=["users"], responses=problem_responses(401))

FullName = Annotated[str, Field(min_length=1, max_length=200)]
Phone = Annotated[str, Field(max_length=40, description="Any format; stored as E.164")]
Language = Literal["ru", "en"]
TimeZone = Annotated[str, Field(max_length=64, description="IANA name; null: the office's")]


class UserCreate(Input):
    email: Annotated[str, Field(min_length=1, max_length=254)]
    full_name: FullName
    office_id: Id
    role: Role = Field(default=Role.MANAGER, description="Heads may create managers only")
    password: Annotated[str | None, Field(min_length=MIN_LENGTH, max_length=200)] = Field(
        default=None, description="Without one the user cannot sign in with a password"
    )
    phone: Phone | None = None
    language: Language = "ru"


class UserUpdate(Input):
    """Only the fields sent are changed. Role and office apply from the user's next request."""

    full_name: FullName | None = None
    role: Role | None = None
    office_id: Id | None = None
    language: Language | None = None
    phone: Phone | None = Field(default=None, description="Null removes it")
    timezone: TimeZone | None = Field(default=None, description="Null: the office's")


class UserOut(Output):
    id: int
    email: str
    phone: str | None
    full_name: str
    role: Role
    office_id: Id
    language: str
    timezone: str | None
    is_active: bool


def _out(user: User) -> UserOut:
    return UserOut.model_validate(user)


@router.get("", operation_id="listUsers", responses=problem_responses(422))
async def list_(
    actor: CurrentActor,
    _: Transaction,
    office_id: Id | None = None,
    role: Role | None = None,
    active: bool | None = None,
    sort: Annotated[
        str | None,
        Query(max_length=50, description="full_name, email, id, updated_at; '-' descending"),
    ] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
) -> PageOut[UserOut]:
    """Colleagues you see: admins everyone, others their office and the offices below it."""
    page = await list_users(
        actor, UserFilters(office_id, role, active), sort, decode_cursor(cursor), limit
    )
    return page_out(page, [_out(u) for u in page.items])


@router.get("/{user_id}", operation_id="getUser", responses=problem_responses(404))
async def get(user_id: Id, actor: CurrentActor, _: Transaction) -> UserOut:
    return _out(await get_user(actor, user_id))


@router.post(
    "",
    operation_id="createUser",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(403, 422),
)
async def create(
    body: UserCreate, actor: CurrentActor, _: Transaction, response: Response
) -> UserOut:
    """Admins create anyone; heads create managers in their office tree."""
    user = await create_user(actor, **body.model_dump())
    response.headers["Location"] = f"/v1/users/{user.id}"
    return _out(user)


@router.patch("/{user_id}", operation_id="updateUser", responses=problem_responses(403, 404, 422))
async def update(user_id: Id, body: UserUpdate, actor: CurrentActor, _: Transaction) -> UserOut:
    """Admins only. The last active admin cannot lose the role."""
    return _out(await update_user(actor, user_id, body.model_dump(exclude_unset=True)))


@router.post(
    "/{user_id}/deactivate",
    operation_id="deactivateUser",
    responses=problem_responses(403, 404),
)
async def deactivate(user_id: Id, actor: CurrentActor, _: Transaction) -> UserOut:
    """Admins only. Ends every sign-in of the user (sessions and personal tokens) at once."""
    return _out(await set_user_active(actor, user_id, False))


@router.delete(
    "/{user_id}/telegram-link",
    operation_id="deleteUserTelegramLink",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(403, 404),
)
async def unlink_telegram_account(user_id: Id, actor: CurrentActor, _: Transaction) -> None:
    """Admins only. Disconnects the user's Telegram account: the bot stops answering it."""
    await unlink_telegram(actor, user_id)


@router.post(
    "/{user_id}/activate", operation_id="activateUser", responses=problem_responses(403, 404)
)
async def activate(user_id: Id, actor: CurrentActor, _: Transaction) -> UserOut:
    """Admins only. The user signs in again with their password."""
    return _out(await set_user_active(actor, user_id, True))
