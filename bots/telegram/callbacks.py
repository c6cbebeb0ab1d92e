"""Button payloads. Each is a `CallbackData` class with a short prefix (the whole payload must fit
Telegram's 64 bytes). The client can forge any payload, so a handler re-checks the actor's right
to whatever the payload names, through the same operations as everywhere else."""

from __future__ import annotations

from typing import Literal

from aiogram.filters.callback_data import CallbackData
from pydantic import Field

from models.rules.digits import MAX_ID


class LanguageChoice(CallbackData, prefix="lang"):
    language: str


class OpenCard(CallbackData, prefix="open"):
    """Show the card of a client or deal (`kind`: contact, company or deal)."""

    kind: str
    id: int


class StartLog(CallbackData, prefix="log"):
    """Start /log (a call, meeting, visit or note) against this client or deal."""

    kind: str
    id: int


class ReminderAction(CallbackData, prefix="rmd"):
    """A button of a task reminder the clock sent (models/ops/reminders.py writes the payload
    as "rmd:<act>:<task id>"): Done, +1 h or Tomorrow on task `id`."""

    act: Literal["done", "hour", "tmrw"]
    id: int = Field(ge=1, le=MAX_ID)


class HandoverChoice(CallbackData, prefix="ho"):
    """Take back (`act` "back") or Leave ("leave") the work handed over during absence `id`.
    Packs to the text `models.ops.absences.handover_callback` writes into the return notice."""

    act: str
    id: int
