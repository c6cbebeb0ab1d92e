"""Feature routers of the Telegram bot, one module each. `feature_routers()` is the order in
which the dispatcher tries them: a new feature goes before `fallback`, which answers whatever
no feature took."""

from __future__ import annotations

from aiogram import Router


def feature_routers() -> list[Router]:
    # Fresh routers every time: a Router can belong to one dispatcher only.
    from bots.telegram.handlers import (
        absence,
        cancel,
        cards,
        deals,
        digest,
        fallback,
        files,
        find,
        kpi,
        language,
        log,
        messages,
        new,
        orders,
        start,
        stop,
        tasks,
        today,
        unlink,
    )
    from bots.telegram.handlers import help as help_command

    return [
        start.build(),
        stop.build(),
        help_command.build(),
        language.build(),
        unlink.build(),
        today.build(),
        tasks.build(),
        absence.build(),
        deals.build(),
        kpi.build(),
        find.build(),
        cards.build(),
        messages.build(),
        orders.build(),
        new.build(),
        log.build(),
        digest.build(),
        files.build(),
        cancel.build(),
        fallback.build(),
    ]
