"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI
from starlette.middleware.gzip import GZipMiddleware

from api import v1
from api.deps import reject_unknown_query_parameters
from api.middleware.body_limit import BodyLimit
from api.middleware.idempotency import Idempotency
from api.problems import MiB, install_problem_handlers, install_problem_schema
from api.rate_limit import build_rate_limiter
from api.routes import health
from api.routes.telegram import install_telegram_webhook
from api.routes.twilio import install_twilio_callbacks
from models.db import close_database, open_database
from models.settings import Settings, get_settings

VERSION = "0.1.0"
JSON_BODY_LIMIT = 1 * MiB
ATTACHMENT_BODY_LIMIT = 20 * MiB
# Routes that take file uploads; the interactions route checks its JSON bodies against
# JSON_BODY_LIMIT itself, the order import takes only multipart/form-data.
UPLOAD_PATHS = frozenset({"/v1/interactions", "/v1/orders/import"})


def body_limit_for(path: str) -> int:
    if path.rstrip("/") in UPLOAD_PATHS:
        return ATTACHMENT_BODY_LIMIT
    return JSON_BODY_LIMIT


def create_app(
    settings: Settings | None = None,
    *,
    manage_database: bool = True,
    shared_counters: Path | None = None,
    register_webhook: bool = True,
) -> FastAPI:
    """Build the app. `manage_database=False` when the host process owns the connections;
    `shared_counters`, the file where several API processes count requests for the rate limits
    (without Redis), opened by each process itself: an inherited descriptor would share its
    `flock` instead of waiting for it; `register_webhook=False` in all but one (ADR 0027)."""
    config = settings or get_settings()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if manage_database:
            await open_database(config.database)
        telegram = getattr(app.state, "telegram", None)
        if telegram is not None and register_webhook:
            await telegram.start_webhook()
        try:
            yield
        finally:
            await app.state.rate_limiter.close()
            await app.state.client_rate_limiter.close()
            if telegram is not None:
                await telegram.close()
            if manage_database:
                await close_database()

    app = FastAPI(
        title="Voronka API",
        version=VERSION,
        summary="CRM for sales teams that live in messengers",
        lifespan=lifespan,
        dependencies=[Depends(reject_unknown_query_parameters)],
        # FastAPI's own OpenTelemetry hooks: nothing here sets up a provider, yet with the
        # library installed (google-api-core needs it) FastAPI asked OpenTelemetry for its
        # providers on every request to find that out.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = config
    # Both quotas may share one file: their subjects ("user:…", "client-ip:…") never collide.
    app.state.rate_limiter = build_rate_limiter(
        config.redis_url, config.rate_limit_per_minute, shared_counters
    )
    app.state.client_rate_limiter = build_rate_limiter(
        config.redis_url, config.client_rate_limit_per_minute, shared_counters
    )
    # Added innermost first: BodyLimit runs before GZip, which runs before Idempotency.
    app.add_middleware(Idempotency)
    # Level 3: a list of 50 contacts is 9 % larger than at level 5 (1.74 KB against 1.60 KB of
    # 22 KB) for two thirds of the CPU time; levels 4 and up switch to zlib's slower matcher.
    app.add_middleware(GZipMiddleware, minimum_size=1000, compresslevel=3)
    app.add_middleware(BodyLimit, limit_for=body_limit_for)
    install_problem_handlers(app)
    install_problem_schema(app)
    app.include_router(health.router)
    for router in v1.ROUTERS:
        app.include_router(router, prefix=v1.PREFIX)
    if config.telegram_webhook:
        install_telegram_webhook(app, config)
    install_twilio_callbacks(app, config)
    return app
