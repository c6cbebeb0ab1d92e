"""Fixtures the domain tests share: an office tree, the default pipeline, a frozen clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from models.clock import FrozenClock, use_clock
from models.entities import Pipeline
from tests.factories import T0, Org, make_org, make_pipeline


@pytest.fixture
async def org() -> Org:
    return await make_org()


@pytest.fixture
async def pipeline() -> Pipeline:
    return await make_pipeline()


@pytest.fixture
def clock() -> Iterator[FrozenClock]:
    with use_clock(FrozenClock(T0)) as frozen:
        yield frozen
