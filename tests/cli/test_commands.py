"""The `voronka` command as a person at a terminal meets it."""

from __future__ import annotations

import socket

import pytest

from tests.cli.conftest import Voronka


def _one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    return lines[0]


def test_unknown_command_is_one_clear_line(voronka: Voronka) -> None:
    result = voronka("frobnicate")
    assert result.returncode == 2
    assert _one_line(result.stderr) == "voronka: No such command 'frobnicate'."


def test_missing_option_is_one_clear_line(voronka: Voronka) -> None:
    result = voronka("createuser", "--email", "a@b.test")
    assert result.returncode == 2
    assert _one_line(result.stderr) == "voronka: Missing option '--name'."


def test_bad_setting_names_the_variable(voronka: Voronka) -> None:
    result = voronka("migrate", VORONKA_TIMEZONE="Mars/Olympus")
    assert result.returncode == 2
    assert _one_line(result.stderr) == "voronka: VORONKA_TIMEZONE: unknown time zone 'Mars/Olympus'"
    result = voronka("migrate", VORONKA_DATABASE_URL="mysql://nope")
    assert _one_line(result.stderr).startswith("voronka: VORONKA_DATABASE_URL: must start with")
    result = voronka("run", VORONKA_PORT="eighty")
    assert _one_line(result.stderr).startswith("voronka: VORONKA_PORT: ")


def test_bad_port_option_starts_nothing(voronka: Voronka) -> None:
    result = voronka("run", "--port", "0")
    assert result.returncode == 2
    assert "--port" in _one_line(result.stderr)


def test_createuser_on_a_fresh_database_prints_a_one_time_password(voronka: Voronka) -> None:
    created = voronka("createuser", "--email", "Olga@Example.TEST", "--name", "Ольга Смирнова")
    assert created.returncode == 0, created.stderr
    lines = created.stdout.strip().splitlines()
    assert lines[0].endswith("olga@example.test")
    assert lines[1].startswith("Одноразовый пароль / One-time password: ")
    assert len(lines[1].rsplit(" ", 1)[1]) >= 12


def test_createuser_reports_every_problem_and_writes_nothing(voronka: Voronka) -> None:
    result = voronka(
        "createuser",
        "--email",
        "not-an-email",
        "--name",
        " ",
        "--role",
        "boss",
        "--password",
        "short",
    )
    assert result.returncode == 2
    line = _one_line(result.stderr)
    for field in ("email:", "full_name:", "role:", "password:"):
        assert field in line
    again = voronka(
        "createuser",
        "--email",
        "ok@example.test",
        "--name",
        "Ок",
        "--password",
        "long-enough-password",
    )
    assert again.returncode == 0, again.stderr
    taken = voronka("createuser", "--email", "OK@example.test", "--name", "Ок")
    assert _one_line(taken.stderr) == "voronka: email: Этот адрес уже занят."


@pytest.mark.parametrize("office", ["Марс", "²", "9" * 30])
def test_createuser_in_an_unknown_office(voronka: Voronka, office: str) -> None:
    result = voronka("createuser", "--email", "a@b.test", "--name", "A", "--office", office)
    assert result.returncode == 2
    assert _one_line(result.stderr).startswith("voronka: office: Такого офиса нет.")


def test_demo_seeds_once_and_prints_the_logins(voronka: Voronka) -> None:
    first = voronka("demo")
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("Демо-данные созданы / Demo data created")
    for login in (
        "admin@demo.test",
        "head@demo.test",
        "manager@demo.test",
        "manager.spb@demo.test",
    ):
        assert login in first.stdout
    assert "demo-password" in first.stdout
    second = voronka("demo")
    assert second.returncode == 0, second.stderr
    assert "nothing added" in second.stdout
    assert "manager.spb@demo.test" in second.stdout


def test_demo_rejects_an_unknown_language(voronka: Voronka) -> None:
    result = voronka("demo", "--language", "fr")
    assert result.returncode == 2
    assert _one_line(result.stderr) == "voronka: --language: use ru or en"


def test_a_port_taken_by_another_run_starts_nothing(voronka: Voronka) -> None:
    """Another `voronka run` listens with SO_REUSEPORT, which would let a second one share its
    port unnoticed: the second must fail as on any port in use."""
    with socket.socket() as other:
        other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        result = voronka("run", "--port", str(port), VORONKA_API_WORKERS="2")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        f"voronka: cannot listen on 127.0.0.1:{port}: Address already in use"
    )
    assert "API 2 process started" not in result.stderr
