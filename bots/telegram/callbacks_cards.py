"""Buttons of the client and deal cards (`handlers/cards.py`). Opening a card is the shared
`callbacks.OpenCard`; logging an outcome is the shared `callbacks.StartLog`.

Every payload can be forged: ids are only checked to be ids here (1 … 2³¹−1, so a huge number
is a stale button, not a database error); the handlers load what they name through the
visibility functions. A deal's `version` is the one the card showed: a move or a loss with an
older one is refused by the domain (`PreconditionFailed`) and the card is refreshed.
"""

from __future__ import annotations

from typing import Annotated, Literal

from aiogram.filters.callback_data import CallbackData
from pydantic import Field

from models.rules.digits import MAX_ID

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Version = Annotated[int, Field(ge=1, le=MAX_ID)]
View = Literal["card", "tasks", "history"]


class CardView(CallbackData, prefix="cv"):
    """Show the card, its open tasks or its history in place of the message pressed."""

    kind: str
    id: Id
    view: View


class NextStage(CallbackData, prefix="nx"):
    """Move the deal to its next open stage, asking for the stage's required fields first."""

    id: Id
    version: Version


class LoseDeal(CallbackData, prefix="lose"):
    """Offer the loss reasons in place of the card's buttons."""

    id: Id
    version: Version


class LossReasonPick(CallbackData, prefix="lr"):
    id: Id
    version: Version
    reason: Id


class Remind(CallbackData, prefix="rm"):
    """Ask when, then make a task for the actor linked to this client or deal."""

    kind: str
    id: Id


class StageValuePick(CallbackData, prefix="sv"):
    """A contact, company or source chosen for the required field being asked (the deal and
    the field are in the dialog state)."""

    value: Id


class StopInput(CallbackData, prefix="stop"):
    """Cancel the question a card asked (a required field, a reminder time)."""

    what: Literal["stage", "remind"]


Writable = Literal["contact", "deal"]


class WriteMessage(CallbackData, prefix="wm"):
    """Offer the message templates for the client of this card (a contact, or a deal's)."""

    kind: Writable
    id: Id


class MessagePick(CallbackData, prefix="mp"):
    """Preview the purpose of this template (any active one of the purpose) for the client,
    about `order` (0: none; an order-status template always names its order)."""

    kind: Writable
    id: Id
    template: Id
    order: Annotated[int, Field(ge=0, le=MAX_ID)] = 0


class MessageSend(CallbackData, prefix="ms"):
    """Send what the preview showed. The pressed preview's message id makes the dedup key."""

    kind: Writable
    id: Id
    template: Id
    order: Annotated[int, Field(ge=0, le=MAX_ID)] = 0


class ContactLanguageMenu(CallbackData, prefix="cl"):
    """Offer the languages of the contact's messages in place of the card's buttons."""

    id: Id
    version: Version


ContactLanguage = Literal["ru", "en", "default"]


class ContactLanguagePick(CallbackData, prefix="cls"):
    """Write the contact's messages in `language` ("default": the installation's language),
    from the contact `version` the card showed."""

    id: Id
    version: Version
    language: ContactLanguage
