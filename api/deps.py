"""Dependencies shared by the routes: settings, the request's transaction, the signed-in actor.

All are `async def`, even those that never await: FastAPI runs a plain `def` dependency in a
thread pool, and that hop cost more than the work itself on every request (seen with py-spy).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from tortoise.transactions import in_transaction

from api.problems import RateLimited
from api.rate_limit import RateLimiter
from models.actor import Actor
from models.errors import FieldError, NotAuthenticated, ValidationFailed
from models.ops.access_tokens import authenticate_personal_token, looks_like_personal_token
from models.ops.sessions import Authenticated, authenticate_access
from models.settings import Settings
from models.text import Text

_bearer = HTTPBearer(auto_error=False, description="Access token or personal access token")


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


AppSettings = Annotated[Settings, Depends(get_settings)]


_READS = frozenset({"GET", "HEAD"})


async def transaction(request: Request) -> AsyncIterator[None]:
    """One transaction per changing request, committed before the response is sent.

    Reads run statement by statement instead: on SQLite a transaction takes the write lock up
    front (models/sqlite_engine.py), and holding it for a whole GET would queue every other
    request of the process behind it.
    """
    if request.method in _READS:
        yield
        return
    async with in_transaction():
        yield


Transaction = Annotated[None, Depends(transaction)]


async def authenticate_bearer(token: str, settings: Settings) -> Authenticated:
    """An access token (JWT) or a personal access token; raises NotAuthenticated."""
    if looks_like_personal_token(token):
        return await authenticate_personal_token(token)
    return await authenticate_access(token, secret=settings.secret_key.get_secret_value())


async def current_auth(
    request: Request,
    response: Response,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Authenticated:
    """The signed-in caller, counted against their per-minute request quota."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise NotAuthenticated()
    # The settings straight from the app, not as a dependency: a level of dependency solving
    # on every signed-in request costs more than the lookup.
    auth = await authenticate_bearer(credentials.credentials, await get_settings(request))
    limiter: RateLimiter = request.app.state.rate_limiter
    quota = await limiter.hit(f"user:{auth.actor.user_id}")
    if quota.exceeded:
        raise RateLimited(quota)
    response.headers.update(quota.headers())
    return auth


CurrentAuth = Annotated[Authenticated, Depends(current_auth)]


def client_address(request: Request) -> str:
    """The caller's IP address: the peer, or what a trusted proxy forwarded (uvicorn's
    `--forwarded-allow-ips`, 127.0.0.1 by default, rewrites the peer from X-Forwarded-For)."""
    return request.client.host if request.client else "unknown"


async def client_quota(request: Request, response: Response) -> None:
    """The public client-app routes, which nobody signs in to, are counted per IP address
    (VORONKA_CLIENT_RATE_LIMIT_PER_MINUTE) against their own quota."""
    limiter: RateLimiter = request.app.state.client_rate_limiter
    quota = await limiter.hit(f"client-ip:{client_address(request)}")
    if quota.exceeded:
        raise RateLimited(quota)
    response.headers.update(quota.headers())


async def current_actor(auth: CurrentAuth) -> Actor:
    return auth.actor


CurrentActor = Annotated[Actor, Depends(current_actor)]


_UNKNOWN_PARAMETER = "unknown_parameter"


async def reject_unknown_query_parameters(request: Request) -> None:
    """A query parameter the route does not know is a 422, not silently ignored: a misspelt
    filter (`?ownr_id=5`) would otherwise return everything. So is a parameter given twice
    (`?active=true&active=false`): every parameter of the API takes one value, and quietly
    keeping the last would answer a question the client did not ask."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    known = _KNOWN_QUERY_NAMES.get(route.unique_id)
    if known is None:
        known = _KNOWN_QUERY_NAMES[route.unique_id] = frozenset(_query_names(route.dependant))
    given = request.query_params
    unknown = sorted(set(given) - known)
    repeated = sorted(name for name in known & set(given) if len(given.getlist(name)) > 1)
    if unknown or repeated:
        raise ValidationFailed(
            [FieldError(name, _UNKNOWN_PARAMETER, _UNKNOWN_QUERY) for name in unknown]
            + [FieldError(name, _REPEATED_PARAMETER, _REPEATED_QUERY) for name in repeated]
        )


# Per route (its unique id): walking the dependency tree on every request showed in profiles.
_KNOWN_QUERY_NAMES: dict[str, frozenset[str]] = {}


def _query_names(dependant: Dependant) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for dependency in dependant.dependencies:
        names |= _query_names(dependency)
    return names


_REPEATED_PARAMETER = "repeated_parameter"
_REPEATED_QUERY = Text(
    "Параметр запроса указан несколько раз: он принимает одно значение.",
    "The query parameter is given more than once: it takes one value.",
)
_UNKNOWN_QUERY = Text("Неизвестный параметр запроса.", "Unknown query parameter.")
