"""Every example in mobile_contracts/examples/ is valid against the contract it illustrates.

A file is named `<operationId>.<request|response>[.<status>].json`:

- `createContact.request.json`: the JSON request body of `createContact`;
- `createContact.response.201.json`: its 201 response body;
- `getMe.response.json`: without a status, the operation's only 2xx response.

Problem documents (`application/problem+json`) are checked against `components/schemas/Problem`
through the response the operation declares for that status. Validation is JSON Schema 2020-12
(OpenAPI 3.1) with formats checked, and objects closed: the server may add fields later, so clients
must ignore unknown ones, but an example must not invent a field the contract does not have.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from typing import Any

import jsonschema_rs
import pytest

from api.contract import CONTRACT

EXAMPLES = CONTRACT.parent / "examples"
SPEC: dict[str, Any] = json.loads(CONTRACT.read_text(encoding="utf-8"))
NAME = re.compile(
    r"^(?P<operation>[a-z][A-Za-z0-9]*)\.(?P<part>request|response)"
    r"(?:\.(?P<status>[1-5]\d\d))?\.json$"
)
JSON_TYPES = ("application/json", "application/problem+json")

# What the guide promises mobile developers an example of (see mobile_contracts/README.md).
PROMISED = {
    "login.request.json",
    "login.response.json",
    "refreshTokens.request.json",
    "getMe.response.json",
    "listContacts.response.json",
    "createContact.request.json",
    "createContact.response.201.json",
    "createContact.response.409.json",
    "createContact.response.422.json",
    "moveDeal.request.json",
    "moveDeal.response.json",
    "moveDeal.response.422.json",
    "getDealCard.response.json",
    "getPipelineBoard.response.json",
    "getMyDay.response.json",
    "createInteraction.request.json",
    "createTask.request.json",
    "snoozeTask.request.json",
    "changeOrderStatus.request.json",
    "convertLead.request.json",
    "registerDevice.request.json",
    "createTelegramLink.response.201.json",
}


class UnknownExample(LookupError):
    """The file names an operation, part or status the contract does not have."""


@dataclass(frozen=True, slots=True)
class Target:
    operation_id: str
    part: str
    status: str | None
    media_type: str
    schema: dict[str, Any]


def _operations(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        operation["operationId"]: operation
        for item in spec["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict) and "operationId" in operation
    }


OPERATIONS = _operations(SPEC)


def _json_content(content: dict[str, Any], where: str) -> tuple[str, dict[str, Any]]:
    for media_type in JSON_TYPES:
        if media_type in content:
            return media_type, content[media_type]["schema"]
    raise UnknownExample(f"{where} has no JSON body (only {sorted(content)})")


def target_for(file_name: str, spec: dict[str, Any] = SPEC) -> Target:
    """The schema the contract gives for the body an example file names."""
    match = NAME.match(file_name)
    if match is None:
        raise UnknownExample(
            f"{file_name}: name it <operationId>.<request|response>[.<status>].json"
        )
    operation_id, part, status = match["operation"], match["part"], match["status"]
    operation = _operations(spec).get(operation_id)
    if operation is None:
        raise UnknownExample(f"{file_name}: no operation {operation_id!r} in the contract")
    if part == "request":
        if status is not None:
            raise UnknownExample(f"{file_name}: a request has no status")
        body = operation.get("requestBody")
        if body is None:
            raise UnknownExample(f"{file_name}: {operation_id} takes no request body")
        media_type, schema = _json_content(body["content"], f"{operation_id} request")
        return Target(operation_id, part, None, media_type, schema)
    responses: dict[str, Any] = operation["responses"]
    if status is None:
        successes = [code for code in responses if code.startswith("2")]
        if len(successes) != 1:
            raise UnknownExample(f"{file_name}: name the status, one of {successes}")
        status = successes[0]
    if status not in responses:
        raise UnknownExample(f"{file_name}: {operation_id} declares no {status} response")
    content = responses[status].get("content")
    if not content:
        raise UnknownExample(f"{file_name}: the {status} response of {operation_id} has no body")
    media_type, schema = _json_content(content, f"{operation_id} {status}")
    return Target(operation_id, part, status, media_type, schema)


def _closed(node: Any) -> Any:
    """Objects that list their properties admit no others (unless the schema says otherwise)."""
    if isinstance(node, dict):
        closed = {key: _closed(value) for key, value in node.items()}
        if "properties" in closed and "additionalProperties" not in closed:
            closed["additionalProperties"] = False
        return closed
    if isinstance(node, list):
        return [_closed(value) for value in node]
    return node


COMPONENTS = _closed(SPEC["components"])


def validator_for(target: Target) -> jsonschema_rs.Draft202012Validator:
    """The target's schema with the spec's components beside it, so `#/components/...` resolves."""
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": COMPONENTS,
        **_closed(copy.deepcopy(target.schema)),
    }
    return jsonschema_rs.Draft202012Validator(schema, validate_formats=True)


def problems_with(file_name: str, document: Any) -> list[str]:
    target = target_for(file_name)
    errors = [
        f"{'/'.join(map(str, e.instance_path)) or '(root)'}: {e.message}"
        for e in validator_for(target).iter_errors(document)
    ]
    if target.media_type == "application/problem+json" and isinstance(document, dict):
        if document.get("status") != int(target.status or 0):
            errors.append(f"status {document.get('status')} is not the file's {target.status}")
        if not document.get("code"):
            errors.append("a problem example names its `code`, what clients branch on")
    return errors


EXAMPLE_FILES = sorted(path.name for path in EXAMPLES.glob("*.json"))


def _load(name: str) -> Any:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


def test_the_promised_examples_exist() -> None:
    assert PROMISED <= set(EXAMPLE_FILES), sorted(PROMISED - set(EXAMPLE_FILES))


def test_the_examples_directory_holds_only_examples() -> None:
    strays = sorted(p.name for p in EXAMPLES.iterdir() if not NAME.match(p.name))
    assert not strays, f"not <operationId>.<request|response>[.<status>].json: {strays}"


@pytest.mark.parametrize("name", EXAMPLE_FILES)
def test_example_matches_the_contract(name: str) -> None:
    assert problems_with(name, _load(name)) == []


# The test catches a wrong example: break each one and it must fail.


def _required_properties(schema: dict[str, Any]) -> list[str]:
    ref = schema.get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        schema = SPEC["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return list(schema.get("required", []))


def _other_type(value: Any) -> Any:
    """A value of another JSON type: no field of the contract takes both."""
    return 12345 if isinstance(value, str) else "not the declared type"


@pytest.mark.parametrize("name", EXAMPLE_FILES)
def test_a_required_field_of_another_type_is_caught(name: str) -> None:
    document = _load(name)
    required = [p for p in _required_properties(target_for(name).schema) if p in document]
    if not required:
        pytest.skip("no required field at the top level")
    for field in required:
        broken = {**document, field: _other_type(document[field])}
        assert problems_with(name, broken), f"{field} of another type passed"


@pytest.mark.parametrize("name", EXAMPLE_FILES)
def test_a_missing_required_field_is_caught(name: str) -> None:
    document = _load(name)
    required = _required_properties(target_for(name).schema)
    if not required:
        pytest.skip("no required field at the top level")
    for field in required:
        broken = {key: value for key, value in document.items() if key != field}
        assert problems_with(name, broken), f"without {field} passed"


@pytest.mark.parametrize("name", EXAMPLE_FILES)
def test_an_invented_field_is_caught(name: str) -> None:
    assert problems_with(name, {**_load(name), "invented_field": 1})


def test_a_nested_mistake_is_caught() -> None:
    board = _load("getPipelineBoard.response.json")
    board["columns"][0]["deals"][0]["amount"] = 150000.5  # money is a decimal string
    assert problems_with("getPipelineBoard.response.json", board)
    contact = _load("createContact.request.json")
    contact["preferred_channels"] = ["pigeon"]
    assert problems_with("createContact.request.json", contact)
    task = _load("createTask.request.json")
    task["due_at"] = "tomorrow"
    assert problems_with("createTask.request.json", task)


@pytest.mark.parametrize(
    "name",
    [
        "noSuchOperation.response.json",  # unknown operationId
        "createContact.response.418.json",  # a status the operation does not declare
        "createContact.response.json.bak",  # not an example name
        "CreateContact.request.json",  # operationIds are camelCase
        "getMe.request.json",  # GET /v1/me takes no body
        "createContact.request.201.json",  # a request has no status
        "logout.response.json",  # 204: no body
        "createContact.response.2xx.json",
        "downloadAttachment.response.json",  # a file, not JSON
    ],
)
def test_a_name_the_contract_does_not_know_is_refused(name: str) -> None:
    with pytest.raises(UnknownExample):
        target_for(name)


def test_an_ambiguous_success_needs_its_status() -> None:
    spec = copy.deepcopy(SPEC)
    spec["paths"]["/v1/me"]["get"]["responses"]["202"] = spec["paths"]["/v1/me"]["get"][
        "responses"
    ]["200"]
    with pytest.raises(UnknownExample):
        target_for("getMe.response.json", spec)
    assert target_for("getMe.response.202.json", spec).status == "202"
