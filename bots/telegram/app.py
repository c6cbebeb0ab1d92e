"""Building the bot: the Bot with its limits, the Dispatcher with its routers and storage, the
command menus. Long polling (`runner.py`) and the webhook (`webhook.py`) both start from here."""

from __future__ import annotations

import logging
from datetime import timedelta

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage, DefaultKeyBuilder
from aiogram.fsm.storage.memory import MemoryStorage, SimpleEventIsolation
from aiogram.types import BotCommand, BotCommandScopeDefault
from tortoise.transactions import in_transaction

from bots.telegram import texts
from bots.telegram.handlers import feature_routers
from bots.telegram.limits import TelegramLimits
from bots.telegram.middlewares import AccountLookup, UpdateContext
from bots.telegram.staging import StageFiles
from models.ops.telegram_account import mark_telegram_unreachable, telegram_account
from models.settings import Settings
from models.text import LANGUAGES
from schedulers.channels.pacing import RedisPacer

log = logging.getLogger(__name__)

# A half-finished dialog (a draft, a guided creation) is forgotten after a day.
FSM_TTL = timedelta(days=1)
WEBHOOK_PATH = "/telegram/webhook"


async def mark_unreachable(telegram_user_id: int) -> None:
    """What the limits middleware does with a 403: mark the linked user, in its own
    transaction (replies are sent after the update's transaction is over)."""
    async with in_transaction():
        if await mark_telegram_unreachable(telegram_user_id):
            log.info("Telegram user %s refuses messages: marked", telegram_user_id)


_process_limits: TelegramLimits | None = None
# A Telegram turn is waited for, however far (the pacer hands back turns beyond this, asked again).
SHARED_MAX_WAIT = 60.0


def process_limits(settings: Settings) -> TelegramLimits:
    """Telegram counts its limits per bot: every Bot this process builds (the bot's replies, the
    outbox's Telegram channel) keeps them together, in one `TelegramLimits`, and with
    `VORONKA_REDIS_URL` set, together with every other process through Redis."""
    global _process_limits
    if _process_limits is None:
        shared = (
            RedisPacer(settings.redis_url, max_wait=SHARED_MAX_WAIT) if settings.redis_url else None
        )
        _process_limits = TelegramLimits(on_unreachable=mark_unreachable, shared=shared)
    return _process_limits


def build_bot(settings: Settings, *, limits: TelegramLimits | None = None) -> Bot:
    """A Bot talking to `VORONKA_TELEGRAM_API_BASE`, with Telegram's limits kept
    (`limits.py`, shared by the process unless `limits` is given). Replies are Telegram HTML
    (`texts.render` escapes values)."""
    assert settings.telegram_token is not None, "the bot needs VORONKA_TELEGRAM_TOKEN"
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_base))
    session.middleware(limits or process_limits(settings))
    return Bot(
        settings.telegram_token.get_secret_value(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )


def build_storage(settings: Settings) -> tuple[BaseStorage, BaseEventIsolation]:
    """FSM state in Redis when `VORONKA_REDIS_URL` is set (shared by every process, survives a
    restart), else in this process's memory. Updates of one user are handled one at a time."""
    if settings.redis_url:
        from aiogram.fsm.storage.redis import RedisStorage

        storage = RedisStorage.from_url(
            settings.redis_url,
            key_builder=DefaultKeyBuilder(prefix="voronka:fsm", with_bot_id=True),
            state_ttl=FSM_TTL,
            data_ttl=FSM_TTL,
        )
        return storage, storage.create_isolation()
    return MemoryStorage(), SimpleEventIsolation()


def build_dispatcher(
    settings: Settings,
    *,
    storage: BaseStorage | None = None,
    events_isolation: BaseEventIsolation | None = None,
    account: AccountLookup = telegram_account,
) -> Dispatcher:
    """The dispatcher with the update middleware and every feature router. `account` finds the
    user behind a Telegram user id (the console replaces it)."""
    if storage is None:
        storage, events_isolation = build_storage(settings)
    dispatcher = Dispatcher(storage=storage, events_isolation=events_isolation)
    # Outside in: files are fetched before the transaction that stores them is opened.
    dispatcher.update.outer_middleware(StageFiles(settings.data_dir))
    dispatcher.update.outer_middleware(UpdateContext(settings.language, account))
    dispatcher.include_routers(*feature_routers())
    return dispatcher


def command_menu(language: str) -> list[BotCommand]:
    return [
        BotCommand(command=item.command, description=item.description.get(language))
        for item in texts.COMMANDS
    ]


async def configure_commands(bot: Bot, default_language: str = "ru") -> None:
    """The command menus: one per language, and a default for every other app language."""
    scope = BotCommandScopeDefault()
    await bot.set_my_commands(command_menu(default_language), scope=scope)
    for language in LANGUAGES:
        await bot.set_my_commands(command_menu(language), scope=scope, language_code=language)


class TelegramRuntime:
    """The bot and its dispatcher, for as long as the process serves Telegram."""

    def __init__(
        self, settings: Settings, *, bot: Bot | None = None, dispatcher: Dispatcher | None = None
    ) -> None:
        self.settings = settings
        self.bot = bot or build_bot(settings)
        self.dispatcher = dispatcher or build_dispatcher(settings)

    @property
    def webhook_secret(self) -> str | None:
        secret = self.settings.telegram_webhook_secret
        return secret.get_secret_value() if secret is not None else None

    async def start_webhook(self) -> None:
        """Menus, and the webhook registration when `VORONKA_PUBLIC_URL` is known. Failures are
        logged, not raised: the API serves on while Telegram is unreachable."""
        try:
            await configure_commands(self.bot, self.settings.language)
            if self.settings.public_url is None:
                log.warning(
                    "Telegram webhook mode without VORONKA_PUBLIC_URL: register %s with setWebhook "
                    "yourself",
                    WEBHOOK_PATH,
                )
                return
            await self.bot.set_webhook(
                f"{self.settings.public_url}{WEBHOOK_PATH}",
                secret_token=self.webhook_secret,
                allowed_updates=self.dispatcher.resolve_used_update_types(),
            )
            log.info("Telegram webhook registered")
        except Exception:
            log.exception("Telegram set-up failed: the webhook may need registering by hand")

    async def close(self) -> None:
        await self.dispatcher.fsm.close()
        await self.bot.session.close()
