"""`voronka chat --as`: the bot's own handlers in a terminal, answers printed, buttons by number."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path

import pytest

from bots.telegram.console import ConsoleRefused, chat_as, plain
from models.clock import now
from models.entities import Task, TaskStatus, User
from models.settings import Settings
from tests.factories import make_actor, make_task, make_user

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
    assert "Нет кнопки с таким номером." in await _chat(user.email, ["7"], tmp_path)
    with pytest.raises(ConsoleRefused):
        await _chat("nobody@nowhere.test", [], tmp_path)
    await User.filter(id=user.id).update(is_active=False)
    with pytest.raises(ConsoleRefused):
        await _chat(user.email, [], tmp_path)


def test_telegram_html_reads_as_plain_text() -> None:
    assert plain('<b>Иванов</b> &amp; Co <a href="tel:+79161234567">позвонить</a>') == (
        "Иванов & Co позвонить (tel:+79161234567)"
    )
