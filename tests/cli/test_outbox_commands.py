"""`voronka templates install-defaults`, `voronka outbox list` and `voronka outbox replay`."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from models.rules.default_templates import default_templates
from tests.cli.conftest import Voronka


def _dead_message(database: Path) -> int:
    with sqlite3.connect(database) as connection:
        cursor = connection.execute(
            "INSERT INTO outbound_message (channel, address, purpose, language, consent_purpose,"
            " subject, body, text_body, payload, dedup_key, state, attempts, last_error,"
            " next_attempt_at, created_at)"
            " VALUES ('email', 'ivan@example.test', 'thanks_after_call', 'ru', 'service', 'S',"
            " 'B', '', '{}', 'k1', 'dead', 8, 'attempts exhausted: SMTP unreachable', NULL,"
            " '2026-03-02 09:00:00+00:00')"
        )
        return int(cursor.lastrowid or 0)


def test_templates_install_once_and_the_dead_letter_is_listed_and_replayed(
    voronka: Voronka, tmp_path: Path
) -> None:
    migrated = voronka("migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert f"Message templates added: {len(default_templates())}" in migrated.stdout
    again = voronka("templates", "install-defaults")
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip().endswith("Message templates added: 0")

    empty = voronka("outbox", "list")
    assert empty.stdout.strip() == "Сообщений нет / No messages"
    message_id = _dead_message(tmp_path / "var" / "voronka.sqlite3")
    listed = voronka("outbox", "list", "--state", "dead")
    assert listed.returncode == 0, listed.stderr
    [line] = listed.stdout.strip().splitlines()
    assert line.split("\t")[:6] == [
        str(message_id),
        "dead",
        "8",
        "email",
        "ivan@example.test",
        "thanks_after_call",
    ]
    replayed = voronka("outbox", "replay", str(message_id))
    assert replayed.returncode == 0, replayed.stderr
    assert replayed.stdout.split("\t")[:3] == [str(message_id), "queued", "0"]
    twice = voronka("outbox", "replay", str(message_id), VORONKA_LANGUAGE="en")
    assert twice.returncode == 2
    assert twice.stderr.strip() == (
        "voronka: state: Only a message that could not be sent (failed or dead) can be replayed."
    )
    bad = voronka("outbox", "list", "--state", "lost", VORONKA_LANGUAGE="en")
    assert bad.returncode == 2
    assert bad.stderr.strip().startswith("voronka: --state: State: queued, sending")
