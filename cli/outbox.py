"""`voronka outbox` and `voronka templates`: the dead letter and the shipped templates."""

from __future__ import annotations

from models.actor import Actor
from models.entities import MessageState, OutboundMessage
from models.errors import FieldError, ValidationFailed
from models.ops.bootstrap import ensure_default_templates
from models.ops.outbox import replay_message
from models.queries.outbox import MessageFilters, list_messages
from models.text import Text

_BAD_STATE = Text("Состояние: {states}.", "State: {states}.").format(
    states=", ".join(s.value for s in MessageState)
)


def parse_state(raw: str | None) -> MessageState | None:
    if raw is None or raw == "all":
        return None
    try:
        return MessageState(raw)
    except ValueError:
        raise ValidationFailed([FieldError("--state", "invalid_choice", _BAD_STATE)]) from None


def describe(message: OutboundMessage) -> str:
    """One line: id, state, attempts, channel, address, purpose, when, last error."""
    when = message.created_at.strftime("%Y-%m-%d %H:%M")
    error = message.last_error.replace("\n", " ")
    return (
        f"{message.id}\t{message.state}\t{message.attempts}\t{message.channel}\t"
        f"{message.address or '-'}\t{message.purpose or '-'}\t{when}\t{error}"
    )


async def outbox_lines(state: str | None, limit: int) -> list[str]:
    page = await list_messages(
        Actor.system(), MessageFilters(state=parse_state(state)), "-id", None, limit
    )
    return [describe(message) for message in page.items]


async def replay(message_id: int) -> str:
    return describe(await replay_message(Actor.system(), message_id))


async def install_templates() -> int:
    return await ensure_default_templates()
