"""Button payloads. Each is a `CallbackData` class with a short prefix (the whole payload must fit
Telegram's 64 bytes). The client can forge any payload, so a handler re-checks the actor's right
to whatever the payload names, through the same operations as everywhere else."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


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


class HandoverChoice(CallbackData, prefix="ho"):
    """Take back (`act` "back") or Leave ("leave") the work handed over during absence `id`.
    Packs to the text `models.ops.absences.handover_callback` writes into the return notice."""

    act: str
    id: int
