"""Signing in and out: /v1/auth."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Request, status
from pydantic import Field
from tortoise.transactions import in_transaction

from api.deps import AppSettings, CurrentAuth, Transaction, client_address
from api.problems import problem_responses
from api.schemas import Input, Output
from models.ops.sessions import (
    IssuedTokens,
    Rejected,
    check_credentials,
    refresh_session,
    sign_in,
    sign_out,
)

router = APIRouter(prefix="/auth", tags=["auth"])


class LoginIn(Input):
    login: Annotated[str, Field(min_length=1, max_length=254, description="Email or phone")]
    password: Annotated[str, Field(min_length=1, max_length=1024)]


class RefreshIn(Input):
    refresh_token: Annotated[str, Field(min_length=1, max_length=200)]


class TokensOut(Output):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires")


def _tokens(outcome: IssuedTokens | Rejected) -> TokensOut:
    if isinstance(outcome, Rejected):
        raise outcome.error
    return TokensOut(
        access_token=outcome.access_token,
        refresh_token=outcome.refresh_token,
        expires_in=outcome.expires_in,
    )


@router.post("/login", operation_id="login", responses=problem_responses(401, 422, 429))
async def login(body: LoginIn, request: Request, settings: AppSettings) -> TokensOut:
    """Exchange a login (email or phone) and password for an access and a refresh token."""
    check = await check_credentials(body.login, body.password, address=client_address(request))
    # The transaction ends before a rejection is raised, so the failed attempt is counted.
    async with in_transaction():
        outcome = await sign_in(
            check,
            user_agent=request.headers.get("user-agent", ""),
            secret=settings.secret_key.get_secret_value(),
        )
    return _tokens(outcome)


@router.post("/refresh", operation_id="refreshTokens", responses=problem_responses(401, 422, 429))
async def refresh(body: RefreshIn, settings: AppSettings) -> TokensOut:
    """Rotate the refresh token. Re-using a rotated refresh token ends the whole session."""
    async with in_transaction():
        outcome = await refresh_session(
            body.refresh_token, secret=settings.secret_key.get_secret_value()
        )
    return _tokens(outcome)


@router.post(
    "/logout",
    operation_id="logout",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401),
)
async def logout(auth: CurrentAuth, _: Transaction) -> None:
    """End the current session: its access and refresh tokens stop working at once."""
    if auth.session_id is not None:
        await sign_out(auth.session_id)
