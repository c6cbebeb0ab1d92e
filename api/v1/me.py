"""The signed-in user: profile, personal access tokens, push devices (/v1/me)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, status
from pydantic import AwareDatetime, Field

from api.deps import CurrentActor, Transaction
from api.problems import problem_responses
from api.schemas import Input, Output
from models.entities import Role
from models.ops.access_tokens import (
    create_personal_token,
    list_personal_tokens,
    revoke_personal_token,
)
from models.ops.devices import list_devices, register_device, unregister_device
from models.ops.profile import my_profile

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
    expires_at: AwareDatetime | None = None


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
async def revoke_token(token_id: int, actor: CurrentActor, _: Transaction) -> None:
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
async def remove_device(device_id: int, actor: CurrentActor, _: Transaction) -> None:
    await unregister_device(actor, device_id)
