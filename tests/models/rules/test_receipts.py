"""Provider receipts without a database: which statuses move a message, and only forwards."""

from __future__ import annotations

import pytest

from models.entities.enums import MessageState
from models.rules.outbox import RECEIPT_FROM, receipt_state


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("delivered", MessageState.DELIVERED),
        ("read", MessageState.READ),
        ("failed", MessageState.FAILED),
        (" Undelivered ", MessageState.FAILED),
        ("sent", None),
        ("queued", None),
        ("accepted", None),
        ("", None),
    ],
)
def test_a_status_moves_a_message_to_its_state_or_nowhere(
    status: str, state: MessageState | None
) -> None:
    assert receipt_state(status) == state


def test_receipts_never_move_a_message_backwards() -> None:
    order = [MessageState.SENT, MessageState.DELIVERED, MessageState.READ]
    for target, sources in RECEIPT_FROM.items():
        assert target not in sources, "a repeated receipt moves nothing"
        if target in order:
            assert all(order.index(s) < order.index(target) for s in sources)
    assert RECEIPT_FROM[MessageState.FAILED] == (MessageState.SENT,), "no failing what arrived"
