"""`voronka chat --as <login>`: the bot in a terminal, reading what is typed on stdin."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.cli.conftest import Voronka, cli_command, cli_env


def test_chats_as_a_user_until_the_input_ends(voronka: Voronka, tmp_path: Path) -> None:
    created = voronka("createuser", "--email", "olga@example.test", "--name", "Ольга")
    assert created.returncode == 0, created.stderr
    chat = subprocess.run(
        cli_command("chat", "--as", "Olga@Example.TEST"),
        cwd=tmp_path,
        env=cli_env(tmp_path),
        input="/help\n/lang\n2\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert chat.returncode == 0, chat.stderr
    assert "Команды Voronka:" in chat.stdout
    assert "Done: the bot now speaks English." in chat.stdout
    assert "Traceback" not in chat.stderr


def test_an_unknown_login_is_one_line_and_status_2(voronka: Voronka) -> None:
    refused = voronka("chat", "--as", "nobody@example.test")
    assert refused.returncode == 2
    assert refused.stderr.strip() == "voronka: Нет активного пользователя с таким логином."
