"""POST /telegram/webhook: Telegram's updates in webhook mode (`VORONKA_TELEGRAM_WEBHOOK=1`).

Mounted only in webhook mode, outside /v1 and outside the mobile contract. The work is done by
`bots.telegram.webhook`: the secret header compared in constant time (401 and nothing done
otherwise), the update acted on and deduplicated by update_id, then 200.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter, FastAPI, Request, Response
from starlette.exceptions import HTTPException

from models.settings import Settings

if TYPE_CHECKING:
    from bots.telegram.app import TelegramRuntime

router = APIRouter(include_in_schema=False)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@router.post("/telegram/webhook")
async def telegram_webhook(request: Request) -> Response:
    from bots.telegram.webhook import Outcome, handle_webhook

    runtime: TelegramRuntime = request.app.state.telegram
    secret = request.headers.get(SECRET_HEADER)
    outcome = await handle_webhook(runtime, secret, await request.body())
    if outcome is not Outcome.DONE:
        raise HTTPException(status_code=int(outcome))
    return Response(status_code=200)


def install_telegram_webhook(app: FastAPI, settings: Settings) -> None:
    """Mount the route and build the bot it feeds (aiogram is imported only in webhook mode)."""
    from bots.telegram.app import TelegramRuntime

    app.state.telegram = TelegramRuntime(settings)
    app.include_router(router)
