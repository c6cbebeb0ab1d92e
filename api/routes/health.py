"""Liveness and readiness for load balancers and `make run`'s first check."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from models.db import dialect, ping

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    database: Literal["ok", "unavailable"]
    dialect: str


@router.get(
    "/healthz",
    operation_id="getHealth",
    response_model=Health,
    responses={503: {"model": Health, "description": "The database does not answer"}},
)
async def health() -> JSONResponse:
    database_ok = await ping()
    body = Health(
        status="ok" if database_ok else "degraded",
        database="ok" if database_ok else "unavailable",
        dialect=dialect(),
    )
    return JSONResponse(body.model_dump(), status_code=200 if database_ok else 503)
