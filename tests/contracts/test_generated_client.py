"""A client generated from the committed contract by openapi-python-client works end to end.

The generator runs once per session, offline, into a temporary folder (no post-hooks, so it
needs neither ruff nor the network); the scenario then talks to the app in-process through the
generated clients and functions only, and asserts on the models the generator produced.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from api.contract import CONTRACT
from tests.factories import make_pipeline, make_user, stage_named

PACKAGE = "voronka_client"
PASSWORD = "correct-horse-battery"
BASE_URL = "http://voronka.test"
GENERATOR_TIMEOUT = 180  # seconds; it takes a few on this machine


class Generated:
    """The generated package, imported from the temporary folder it was written to."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.package = importlib.import_module(PACKAGE)

    def op(self, tag: str, name: str) -> ModuleType:
        """One endpoint module, e.g. op("deals", "move_deal")."""
        return importlib.import_module(f"{PACKAGE}.api.{tag}.{name}")

    def model(self, name: str) -> Any:
        return getattr(importlib.import_module(f"{PACKAGE}.models"), name)

    def client(self, app: FastAPI, token: str | None = None, **headers: str) -> Any:
        """A fresh client over the app. A fresh one per set of headers: the generated
        `with_headers` also writes into the httpx client already open, so it would leak."""
        package = importlib.import_module(f"{PACKAGE}.client")
        options: dict[str, Any] = {
            "base_url": BASE_URL,
            "headers": headers,
            "raise_on_unexpected_status": True,
            "httpx_args": {"transport": httpx.ASGITransport(app=app)},
        }
        if token is None:
            return package.Client(**options)
        return package.AuthenticatedClient(token=token, **options)


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Generated]:
    assert importlib.util.find_spec("openapi_python_client") is not None, (
        "openapi-python-client is not installed: pip install -e '.[dev]'"
    )
    root = tmp_path_factory.mktemp("generated_client")
    config = root / "openapi-python-client.json"
    config.write_text(
        json.dumps({"package_name_override": PACKAGE, "post_hooks": []}), encoding="utf-8"
    )
    command = [
        sys.executable,
        "-m",
        "openapi_python_client",
        "generate",
        "--path",
        str(CONTRACT),
        "--output-path",
        str(root / PACKAGE),
        "--config",
        str(config),
        "--meta",
        "none",
        "--fail-on-warning",
    ]
    run = subprocess.run(
        command, capture_output=True, text=True, timeout=GENERATOR_TIMEOUT, check=False
    )
    assert run.returncode == 0, f"the generator rejected the contract:\n{run.stdout}\n{run.stderr}"
    sys.path.insert(0, str(root))
    try:
        yield Generated(root)
    finally:
        sys.path.remove(str(root))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def test_every_operation_of_the_contract_has_a_generated_function(generated: Generated) -> None:
    spec = json.loads(CONTRACT.read_text(encoding="utf-8"))
    expected = {
        re.sub(r"(?<!^)(?=[A-Z])", "_", operation["operationId"]).lower()
        for item in spec["paths"].values()
        for operation in item.values()
    }
    made = {p.stem for p in (generated.root / PACKAGE / "api").glob("*/*.py")} - {"__init__"}
    assert made == expected
    move = generated.op("deals", "move_deal")
    assert "if_match" in move.asyncio_detailed.__code__.co_varnames


async def test_a_manager_works_through_the_generated_client(
    app: FastAPI, generated: Generated
) -> None:
    pipeline = await make_pipeline()
    in_work = await stage_named(pipeline, "В работе")
    new = await stage_named(pipeline, "Новая")
    manager = await make_user(password=PASSWORD)
    LoginIn = generated.model("LoginIn")
    TokensOut = generated.model("TokensOut")
    MeOut = generated.model("MeOut")
    ContactCreate = generated.model("ContactCreate")
    ContactOut = generated.model("ContactOut")
    PageOutContactOut = generated.model("PageOutContactOut")
    DealCreate = generated.model("DealCreate")
    DealOut = generated.model("DealOut")
    MoveIn = generated.model("MoveIn")
    Problem = generated.model("Problem")

    async with generated.client(app) as anonymous:
        signed_in = await generated.op("auth", "login").asyncio_detailed(
            client=anonymous, body=LoginIn(login=manager.email, password=PASSWORD)
        )
    assert signed_in.status_code == 200, signed_in.content
    tokens = signed_in.parsed
    assert isinstance(tokens, TokensOut)
    assert tokens.access_token
    assert tokens.refresh_token
    assert tokens.expires_in > 0

    async with generated.client(app, tokens.access_token) as client:
        me = await generated.op("me", "get_me").asyncio_detailed(client=client)
        assert me.status_code == 200, me.content
        assert isinstance(me.parsed, MeOut)
        assert (me.parsed.id, me.parsed.email) == (manager.id, manager.email)
        assert me.parsed.role.value == "manager"

        created = await generated.op("contacts", "create_contact").asyncio_detailed(
            client=client,
            body=ContactCreate(first_name="Иван", last_name="Петров", phones=["8 (916) 555-12-34"]),
        )
        assert created.status_code == 201, created.content
        contact = created.parsed
        assert isinstance(contact, ContactOut)
        assert contact.phones == ["+79165551234"]
        assert contact.owner_id == manager.id

        found = await generated.op("contacts", "list_contacts").asyncio_detailed(
            client=client, q="1234"
        )
        assert found.status_code == 200, found.content
        assert isinstance(found.parsed, PageOutContactOut)
        assert [c.id for c in found.parsed.items] == [contact.id]
        assert isinstance(found.parsed.items[0], ContactOut)

        made = await generated.op("deals", "create_deal").asyncio_detailed(
            client=client,
            body=DealCreate(title="Поставка станков", amount="150000.00", contact_id=contact.id),
        )
        assert made.status_code == 201, made.content
        assert isinstance(made.parsed, DealOut)
        deal_id = made.parsed.id
        assert (made.parsed.pipeline_id, made.parsed.stage_id) == (pipeline.id, new.id)

        read = await generated.op("deals", "get_deal").asyncio_detailed(deal_id, client=client)
        assert read.status_code == 200, read.content
        assert isinstance(read.parsed, DealOut)
        etag = read.headers["etag"]
        assert etag == f'"{read.parsed.version}"'

        move_deal = generated.op("deals", "move_deal")
        moved = await move_deal.asyncio_detailed(
            deal_id, client=client, body=MoveIn(stage_id=in_work.id), if_match=etag
        )
        assert moved.status_code == 200, moved.content
        assert isinstance(moved.parsed, DealOut)
        assert moved.parsed.stage_id == in_work.id
        assert moved.parsed.version == read.parsed.version + 1
        assert moved.headers["etag"] != etag

        stale = await move_deal.asyncio_detailed(
            deal_id, client=client, body=MoveIn(stage_id=new.id), if_match=etag
        )
        assert stale.status_code == 412, stale.content
        assert stale.headers["content-type"].startswith("application/problem+json")
        assert isinstance(stale.parsed, Problem)
        assert stale.parsed.status == 412
        assert stale.parsed.title
        assert stale.parsed.instance == f"/v1/deals/{deal_id}/move"

    key = str(uuid.uuid4())
    ids = []
    for _ in range(2):
        async with generated.client(app, tokens.access_token, **{"Idempotency-Key": key}) as once:
            answer = await generated.op("contacts", "create_contact").asyncio_detailed(
                client=once, body=ContactCreate(first_name="Анна", last_name="Сидорова")
            )
        assert answer.status_code == 201, answer.content
        assert isinstance(answer.parsed, ContactOut)
        ids.append(answer.parsed.id)
    assert ids[0] == ids[1]
    assert ids[0] != contact.id
