"""Webhook mode: an update POSTed by Telegram to the API's `/telegram/webhook`.

The route (`api/routes/telegram.py`) hands the secret header and the body here. The secret is
compared in constant time, the update is acted on (deduplicated by update_id, see
`middlewares.py`) and only then does the route answer 200, so a crash before the answer makes
Telegram deliver the update again.
"""

from __future__ import annotations

import hmac
import json
from enum import IntEnum

from aiogram.types import Update
from pydantic import ValidationError

from bots.telegram.app import TelegramRuntime


class Outcome(IntEnum):
    DONE = 200
    BAD_UPDATE = 400
    BAD_SECRET = 401


def secret_matches(expected: str | None, given: str | None) -> bool:
    if not expected or given is None:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


async def handle_webhook(runtime: TelegramRuntime, secret: str | None, body: bytes) -> Outcome:
    if not secret_matches(runtime.webhook_secret, secret):
        return Outcome.BAD_SECRET
    try:
        update = Update.model_validate(json.loads(body), context={"bot": runtime.bot})
    except (ValueError, ValidationError):
        return Outcome.BAD_UPDATE
    await runtime.dispatcher.feed_update(runtime.bot, update, deduplicate=True)
    return Outcome.DONE
