"""The signed-in user: profile, personal access tokens, push devices, the morning digest
(/v1/me)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, status
from pydantic import Field

from api.deps import AppSettings, CurrentActor, Transaction
from api.problems import problem_responses
from api.schemas import Id, Input, Moment, Output
from models.entities import Role
from models.ops.access_tokens import (
    create_personal_token,
    list_personal_tokens,
    revoke_personal_token,
)
from models.ops.devices import list_devices, register_device, unregister_device
from models.ops.digest import DigestChoice, digest_choice, set_my_digest
from models.ops.profile import my_profile
from models.ops.telegram_link import issue_telegram_link, unlink_telegram
from models.queries.today import my_day

router = APIRouter(prefix="/me", tags=["me"], responses=problem_responses(401))


class OfficeRef(Output):
    id: int
    name: str
    timezone: str


class MeOut(Output):
    id: int
    email: str
    phone: str | None
    full_name: str
    role: Role
    language: Literal["ru", "en"]
    timezone: str = Field(description="The user's own zone, else the office's")
    office: OfficeRef


class TokenIn(Input):
    name: Annotated[str, Field(min_length=1, max_length=100)]
    expires_at: Moment | None = None


class TokenOut(Output):
    id: int
    name: str
    prefix: str = Field(description="The first characters, to recognise the token")
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None


class NewTokenOut(TokenOut):
    token: str = Field(description="The token itself: shown only in this response")


class DeviceIn(Input):
    fcm_token: Annotated[str, Field(min_length=1, max_length=512)]
    platform: Literal["android", "ios", "web"]
    name: Annotated[str, Field(max_length=100)] = ""


class DeviceOut(Output):
    id: int
    platform: str
    name: str
    created_at: datetime
    last_seen_at: datetime


@router.get("", operation_id="getMe")
async def get_me(actor: CurrentActor, _: Transaction) -> MeOut:
    user = await my_profile(actor)
    return MeOut(
        id=user.id,
        email=user.email,
        phone=user.phone,
        full_name=user.full_name,
        role=user.role,
        language="en" if user.language == "en" else "ru",
        timezone=user.timezone or user.office.timezone,
        office=OfficeRef.model_validate(user.office),
    )


@router.get("/tokens", operation_id="listPersonalTokens")
async def list_tokens(actor: CurrentActor, _: Transaction) -> list[TokenOut]:
    return [TokenOut.model_validate(t) for t in await list_personal_tokens(actor)]


@router.post(
    "/tokens",
    operation_id="createPersonalToken",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(422),
)
async def create_token(body: TokenIn, actor: CurrentActor, _: Transaction) -> NewTokenOut:
    token, plain = await create_personal_token(actor, body.name, body.expires_at)
    return NewTokenOut.model_validate(
        {**TokenOut.model_validate(token).model_dump(), "token": plain}
    )


@router.delete(
    "/tokens/{token_id}",
    operation_id="revokePersonalToken",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(404),
)
async def revoke_token(token_id: Id, actor: CurrentActor, _: Transaction) -> None:
    await revoke_personal_token(actor, token_id)


@router.get("/devices", operation_id="listDevices")
async def devices(actor: CurrentActor, _: Transaction) -> list[DeviceOut]:
    return [DeviceOut.model_validate(d) for d in await list_devices(actor)]


@router.post(
    "/devices",
    operation_id="registerDevice",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(422),
)
async def add_device(body: DeviceIn, actor: CurrentActor, _: Transaction) -> DeviceOut:
    device = await register_device(actor, body.fcm_token, body.platform, body.name)
    return DeviceOut.model_validate(device)


@router.delete(
    "/devices/{device_id}",
    operation_id="unregisterDevice",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(404),
)
async def remove_device(device_id: Id, actor: CurrentActor, _: Transaction) -> None:
    await unregister_device(actor, device_id)


class TelegramLinkOut(Output):
    url: str = Field(description="https://t.me/<bot>?start=<token>: open it in Telegram")
    token: str
    expires_at: datetime


@router.post(
    "/telegram-link",
    operation_id="createTelegramLink",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(409),
)
async def telegram_link(
    actor: CurrentActor, _: Transaction, settings: AppSettings
) -> TelegramLinkOut:
    """A one-time deep link (ten minutes) that connects your Telegram account to Voronka."""
    link = await issue_telegram_link(actor, settings.telegram_bot_username)
    return TelegramLinkOut(url=link.url, token=link.token, expires_at=link.expires_at)


@router.delete(
    "/telegram-link",
    operation_id="deleteTelegramLink",
    status_code=status.HTTP_204_NO_CONTENT,
)
async def unlink_telegram_account(actor: CurrentActor, _: Transaction) -> None:
    """Disconnect your Telegram account from Voronka: the bot stops answering it. Safe to repeat."""
    await unlink_telegram(actor)


class TodayTask(Output):
    id: int
    title: str
    due_at: datetime | None
    remind_at: datetime | None
    deal_id: Id | None
    contact_id: Id | None
    company_id: Id | None
    version: int


class TodayDeal(Output):
    id: int
    title: str
    stage_id: Id
    stage_entered_at: datetime
    last_interaction_at: datetime | None
    contact_id: Id | None
    company_id: Id | None
    version: int


class TodayOut(Output):
    day_ends_at: datetime = Field(description="Midnight in your time zone")
    overdue_tasks: list[TodayTask]
    due_today: list[TodayTask]
    stuck_deals: list[TodayDeal] = Field(description="Longer in the stage than planned")
    quiet_deals: list[TodayDeal] = Field(description="No interaction for `quiet_days`")


@router.get("/today", operation_id="getMyDay")
async def today(
    actor: CurrentActor,
    _: Transaction,
    quiet_days: Annotated[
        int | None,
        Query(
            ge=1, le=365, description="Default: the pipeline's setting, else VORONKA_QUIET_DAYS (7)"
        ),
    ] = None,
) -> TodayOut:
    """Your day: overdue and due tasks, deals over their stage time, deals gone quiet."""
    day = await my_day(actor, quiet_days)
    return TodayOut(
        day_ends_at=day.day_ends_at,
        overdue_tasks=[TodayTask.model_validate(t) for t in day.overdue_tasks],
        due_today=[TodayTask.model_validate(t) for t in day.due_today],
        stuck_deals=[TodayDeal.model_validate(d) for d in day.stuck_deals],
        quiet_deals=[TodayDeal.model_validate(d) for d in day.quiet_deals],
    )


class DigestOut(Output):
    enabled: bool = Field(description="Whether the morning digest comes")
    time: str = Field(
        description="Local time of day (HH:MM) in your zone: your own, else the installation's",
        examples=["09:00"],
    )


class DigestIn(Input):
    enabled: bool | None = None
    time: Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")] | None = Field(
        default=None, description="Local time of day, HH:MM", examples=["08:30"]
    )


def _digest_out(choice: DigestChoice) -> DigestOut:
    return DigestOut(enabled=choice.enabled, time=choice.time)


@router.get("/digest", operation_id="getMyDigest")
async def get_digest(actor: CurrentActor, _: Transaction) -> DigestOut:
    """The morning digest: today's tasks, overdue ones, stuck and quiet deals, in Telegram and
    as a push, once a day at this local time."""
    return _digest_out(digest_choice(await my_profile(actor)))


@router.patch("/digest", operation_id="updateMyDigest", responses=problem_responses(422))
async def update_digest(body: DigestIn, actor: CurrentActor, _: Transaction) -> DigestOut:
    """Turn the morning digest on or off, or move it; omitted fields stay as they are."""
    return _digest_out(await set_my_digest(actor, enabled=body.enabled, time=body.time))
