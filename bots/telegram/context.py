"""The client or deal a manager is working on in the chat: set when a card is shown or a log is
started, read by features that act "on this one" (a voice note, a photo, a document, /log
without a target). Kept in the FSM data, so it survives between updates and processes."""

from __future__ import annotations

from dataclasses import dataclass

from aiogram.fsm.context import FSMContext

_KEY = "context"
KINDS = ("contact", "company", "deal")


@dataclass(frozen=True, slots=True)
class InContext:
    kind: str  # one of KINDS
    id: int


async def remember(state: FSMContext, kind: str, object_id: int) -> None:
    assert kind in KINDS, kind
    await state.update_data({_KEY: {"kind": kind, "id": object_id}})


async def current(state: FSMContext) -> InContext | None:
    """The object last shown or logged against; the caller re-checks the actor may see it."""
    value = (await state.get_data()).get(_KEY)
    if not isinstance(value, dict) or value.get("kind") not in KINDS:
        return None
    if not isinstance(value.get("id"), int):
        return None
    return InContext(value["kind"], value["id"])
