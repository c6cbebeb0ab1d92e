"""`/digest`: the morning digest, on or off and at what local time (models/ops/digest.py).

`/digest` says how it is now; `/digest 08:30` moves it, `/digest off` and `/digest on` stop and
start it. The same choice as `PATCH /v1/me/digest`.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bots.telegram import texts_work as t
from bots.telegram.replies import Replies
from models.actor import Actor
from models.errors import ValidationFailed
from models.ops.digest import DigestChoice, digest_choice, set_my_digest
from models.ops.profile import my_profile

_ON = {"on", "вкл", "включить", "да"}
_OFF = {"off", "выкл", "выключить", "нет"}


def _status(replies: Replies, choice: DigestChoice) -> None:
    if choice.enabled:
        replies.say(t.DIGEST_ON, time=choice.time)
    else:
        replies.say(t.DIGEST_OFF)


async def digest(message: Message, command: CommandObject, actor: Actor, replies: Replies) -> None:
    wanted = (command.args or "").strip().lower()
    if not wanted:
        _status(replies, digest_choice(await my_profile(actor)))
        return
    if wanted in _ON:
        choice = await set_my_digest(actor, enabled=True)
    elif wanted in _OFF:
        choice = await set_my_digest(actor, enabled=False)
    else:
        try:
            choice = await set_my_digest(actor, enabled=True, time=wanted)
        except ValidationFailed:
            replies.say(t.DIGEST_BAD)
            return
    _status(replies, choice)


def build() -> Router:
    router = Router(name="digest")
    router.message.register(digest, Command("digest"))
    return router
