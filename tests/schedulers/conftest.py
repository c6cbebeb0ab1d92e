"""Fixtures the scheduler and channel tests share: the frozen clock, a small organisation, the
default templates."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from models.clock import FrozenClock, use_clock
from models.ops.templates import install_default_templates
from tests.factories import T0, Org, make_org


@pytest.fixture
def clock() -> Iterator[FrozenClock]:
    with use_clock(FrozenClock(T0)) as frozen:
        yield frozen


@pytest.fixture
async def org(db: str) -> Org:
    return await make_org()


@pytest.fixture
async def templates(db: str) -> int:
    return await install_default_templates()
