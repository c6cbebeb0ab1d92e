"""`voronka chat --as`: the bot's own handlers in a terminal, answers printed, buttons by number."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bots.telegram.console import ConsoleRefused, chat_as, plain
from models.clock import now
from models.entities import Deal, Interaction, InteractionKind, Task, TaskStatus, User
from models.settings import Settings
from tests.factories import (
    make_actor,
    make_contact,
    make_deal,
    make_pipeline,
    make_task,
    make_user,
    stage_named,
)

pytestmark = pytest.mark.usefixtures("db")


async def _chat(login: str, lines: Iterable[str], tmp_path: Path) -> str:
    typed = iter(lines)
    shown: list[str] = []

    async def read(prompt: str) -> str | None:
        return next(typed, None)

    settings = Settings(data_dir=tmp_path, language="ru")
    await chat_as(settings, login, read, shown.append)
    return "\n".join(shown)


async def test_commands_answer_as_in_telegram_and_a_number_presses_a_button(
    tmp_path: Path,
) -> None:
    user = await make_user(language="ru")
    output = await _chat(user.email, ["/help", "/lang", "2", "/help", "/quit", "/help"], tmp_path)
    assert "Команды Voronka:" in output
    assert "[1] ✓ Русский  [2] English" in output
    assert "Done: the bot now speaks English." in output
    assert "Voronka commands:" in output
    assert output.count("Voronka commands:") == 1, "nothing is read after /quit"
    assert (await User.get(id=user.id)).language == "en"


async def test_a_task_is_done_from_today_and_the_list_is_redrawn(tmp_path: Path) -> None:
    actor = await make_actor()
    overdue = now() - timedelta(hours=2)
    task = await make_task(actor, title="Позвонить Иванову", due_at=overdue)
    user = await User.get(id=actor.user_id)
    output = await _chat(user.email, ["/today", "1"], tmp_path)
    assert "Позвонить Иванову" in output
    assert "✎ " in output, "the pressed message is edited in place"
    assert (await Task.get(id=task.id)).status == TaskStatus.DONE


async def test_an_unknown_number_or_login_is_refused(tmp_path: Path) -> None:
    user = await make_user()
    assert "Нет кнопки с таким номером." in await _chat(user.email, ["/lang", "0"], tmp_path)
    await _chat(user.email, ["/lang", "=2"], tmp_path)  # "2" as text, not the English button
    assert (await User.get(id=user.id)).language == "ru"
    with pytest.raises(ConsoleRefused):
        await _chat("nobody@nowhere.test", [], tmp_path)
    await User.filter(id=user.id).update(is_active=False)
    with pytest.raises(ConsoleRefused):
        await _chat(user.email, [], tmp_path)


def test_telegram_html_reads_as_plain_text() -> None:
    assert plain('<b>Иванов</b> &amp; Co <a href="tel:+79161234567">позвонить</a>') == (
        "Иванов & Co позвонить (tel:+79161234567)"
    )


@dataclass(frozen=True)
class Press:
    """Press the button last shown with this label (its number is read off the screen)."""

    label: str


async def _scripted(login: str, steps: list[str | Press], tmp_path: Path) -> str:
    shown: list[str] = []
    typed = iter(steps)

    async def read(prompt: str) -> str | None:
        step = next(typed, None)
        if not isinstance(step, Press):
            return step
        screen = "\n".join(shown)
        numbers = re.findall(rf"\[(\d+)\] {re.escape(step.label)}", screen)
        assert numbers, f"no button {step.label!r} on the screen:\n{screen[-1500:]}"
        return numbers[-1]

    await chat_as(Settings(data_dir=tmp_path, language="ru"), login, read, shown.append)
    return "\n".join(shown)


async def test_a_managers_day_in_the_console(tmp_path: Path) -> None:
    """The issue's "done when", in `voronka chat`: the day, a client by the last 4 digits of a
    phone, a call logged with a next-step task, a deal moved through a stage that asks a
    required field (a bad answer first), a task marked done."""
    pipeline = await make_pipeline()
    actor = await make_actor()
    user = await User.get(id=actor.user_id)
    client = await make_contact(
        actor, first_name="Анна", last_name="Сидорова", phones=["+7 916 123-45-67"]
    )
    deal = await make_deal(
        actor,
        title="Поставка станков",
        contact_id=client.id,
        stage_id=(await stage_named(pipeline, "В работе")).id,
    )
    task = await make_task(actor, title="Позвонить Сидоровой", due_at=now() - timedelta(hours=1))
    output = await _scripted(
        user.email,
        [
            "/today",
            Press("1. Готово"),
            "/find 4567",
            Press("👤 Сидорова Анна"),
            Press("📝 Записать итог"),
            Press("Звонок"),
            "Договорились о встрече",
            "Отправить КП",
            "завтра в 11",
            Press("Сохранить"),
            "/find станков",
            Press("💼 Поставка станков"),
            Press("➡️ КП отправлено"),
            "много",
            "150000",
        ],
        tmp_path,
    )
    assert "Позвонить Сидоровой" in output
    assert (await Task.get(id=task.id)).status == TaskStatus.DONE
    call = await Interaction.get(contact_id=client.id)
    assert (call.kind, call.outcome) == (InteractionKind.CALL, "Договорились о встрече")
    next_step = await Task.get(title="Отправить КП")
    moscow = next_step.due_at.astimezone(ZoneInfo("Europe/Moscow"))
    tomorrow = now().astimezone(ZoneInfo("Europe/Moscow")).date() + timedelta(days=1)
    assert (moscow.date(), moscow.hour, moscow.minute) == (tomorrow, 11, 0)
    moved = await Deal.get(id=deal.id)
    assert (await moved.stage).name == "КП отправлено", output[-1500:]
    assert moved.amount == Decimal("150000")
    assert "Traceback" not in output
