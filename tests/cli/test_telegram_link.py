"""`voronka telegram-link <login>`: a one-time deep link for a user, from the terminal."""

from __future__ import annotations

import re

from tests.cli.conftest import Voronka

BOT = {"VORONKA_TELEGRAM_BOT_USERNAME": "voronka_crm_bot"}
LINK = re.compile(r"https://t\.me/voronka_crm_bot\?start=[A-Za-z0-9_-]{32}")


def test_prints_a_fresh_link_for_an_email_or_a_phone(voronka: Voronka) -> None:
    created = voronka(
        "createuser",
        "--email",
        "olga@example.test",
        "--name",
        "Ольга",
        "--phone",
        "+7 912 345-67-89",
    )
    assert created.returncode == 0, created.stderr
    by_email = voronka("telegram-link", "Olga@Example.TEST", **BOT)
    by_phone = voronka("telegram-link", "8 (912) 345-67-89", **BOT)
    for result in (by_email, by_phone):
        assert result.returncode == 0, result.stderr
        assert LINK.fullmatch(result.stdout.strip()), result.stdout
    assert by_email.stdout != by_phone.stdout, "every link is new"
    assert "10" in by_email.stderr


def test_an_unknown_login_or_an_unconfigured_bot_is_one_line_and_status_2(
    voronka: Voronka,
) -> None:
    unknown = voronka("telegram-link", "nobody@example.test", **BOT)
    assert unknown.returncode == 2
    assert unknown.stdout == ""
    assert unknown.stderr.strip() == (
        "voronka: login: Нет активного пользователя с таким email или телефоном."
    )
    unconfigured = voronka("telegram-link", "nobody@example.test", VORONKA_LANGUAGE="en")
    assert unconfigured.returncode == 2
    assert unconfigured.stderr.strip() == (
        "voronka: The Telegram bot is not configured: set VORONKA_TELEGRAM_BOT_USERNAME."
    )
