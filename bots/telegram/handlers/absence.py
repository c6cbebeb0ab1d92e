"""The buttons of the return notice (Take back · Leave), sent by the clock when an absence ends
(`models.ops.absences.offer_return`).

A payload can be forged: the absence id goes to `settle_return`, which sees only the absences
the presser manages (their own, a head's office tree, an admin's all) and answers once. After
an answer the notice is replaced by what became of the work, without buttons.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery
from tortoise.transactions import in_transaction

from bots.telegram import texts_absence as t
from bots.telegram.callbacks import HandoverChoice
from bots.telegram.replies import Replies, pressed_message
from models.actor import Actor
from models.errors import DomainError, NotFound, ValidationFailed
from models.ops.absences import TAKE_BACK, settle_return
from models.text import Text


async def answer_offer(
    query: CallbackQuery, callback_data: HandoverChoice, actor: Actor, replies: Replies
) -> None:
    take_back = callback_data.act == TAKE_BACK
    try:
        async with in_transaction():  # a savepoint: a refused answer leaves nothing behind
            result = await settle_return(actor, callback_data.id, take_back=take_back)
    except NotFound:
        replies.notify(t.GONE, alert=True)
        return
    except DomainError as error:
        replies.notify(_sentence(error), alert=True)
        return
    message = pressed_message(query)
    if take_back:
        replies.notify(t.TAKEN_BACK_TOAST)
        replies.show(message, t.TAKEN_BACK, returned=len(result.returned), gone=len(result.gone))
    else:
        replies.notify(t.LEFT_TOAST)
        replies.show(message, t.LEFT, kept=len(result.kept) + len(result.gone))


def _sentence(error: DomainError) -> Text:
    if isinstance(error, ValidationFailed) and error.errors:
        return Text(
            " ".join(e.message.ru for e in error.errors),
            " ".join(e.message.en for e in error.errors),
        )
    return error.message


def build() -> Router:
    router = Router(name="absence")
    router.callback_query.register(answer_offer, HandoverChoice.filter())
    return router
