"""`voronka run`: the API and the bots in this process, more API processes (ADR 0027) and the
scheduler (ADR 0026) as its children, stopped together by Ctrl-C or SIGTERM. `voronka scheduler`:
the scheduler alone."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from dataclasses import dataclass
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from tortoise.transactions import in_transaction

from api.app import create_app
from cli.api_process import ApiServer, api_config, api_workers, listen, shared_counters_path
from cli.child import SCHEDULER_COMMAND, ChildProcess, wait_for_parent_exit
from cli.database import database
from models.entities import Channel
from models.ops.bootstrap import FirstAdmin, ensure_default_templates, ensure_first_admin
from models.settings import Settings
from schedulers.absences import add_absence_jobs
from schedulers.campaigns import add_campaign_feeder
from schedulers.channels import build_channels
from schedulers.clock import Leadership, build_scheduler, follow_leader
from schedulers.housekeeping import add_housekeeping
from schedulers.kpi import add_kpi_job
from schedulers.outbox import Relay, add_outbox_relay
from schedulers.reminders import add_reminders
from schedulers.rules import Webhooks, add_rule_jobs
from schedulers.timers import add_timers

log = logging.getLogger("voronka")


def _announce(admin: FirstAdmin) -> None:
    print(
        "\nСоздан первый администратор / First administrator created:\n"
        f"  login:    {admin.login}\n"
        f"  password: {admin.password}\n"
        "Пароль показан один раз — смените его после входа. "
        "Shown once: change it after signing in.\n",
        flush=True,
    )


async def serve(settings: Settings) -> None:
    async with database(settings.database):
        async with in_transaction():
            admin = await ensure_first_admin(
                settings.admin_email, settings.timezone, settings.language
            )
            installed = await ensure_default_templates()
        if installed:
            log.info("installed %d default message templates", installed)
        if admin is not None:
            _announce(admin)
        if settings.uses_default_secret:
            log.warning("VORONKA_SECRET_KEY is not set: using an insecure development key")
        counters = shared_counters_path(settings)
        app = create_app(settings, manage_database=False, shared_counters=counters)
        config = api_config(app, settings)
        # Bound before any child starts: a port in use ends the start with one line.
        try:
            listener = listen(settings, shared=settings.api_process_count > 1)
        except OSError as error:
            where = f"{settings.host}:{settings.port}"
            raise OSError(f"cannot listen on {where}: {error.strerror}") from None
        log.info("API listening on http://%s:%d", settings.host, settings.port)
        workers = api_workers(settings, counters)
        scheduler = ChildProcess("scheduler", SCHEDULER_COMMAND) if settings.scheduler else None
        if scheduler is None:
            log.info("scheduler is off here: VORONKA_SCHEDULER=false, run `voronka scheduler`")
        children = [*workers, *([scheduler] if scheduler else [])]
        for child in children:
            await child.start()
        log.info("API: %d process(es)", settings.api_process_count)
        background: list[asyncio.Task[None]] = []
        if settings.telegram_token is None:
            log.info("Telegram bot is off: VORONKA_TELEGRAM_TOKEN is not set")
        elif settings.telegram_webhook:
            log.info("Telegram bot: webhook mode, updates arrive at POST /telegram/webhook")
        else:
            # aiogram takes seconds to import (hundreds of pydantic models): only when needed.
            from bots.telegram.runner import run_polling

            background.append(asyncio.create_task(run_polling(settings), name="telegram"))
            log.info("Telegram bot started (long polling)")
        server = ApiServer(config)
        loop = asyncio.get_running_loop()

        def shut_down() -> None:
            for child in children:
                child.stop_restarting()
            server.request_exit()

        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, shut_down)
        try:
            await server.serve(sockets=[listener])
        finally:
            for task in background:
                task.cancel()
            for task in background:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            # The API processes finish their requests together, then the scheduler stops.
            await asyncio.gather(*(worker.stop() for worker in workers))
            if scheduler is not None:
                await scheduler.stop()
            listener.close()
            log.info("stopped")


@dataclass(frozen=True, slots=True)
class Clock:
    """The scheduler with every job, the lease that lets it work, and the relay's channels."""

    scheduler: AsyncIOScheduler
    leadership: Leadership
    relay: Relay

    def start(self) -> None:
        self.scheduler.start()
        log.info("scheduler started with %d job(s)", len(self.scheduler.get_jobs()))

    async def stop(self) -> None:
        """Jobs in flight finish, the lease is released, the channels close."""
        self.scheduler.pause()
        await self.leadership.stop()
        self.scheduler.shutdown(wait=False)
        await self.relay.close()


def build_clock(settings: Settings) -> Clock:
    """The scheduler with every job, each run only while this process holds the lease."""
    scheduler = build_scheduler()
    add_housekeeping(scheduler)
    add_reminders(
        scheduler,
        interval=settings.reminder_interval,
        escalate_after=timedelta(hours=settings.escalate_after_hours),
    )
    add_timers(scheduler, interval=settings.timers_interval)
    add_absence_jobs(scheduler, settings.absence_handover)
    add_kpi_job(scheduler, settings.kpi_interval)
    channels = build_channels(settings)
    relay = Relay(channels, max_attempts=settings.outbox_max_attempts)
    add_outbox_relay(scheduler, relay, settings.outbox_interval)
    add_campaign_feeder(scheduler)
    secret = settings.webhook_secret
    add_rule_jobs(scheduler, Webhooks(secret.get_secret_value().encode() if secret else None))
    if Channel.EMAIL not in channels:
        log.info("Email is off: VORONKA_SMTP_HOST is not set")
    log.info("Outbox channels: %s", ", ".join(sorted(channels)) or "none")
    leadership = Leadership()
    follow_leader(scheduler, leadership)
    return Clock(scheduler, leadership, relay)


async def run_scheduler(settings: Settings, *, as_child: bool = False) -> None:
    """`voronka scheduler`: the jobs without the API and the bots, until SIGINT or SIGTERM, or,
    as `voronka run`'s child, until that parent process is gone."""
    async with database(settings.database, migrate=not as_child):
        clock = build_clock(settings)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        orphaned = None
        if as_child:
            orphaned = asyncio.create_task(wait_for_parent_exit())
            orphaned.add_done_callback(lambda _: stop.set())
        clock.start()
        try:
            await stop.wait()
        finally:
            if orphaned is not None:
                orphaned.cancel()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(signum)
            await clock.stop()
            log.info("stopped")
