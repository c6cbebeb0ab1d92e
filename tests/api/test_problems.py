"""Domain errors become RFC 9457 problem documents with field errors in the asked language."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict

from models.errors import (
    Conflict,
    DomainError,
    DuplicateCandidate,
    FieldError,
    Forbidden,
    NotFound,
    PreconditionFailed,
    ValidationFailed,
)
from models.text import Text
from tests.api.v1.conftest import PASSWORD, headers_for
from tests.factories import make_user


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    count: int


ERRORS: dict[str, DomainError] = {
    "not-found": NotFound("deal", 7),
    "forbidden": Forbidden(),
    "stale": PreconditionFailed(),
    "invalid": ValidationFailed(
        [
            FieldError("inn", "invalid_inn", Text("ИНН неверен.", "Invalid INN.")),
            FieldError("phones.1", "invalid_phone", Text("Неверный номер.", "Invalid phone.")),
        ]
    ),
    "duplicate": Conflict(
        [DuplicateCandidate("contact", 3, "Петров Иван", "phone:+79161234567")], 2
    ),
}


@pytest.fixture
def raising_app(app: FastAPI) -> FastAPI:
    @app.get("/raise/{name}")
    async def raise_error(name: str) -> None:
        raise ERRORS[name]

    @app.post("/echo")
    async def echo(payload: Payload) -> Payload:
        return payload

    return app


@pytest.mark.parametrize(
    ("name", "status", "code"),
    [
        ("not-found", 404, "not_found"),
        ("forbidden", 403, "forbidden"),
        ("stale", 412, "stale_version"),
        ("invalid", 422, "validation_failed"),
        ("duplicate", 409, "duplicate"),
    ],
)
async def test_domain_errors_map_to_statuses(
    raising_app: FastAPI, client: httpx.AsyncClient, name: str, status: int, code: str
) -> None:
    response = await client.get(f"/raise/{name}")
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["instance"] == f"/raise/{name}"


async def test_field_errors_follow_accept_language(
    raising_app: FastAPI, client: httpx.AsyncClient
) -> None:
    english = await client.get("/raise/invalid", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert english.json()["errors"] == [
        {"field": "inn", "code": "invalid_inn", "message": "Invalid INN."},
        {"field": "phones.1", "code": "invalid_phone", "message": "Invalid phone."},
    ]
    russian = await client.get("/raise/invalid")
    assert russian.json()["errors"][0]["message"] == "ИНН неверен."


async def test_conflict_lists_visible_candidates_and_counts_hidden(
    raising_app: FastAPI, client: httpx.AsyncClient
) -> None:
    body = (await client.get("/raise/duplicate")).json()
    assert body["candidates"] == [
        {"entity": "contact", "id": 3, "label": "Петров Иван", "matched_on": "phone:+79161234567"}
    ]
    assert body["hidden_candidates"] == 2


async def test_request_validation_names_each_field(
    raising_app: FastAPI, client: httpx.AsyncClient
) -> None:
    response = await client.post(
        "/echo", json={"count": "many", "extra": 1}, headers={"Accept-Language": "en"}
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    fields = {e["field"]: e["code"] for e in response.json()["errors"]}
    assert fields == {"name": "missing", "count": "int_parsing", "extra": "extra_forbidden"}


async def test_json_types_are_taken_as_declared(client: httpx.AsyncClient) -> None:
    headers = await headers_for(client, await make_user(password=PASSWORD))
    for body, field in (
        ({"first_name": "Иван", "birthday": 0}, "birthday"),
        ({"first_name": "Иван", "company_id": True}, "company_id"),
    ):
        response = await client.post("/v1/contacts", json=body, headers=headers)
        assert response.status_code == 422, body
        assert [e["field"] for e in response.json()["errors"]] == [field]
        assert response.json()["errors"][0]["code"] == "wrong_json_type"


async def test_unknown_query_parameters_are_refused(client: httpx.AsyncClient) -> None:
    headers = await headers_for(client, await make_user(password=PASSWORD))
    response = await client.get("/v1/contacts", params={"ownr_id": 5}, headers=headers)
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "field": "ownr_id",
            "code": "unknown_parameter",
            "message": "Неизвестный параметр запроса.",
        }
    ]
    assert (
        await client.get("/v1/contacts", params={"limit": 5}, headers=headers)
    ).status_code == 200


async def test_a_query_parameter_given_twice_is_refused(client: httpx.AsyncClient) -> None:
    headers = await headers_for(client, await make_user(password=PASSWORD))
    response = await client.get(
        "/v1/loss-reasons", params=[("active", "true"), ("active", "false")], headers=headers
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "field": "active",
            "code": "repeated_parameter",
            "message": "Параметр запроса указан несколько раз: он принимает одно значение.",
        }
    ]


async def test_nul_characters_are_refused_not_stored(client: httpx.AsyncClient) -> None:
    headers = await headers_for(client, await make_user(password=PASSWORD))
    response = await client.post("/v1/contacts", json={"first_name": "Ива\u0000н"}, headers=headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "first_name"


async def test_method_not_allowed_lists_every_method_of_the_path(client: httpx.AsyncClient) -> None:
    response = await client.put("/v1/contacts/1")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD, PATCH"
    assert response.headers["content-type"] == "application/problem+json"


async def test_unreadable_json_is_a_problem_about_the_body(client: httpx.AsyncClient) -> None:
    headers = await headers_for(client, await make_user(password=PASSWORD))
    response = await client.post(
        "/v1/contacts",
        content=b'{"first_name": ',
        headers={**headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("body", "json_invalid")
    ]
