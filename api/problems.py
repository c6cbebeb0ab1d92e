"""RFC 9457 problem details: every error the API returns has this one shape.

`errors` lists field problems as {field, code, message}; messages follow Accept-Language.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.i18n import language_from_header
from api.rate_limit import Quota
from api.schemas import WRONG_JSON_TYPE
from models.errors import (
    Conflict,
    DomainError,
    Forbidden,
    NotAuthenticated,
    NotFound,
    PreconditionFailed,
    TooManyAttempts,
    ValidationFailed,
)
from models.ops.push_subscriptions import PushNotConfigured
from models.ops.telegram_link import TelegramNotConfigured
from models.text import Text

PROBLEM_JSON = "application/problem+json"

log = logging.getLogger(__name__)

_STATUS: dict[type[DomainError], int] = {
    NotAuthenticated: 401,
    TooManyAttempts: 429,
    NotFound: 404,
    Forbidden: 403,
    Conflict: 409,
    PreconditionFailed: 412,
    ValidationFailed: 422,
    TelegramNotConfigured: 409,
    PushNotConfigured: 409,
}
_TITLES: dict[int, Text] = {
    400: Text("Неверный запрос", "Bad request"),
    401: Text("Требуется вход", "Authentication required"),
    403: Text("Доступ запрещён", "Forbidden"),
    404: Text("Не найдено", "Not found"),
    405: Text("Метод не поддерживается", "Method not allowed"),
    409: Text("Конфликт", "Conflict"),
    412: Text("Версия устарела", "Precondition failed"),
    413: Text("Слишком большой запрос", "Content too large"),
    422: Text("Ошибка в данных", "Unprocessable content"),
    428: Text("Нужна версия", "Precondition required"),
    429: Text("Слишком много запросов", "Too many requests"),
    500: Text("Внутренняя ошибка", "Internal server error"),
    503: Text("Сервис недоступен", "Service unavailable"),
}
_INVALID_VALUE = Text("Недопустимое значение.", "Invalid value.")
_MISSING_VALUE = Text("Обязательное поле.", "This field is required.")
_EXTRA_FIELD = Text("Неизвестное поле.", "Unknown field.")


def request_language(request: Request) -> str:
    """Accept-Language, falling back to the installation's language (VORONKA_LANGUAGE)."""
    settings = getattr(request.app.state, "settings", None)
    default = settings.language if settings is not None else "ru"
    return language_from_header(request.headers.get("accept-language"), default)


def problem(
    request: Request,
    status: int,
    detail: Text | None = None,
    *,
    code: str | None = None,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    language = request_language(request)
    title = _TITLES.get(status, Text("Ошибка", "Error"))
    body: dict[str, Any] = {
        "type": f"https://voronka.dev/problems/{code or status}",
        "title": title.get(language),
        "status": status,
        "instance": request.url.path,
    }
    if detail is not None:
        body["detail"] = detail.get(language)
    if code is not None:
        body["code"] = code
    body.update(extra or {})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    language = request_language(request)
    status = next((s for kind, s in _STATUS.items() if isinstance(exc, kind)), 400)
    extra: dict[str, Any] = {}
    if isinstance(exc, ValidationFailed):
        extra["errors"] = [
            {"field": e.field, "code": e.code, "message": e.message.get(language)}
            for e in exc.errors
        ]
    if isinstance(exc, Conflict):
        extra["candidates"] = [
            {"entity": c.entity, "id": c.id, "label": c.label, "matched_on": c.matched_on}
            for c in exc.candidates
        ]
        extra["hidden_candidates"] = exc.hidden
    headers: dict[str, str] = {}
    if isinstance(exc, NotAuthenticated):
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(exc, TooManyAttempts):
        headers["Retry-After"] = str(exc.retry_after)
    return problem(request, status, exc.message, code=exc.code, extra=extra, headers=headers)


def _field_path(location: tuple[Any, ...]) -> str:
    parts = [str(p) for p in location]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    return ".".join(parts) or "body"


def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    language = request_language(request)
    errors = []
    for error in exc.errors():
        kind = str(error.get("type", "invalid"))
        text = {"missing": _MISSING_VALUE, "extra_forbidden": _EXTRA_FIELD}.get(kind)
        message = text.get(language) if text else str(error.get("msg", _INVALID_VALUE.en))
        location = tuple(error["loc"])
        if kind == "json_invalid":  # pydantic puts the character position where a field would be
            location = ("body",)
        if kind == WRONG_JSON_TYPE:
            location = (*location, error.get("ctx", {}).get("field", ""))
        errors.append({"field": _field_path(location), "code": kind, "message": message})
    detail = Text("Проверьте введённые данные.", "Please check the values sent.")
    return problem(request, 422, detail, code="validation_failed", extra={"errors": errors})


MiB = 1024 * 1024
_TOO_LARGE = Text(
    "Запрос слишком большой: не больше {limit} МБ.", "The request is too large: {limit} MB at most."
)


class ContentTooLarge(StarletteHTTPException):
    """A request body over its limit. An HTTPException, so that FastAPI's body parsing passes it
    on (it turns other exceptions raised while reading into a 400)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413)
        self.limit = limit

    @property
    def text(self) -> Text:
        return _TOO_LARGE.format(limit=round(self.limit / MiB, 1))


class RateLimited(StarletteHTTPException):
    """The caller used up the requests of the current window."""

    def __init__(self, quota: Quota) -> None:
        super().__init__(429, headers={**quota.headers(), "Retry-After": str(quota.reset_seconds)})


_SLOW_DOWN = Text(
    "Слишком много запросов. Повторите через несколько секунд.",
    "Too many requests. Retry in a few seconds.",
)
_PRECONDITION_REQUIRED = Text(
    "Передайте заголовок If-Match с ETag изменяемой версии.",
    "Send an If-Match header with the ETag of the version you change.",
)


def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail, code = None, None
    if exc.status_code == 428:
        detail, code = _PRECONDITION_REQUIRED, "if_match_required"
    elif isinstance(exc, ContentTooLarge):
        detail, code = exc.text, "too_large"
    elif isinstance(exc, RateLimited):
        detail, code = _SLOW_DOWN, "rate_limited"
    headers = dict(getattr(exc, "headers", None) or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(_allowed_methods(request))
    return problem(request, exc.status_code, detail, code=code, headers=headers)


def _allowed_methods(request: Request) -> list[str]:
    """Every method the path supports, read from the OpenAPI document: Starlette names only
    those of the one route it tried, and FastAPI makes one route per method. A concrete path
    wins over the templated ones that match it too, as OpenAPI matches paths
    (`/v1/orders/import` is not an order id)."""
    table: list[tuple[re.Pattern[str], bool, set[str]]] | None = getattr(
        request.app.state, "allowed_methods", None
    )
    if table is None:
        table = [
            (
                re.compile("^" + re.sub(r"\{[^/]+\}", "[^/]+", path) + "$"),
                "{" not in path,
                {m.upper() for m in item} | ({"HEAD"} if "get" in item else set()),
            )
            for path, item in request.app.openapi().get("paths", {}).items()
        ]
        request.app.state.allowed_methods = table
    path = request.url.path
    matches = [(concrete, methods) for pattern, concrete, methods in table if pattern.match(path)]
    for concrete, methods in matches:
        if concrete:
            return sorted(methods)
    return sorted({m for _, methods in matches for m in methods})


def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(request, 500, code="internal_error")


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Exception, _unexpected_error)
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)


class FieldProblem(BaseModel):
    field: str
    code: str
    message: str


class Candidate(BaseModel):
    entity: str
    id: int
    label: str
    matched_on: str = Field(description='What matched, e.g. "phone:+79161234567"')


class Problem(BaseModel):
    """RFC 9457 problem details, as every error response of this API carries them."""

    type: str
    title: str
    status: int
    instance: str
    detail: str | None = None
    code: str | None = None
    errors: list[FieldProblem] | None = Field(default=None, description="Field errors (422)")
    candidates: list[Candidate] | None = Field(default=None, description="Duplicates (409)")
    hidden_candidates: int | None = Field(default=None, description="Duplicates you cannot see")


_DESCRIPTIONS: dict[int, str] = {
    400: "The body could not be read (not valid JSON, not UTF-8, or broken form data)",
    401: "Not signed in, or the token expired or was revoked",
    403: "Your role may not do this",
    404: "No such object, or not visible to you",
    409: "Conflicts with the current state: a duplicate exists (see candidates), the same "
    "request is still running, or a feature this needs is not configured",
    412: "The object changed since you read it (If-Match)",
    413: "The body is too large",
    422: "Invalid input (see errors)",
    428: "If-Match is required",
    429: "Too many requests (see Retry-After)",
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries for the problem documents a route may return."""
    return {
        status: {
            "description": _DESCRIPTIONS[status],
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }


def _complete_responses(operation: dict[str, Any]) -> None:
    """Problems every route of a kind may answer, declared once here instead of on each route:
    an unreadable or oversized body, a signed-in caller's rate limit; and FastAPI's own 422 is
    a problem document here, not its default schema."""
    responses = operation["responses"]
    extra: list[int] = [422] if "422" in responses else []
    if "requestBody" in operation:
        extra += [400, 413, 422]
    if "401" in responses:
        extra.append(429)
    for status, response in problem_responses(*extra).items():
        responses[str(status)] = response


_IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Send the same key when retrying: the request runs once and repeats get "
    "the first response (24 h). Another body under the same key is a 422.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}


def _declare_headers(method: str, operation: dict[str, Any]) -> None:
    """Headers handled outside the routes' signatures, made visible to client generators:
    If-Match is required where a route takes it (its absence is a 428, checked lazily), and
    signed-in POSTs accept an Idempotency-Key (the middleware handles it)."""
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "header" and parameter["name"].lower() == "if-match":
            parameter["required"] = True
    if method == "post" and operation.get("security"):
        operation.setdefault("parameters", []).append(_IDEMPOTENCY_KEY)
        # a malformed key or one reused for another request (422), the first one still running (409)
        for status, response in problem_responses(409, 422).items():
            operation["responses"].setdefault(str(status), response)


def install_problem_schema(app: FastAPI) -> None:
    """Publish the Problem schema that `problem_responses` refers to."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        spec = build()
        schemas = spec.setdefault("components", {}).setdefault("schemas", {})
        problem_schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(problem_schema.pop("$defs", {}))
        schemas["Problem"] = problem_schema
        for item in spec.get("paths", {}).values():
            for method, operation in item.items():
                _complete_responses(operation)
                _declare_headers(method, operation)
        for fastapi_default in ("HTTPValidationError", "ValidationError"):
            schemas.pop(fastapi_default, None)
        app.openapi_schema = spec
        return spec

    app.openapi = openapi  # type: ignore[method-assign]
