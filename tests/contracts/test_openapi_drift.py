"""The committed contract is exactly what the code serves: change one, regenerate the other."""

from __future__ import annotations

import json

from api.contract import CONTRACT, current_contract, render


def test_committed_openapi_matches_the_code() -> None:
    committed = CONTRACT.read_text(encoding="utf-8")
    assert committed == render(current_contract()), (
        "mobile_contracts/openapi.json is stale: run `make contracts` and review the diff"
    )


def test_every_operation_has_a_stable_unique_id() -> None:
    spec = json.loads(CONTRACT.read_text(encoding="utf-8"))
    ids = [
        operation["operationId"] for path in spec["paths"].values() for operation in path.values()
    ]
    assert len(ids) == len(set(ids))
    assert all(i[0].islower() and "_" not in i for i in ids), "camelCase operationIds"
