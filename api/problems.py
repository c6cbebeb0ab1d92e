"""RFC 9457 problem details: every error the API returns has this one shape.

`errors` lists field problems as {field, code, message}; messages follow Accept-Language.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.i18n import language_from_header
from models.errors import (
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
    PreconditionFailed,
    ValidationFailed,
)
from models.text import Text

PROBLEM_JSON = "application/problem+json"

_STATUS: dict[type[DomainError], int] = {
    NotFound: 404,
    Forbidden: 403,
    Conflict: 409,
    PreconditionFailed: 412,
    ValidationFailed: 422,
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
    429: Text("Слишком много запросов", "Too many requests"),
    500: Text("Внутренняя ошибка", "Internal server error"),
    503: Text("Сервис недоступен", "Service unavailable"),
}
_INVALID_VALUE = Text("Недопустимое значение.", "Invalid value.")
_MISSING_VALUE = Text("Обязательное поле.", "This field is required.")
_EXTRA_FIELD = Text("Неизвестное поле.", "Unknown field.")


def problem(
    request: Request,
    status: int,
    detail: Text | None = None,
    *,
    code: str | None = None,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    language = language_from_header(request.headers.get("accept-language"))
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
    language = language_from_header(request.headers.get("accept-language"))
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
    return problem(request, status, exc.message, code=exc.code, extra=extra)


def _field_path(location: tuple[Any, ...]) -> str:
    parts = [str(p) for p in location]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    return ".".join(parts) or "body"


def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    language = language_from_header(request.headers.get("accept-language"))
    errors = []
    for error in exc.errors():
        kind = str(error.get("type", "invalid"))
        text = {"missing": _MISSING_VALUE, "extra_forbidden": _EXTRA_FIELD}.get(kind)
        message = text.get(language) if text else str(error.get("msg", _INVALID_VALUE.en))
        errors.append({"field": _field_path(tuple(error["loc"])), "code": kind, "message": message})
    detail = Text("Проверьте введённые данные.", "Please check the values sent.")
    return problem(request, 422, detail, code="validation_failed", extra={"errors": errors})


def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return problem(request, exc.status_code, headers=getattr(exc, "headers", None))


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
