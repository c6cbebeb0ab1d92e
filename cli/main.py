"""`voronka`: run the service, migrate, create users, seed the demo account."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from tortoise.transactions import in_transaction

from cli.runtime import run_async as _run
from models.errors import DomainError, ValidationFailed
from models.settings import Settings, SettingsError, get_settings, load_settings

# The pid tells `voronka run` and its scheduler process apart: both write to the same stream.
LOG_FORMAT = "%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s"
app = typer.Typer(
    name="voronka",
    help="Voronka CRM.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


class CommandFailed(Exception):
    """A command stops with one line for the person at the terminal."""


def _settings(**overrides: Any) -> Settings:
    changed = {k: v for k, v in overrides.items() if v is not None}
    return load_settings(**changed) if changed else get_settings()


@app.command()
def run(
    host: Annotated[str | None, typer.Option(help="Address to listen on [VORONKA_HOST]")] = None,
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="Port to listen on [VORONKA_PORT]")
    ] = None,
) -> None:
    """Start the API, the scheduler (unless VORONKA_SCHEDULER=false) and the configured bots."""
    from cli.host import serve

    settings = _settings(host=host, port=port)
    logging.basicConfig(level=settings.log_level, format=LOG_FORMAT)
    try:
        _run(serve(settings))
    except KeyboardInterrupt:
        pass


@app.command()
def scheduler(
    as_child: Annotated[
        bool,
        typer.Option(hidden=True, help="`voronka run`'s child: stop when standard input closes"),
    ] = False,
) -> None:
    """Run the scheduler and its jobs alone, without the API and the bots (Ctrl-C stops it)."""
    from cli.host import run_scheduler

    settings = _settings()
    logging.basicConfig(level=settings.log_level, format=LOG_FORMAT)
    with contextlib.suppress(KeyboardInterrupt):
        _run(run_scheduler(settings, as_child=as_child))


@app.command(hidden=True)
def api_worker(
    host: Annotated[str | None, typer.Option(help="Address to listen on [VORONKA_HOST]")] = None,
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="Port to listen on [VORONKA_PORT]")
    ] = None,
    counters: Annotated[
        Path | None, typer.Option(help="The file where the API processes count requests")
    ] = None,
) -> None:
    """One of `voronka run`'s extra API processes: stops when its standard input closes."""
    from cli.api_process import serve_api_worker

    settings = _settings(host=host, port=port)
    logging.basicConfig(level=settings.log_level, format=LOG_FORMAT)
    with contextlib.suppress(KeyboardInterrupt):
        _run(serve_api_worker(settings, counters))


@app.command()
def migrate() -> None:
    """Apply pending database migrations and install the missing default message templates."""
    from cli.database import database
    from models.ops.bootstrap import ensure_default_templates

    async def apply() -> int:
        async with database(_settings().database), in_transaction():
            return await ensure_default_templates()

    installed = _run(apply())
    print("Миграции применены / Migrations applied")
    if installed:
        print(f"Шаблонов сообщений добавлено / Message templates added: {installed}")


outbox_app = typer.Typer(
    help="The outbox: list messages (the dead letter by default) and replay them.",
    no_args_is_help=True,
)
app.add_typer(outbox_app, name="outbox")


@outbox_app.command("list")
def outbox_list(
    state: Annotated[
        str,
        typer.Option(help="queued, sending, sent, delivered, read, failed, dead, cancelled, all"),
    ] = "dead",
    limit: Annotated[int, typer.Option(min=1, max=200, help="How many, newest first")] = 50,
) -> None:
    """List outbound messages: id, state, attempts, channel, address, purpose, created, error."""
    from cli.database import database
    from cli.outbox import outbox_lines

    async def read() -> list[str]:
        async with database(_settings().database):
            return await outbox_lines(state, limit)

    lines = _run(read())
    print("\n".join(lines) if lines else "Сообщений нет / No messages")


@outbox_app.command("replay")
def outbox_replay(
    message_id: Annotated[int, typer.Argument(min=1, help="The message id (voronka outbox list)")],
) -> None:
    """Queue a dead or failed message again; the relay of `voronka run` delivers it."""
    from cli.database import database
    from cli.outbox import replay

    async def queue() -> str:
        async with database(_settings().database), in_transaction():
            return await replay(message_id)

    print(_run(queue()))


templates_app = typer.Typer(help="Message templates.", no_args_is_help=True)
app.add_typer(templates_app, name="templates")


@templates_app.command("install-defaults")
def templates_install_defaults() -> None:
    """Add the shipped templates (every order status and the common cases, ru and en) that are
    missing. Existing templates, edited or not, stay as they are."""
    from cli.database import database
    from cli.outbox import install_templates

    async def install() -> int:
        async with database(_settings().database), in_transaction():
            return await install_templates()

    print(f"Шаблонов сообщений добавлено / Message templates added: {_run(install())}")


rules_app = typer.Typer(
    help="Automation rules: apply a YAML file, list them, replay a dead run.", no_args_is_help=True
)
app.add_typer(rules_app, name="rules")


@rules_app.command("apply")
def rules_apply(
    path: Annotated[str, typer.Argument(help="The YAML file (docs/examples/rules.yaml)")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the plan, change nothing")
    ] = False,
) -> None:
    """Create or update the file's rules by name (rules not in the file stay as they are)."""
    from cli.database import database
    from cli.rules import RulesFileError, apply_rules

    async def apply() -> list[str]:
        async with database(_settings().database):
            return (await apply_rules(Path(path), dry_run=dry_run)).lines

    try:
        lines = _run(apply())
    except RulesFileError as error:
        for line in error.lines:
            print(f"voronka: {line}", file=sys.stderr)
        raise SystemExit(2) from None
    print("\n".join(lines) if lines else "Правил нет / No rules")
    if dry_run:
        print("Ничего не изменено (--dry-run) / Nothing changed (--dry-run)")


@rules_app.command("list")
def rules_list() -> None:
    """List the rules: id, on/off, entity, trigger, runs ok/failed/dead, name."""
    from cli.database import database
    from cli.rules import rule_lines

    async def read() -> list[str]:
        async with database(_settings().database):
            return await rule_lines()

    lines = _run(read())
    print("\n".join(lines) if lines else "Правил нет / No rules")


@rules_app.command("replay")
def rules_replay(
    run_id: Annotated[int, typer.Argument(min=1, help="A dead run's id (GET /v1/rules/{id}/runs)")],
) -> None:
    """Perform a dead run's failed actions again now; failing again, the clock retries it."""
    from cli.database import database
    from cli.rules import replay

    async def again() -> str:
        async with database(_settings().database), in_transaction():
            return await replay(run_id)

    print(_run(again()))


orders_app = typer.Typer(help="Orders: import them from a file.", no_args_is_help=True)
app.add_typer(orders_app, name="orders")


@orders_app.command("import")
def orders_import(
    path: Annotated[str, typer.Argument(help="A CSV (UTF-8 or Windows-1251) or XLSX file")],
    login: Annotated[
        str,
        typer.Option(
            "--as", help="Email or phone of the admin or head importing", show_default=False
        ),
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check every row and report, write nothing")
    ] = False,
    silent: Annotated[
        bool,
        typer.Option("--silent", help="Notify no client: for loading past orders as history"),
    ] = False,
) -> int:
    """Create new orders and move known ones to the file's status (the client is notified of
    the status it ends in, as on any status change, unless --silent). Exit status 1 when a row
    failed, 2 when the file cannot be read."""
    from cli.database import database
    from cli.orders import ImportOutcome, ImportRefused, exit_status, import_file, render

    async def run_import() -> ImportOutcome:
        async with database(_settings().database):
            return await import_file(Path(path), login, dry_run=dry_run, notify=not silent)

    try:
        outcome = _run(run_import())
    except ImportRefused as refused:
        for line in refused.lines:
            print(f"voronka: {line}", file=sys.stderr)
        raise SystemExit(2) from None
    print("\n".join(render(outcome)))
    return exit_status(outcome)


@app.command()
def createuser(
    email: Annotated[str, typer.Option(help="Login (email)")],
    name: Annotated[str, typer.Option(help="Full name")],
    role: Annotated[str, typer.Option(help="admin, head or manager")] = "manager",
    office: Annotated[
        str | None, typer.Option(help="Office id or exact name (default: the top office)")
    ] = None,
    password: Annotated[
        str | None, typer.Option(help="Password (default: a one-time password is printed)")
    ] = None,
    phone: Annotated[str | None, typer.Option(help="Phone, also usable as a login")] = None,
    language: Annotated[str, typer.Option(help="ru or en")] = "ru",
) -> None:
    """Create a user account."""
    from cli.database import database
    from cli.users import create_account

    async def create() -> tuple[str, str | None]:
        settings = _settings()
        async with database(settings.database), in_transaction():
            return await create_account(
                email, name, role, office, password, phone, language, settings.timezone
            )

    login, generated = _run(create())
    print(f"Пользователь создан / User created: {login}")
    if generated:
        print(f"Одноразовый пароль / One-time password: {generated}")


@app.command()
def demo(
    language: Annotated[str, typer.Option(help="ru or en: the language of the demo data")] = "ru",
) -> None:
    """Fill the database with a realistic demo account (safe to run twice)."""
    from cli.database import database
    from cli.demo import render_summary
    from models.demo.seed import seed_demo

    if language not in ("ru", "en"):
        raise CommandFailed("--language: use ru or en")

    async def seed() -> Any:
        async with database(_settings().database), in_transaction():
            return await seed_demo(language)

    print(render_summary(_run(seed())))


@app.command("telegram-link")
def telegram_link(
    login: Annotated[str, typer.Argument(help="The user's email or phone")],
) -> None:
    """Print a one-time link (valid ten minutes) that connects a Telegram account to the user."""
    from cli.database import database
    from cli.users import telegram_link_for
    from models.ops.telegram_link import TelegramNotConfigured

    settings = _settings()
    if not settings.telegram_bot_username:
        raise TelegramNotConfigured()  # before touching the database

    async def issue() -> str:
        async with database(settings.database), in_transaction():
            link = await telegram_link_for(login, settings.telegram_bot_username)
        return link.url

    print(_run(issue()))
    print(
        "Ссылка действует 10 минут и один раз. / The link works once, for 10 minutes.",
        file=sys.stderr,
    )


@app.command()
def chat(
    login: Annotated[
        str, typer.Option("--as", help="Email or phone of the user to chat as", show_default=False)
    ],
) -> None:
    """Talk to the Telegram bot in this terminal as a user, without Telegram."""
    from bots.telegram.console import chat_as
    from cli.database import database

    settings = _settings()

    async def read(prompt: str) -> str | None:
        try:
            return await asyncio.to_thread(input, prompt)
        except EOFError:
            return None

    async def converse() -> None:
        async with database(settings.database):
            await chat_as(settings, login, read, print)

    with contextlib.suppress(KeyboardInterrupt):
        _run(converse())


@app.command()
def reindex() -> None:
    """Rebuild the search index from the records (after a bulk import or a restore)."""
    from cli.database import database
    from models.ops.search_index import rebuild_search_index

    async def rebuild() -> int:
        async with database(_settings().database), in_transaction():
            return await rebuild_search_index()

    print(f"Проиндексировано записей / Records indexed: {_run(rebuild())}")


@app.command()
def openapi(
    output: Annotated[
        str, typer.Option(help="Where to write the spec")
    ] = "mobile_contracts/openapi.json",
) -> None:
    """(Developers) write the API's OpenAPI document, the contract mobile apps build against."""
    from api.contract import write_contract

    write_contract(output)
    print(f"OpenAPI → {output}")


@app.command()
def makemigrations(
    name: Annotated[str, typer.Option(help="Name of the migration")] = "auto",
) -> None:
    """(Developers) write a migration for entity changes."""
    from models.db import pending_model_changes

    async def write() -> list[str]:
        paths = []
        for writer in await pending_model_changes():
            number = int(writer.name.split("_", 1)[0])
            writer.name = f"{number:04d}_{name}"
            paths.append(str(writer.write()))
        return paths

    paths = _run(write())
    print("\n".join(paths) if paths else "Изменений нет / No changes")


def _fail(message: str) -> None:
    print(f"voronka: {message}", file=sys.stderr)
    raise SystemExit(2)


def _describe(error: DomainError, language: str) -> str:
    if isinstance(error, ValidationFailed):
        return "; ".join(f"{e.field}: {e.message.get(language)}" for e in error.errors)
    return error.message.get(language)


def main() -> None:
    try:
        status = app(standalone_mode=False)
    except typer.Abort:
        _fail("aborted")
    except typer.TyperException as error:
        # Usage errors: click's several lines of usage and hints, reduced to the message.
        format_message = getattr(error, "format_message", None)
        _fail(format_message() if format_message else str(error))
    except SettingsError as error:
        _fail(str(error))
    except CommandFailed as error:
        _fail(str(error))
    except DomainError as error:
        _fail(_describe(error, get_settings().language))
    except OSError as error:
        _fail(str(error))
    else:
        if isinstance(status, int) and status:
            raise SystemExit(status)


if __name__ == "__main__":
    main()
