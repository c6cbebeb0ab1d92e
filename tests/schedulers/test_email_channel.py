"""The email channel's configuration and composition, without a server."""

from __future__ import annotations

import time

import pytest

from models.channels import PACE_MARGIN, Outcome, Outgoing
from models.entities import Channel
from models.settings import SettingsError, load_settings
from schedulers.channels import build_channels
from schedulers.channels.email import EmailChannel, SmtpConfig, plain_text
from schedulers.channels.pacing import MemoryPacer
from tests.doubles.smtp import smtp_server


def _outgoing(address: str = "ivan@example.test", **values: str) -> Outgoing:
    return Outgoing(
        id=1,
        channel=Channel.EMAIL,
        address=address,
        subject=values.get("subject", "Тема"),
        body=values.get("body", "<p>Текст</p>"),
        text_body=values.get("text_body", ""),
        language="ru",
        recipient_name=values.get("name", "Иван Петров"),
    )


def test_settings_make_the_channel_with_default_ports() -> None:
    assert build_channels(load_settings()) == {}
    for mode, port in (("starttls", 587), ("ssl", 465), ("none", 25)):
        settings = load_settings(
            smtp_host="smtp.example.test", smtp_from="Воронка <crm@example.test>", smtp_tls=mode
        )
        config = SmtpConfig.from_settings(settings)
        assert config is not None
        assert (config.port, config.tls) == (port, mode)
        assert set(build_channels(settings)) == {Channel.EMAIL}


@pytest.mark.parametrize(
    ("overrides", "line"),
    [
        ({"smtp_host": "smtp.example.test"}, "VORONKA_SMTP_FROM: required with VORONKA_SMTP_HOST"),
        ({"smtp_username": "crm"}, "VORONKA_SMTP_PASSWORD: required with VORONKA_SMTP_USERNAME"),
        ({"smtp_host": "smtp://x"}, "VORONKA_SMTP_HOST: a host name or address"),
        ({"smtp_from": "not an address"}, "VORONKA_SMTP_FROM: an address"),
        ({"smtp_tls": "tls"}, "VORONKA_SMTP_TLS: "),
        ({"smtp_port": 0}, "VORONKA_SMTP_PORT: "),
        ({"smtp_ca_file": "/no/such/ca.pem"}, "VORONKA_SMTP_CA_FILE: no such file"),
        ({"outbox_max_attempts": 0}, "VORONKA_OUTBOX_MAX_ATTEMPTS: "),
    ],
)
def test_bad_smtp_settings_are_one_line(overrides: dict[str, object], line: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(**overrides)
    assert str(caught.value).startswith(line)
    assert "\n" not in str(caught.value)


def test_tls_modes_map_to_aiosmtplib_options() -> None:
    def options(mode: str, ca: str | None = None) -> dict[str, object]:
        config = SmtpConfig("h", 1, "a@b.test", tls=mode, ca_file=ca)  # type: ignore[arg-type]
        return EmailChannel(config)._tls_options()

    assert options("starttls") == {"use_tls": False, "start_tls": True}
    assert options("ssl", "/ca.pem") == {
        "use_tls": True,
        "start_tls": False,
        "cert_bundle": "/ca.pem",
    }
    assert options("none", "/ca.pem") == {"use_tls": False, "start_tls": False}


def test_html_only_mail_gets_a_plain_text_part() -> None:
    assert plain_text("<p>Здравствуйте!</p>\n<p>Заказ &amp; оплата<br>готовы</p>") == (
        "Здравствуйте!\n\nЗаказ & оплата\nготовы"
    )
    email = EmailChannel(SmtpConfig("h", 1, "Воронка <crm@example.test>")).compose(_outgoing())
    plain = email.get_body(("plain",))
    assert plain is not None
    assert plain.get_content().strip() == "Текст"
    assert email["Message-ID"].endswith("@example.test>")


async def test_an_address_that_cannot_be_written_fails_for_good() -> None:
    channel = EmailChannel(SmtpConfig("127.0.0.1", 1, "crm@example.test", timeout=1))
    result = await channel.deliver(_outgoing("not an address <"))
    assert result.outcome is Outcome.PERMANENT
    assert result.error.startswith("invalid address")


async def test_email_keeps_its_rate_and_hands_back_a_turn_too_far_away() -> None:
    """Two emails a second: the first goes at once, the second waits half a second. At one
    email in ten seconds, with the pacer waiting at most a second, the second is handed back to
    the outbox (however slow the first send was)."""
    async with smtp_server() as smtp:
        config = SmtpConfig("127.0.0.1", smtp.port, "crm@example.test", tls="none", timeout=5)
        patient = EmailChannel(config, rate=2.0)
        started = time.monotonic()
        results = [await patient.deliver(_outgoing(f"c{n}@example.test")) for n in range(2)]
        took = time.monotonic() - started
        hasty = EmailChannel(config, rate=0.1, pacer=MemoryPacer(max_wait=1.0))
        sent, handed_back = [await hasty.deliver(_outgoing("d@example.test")) for _ in range(2)]
    assert [r.outcome for r in results] == [Outcome.SENT, Outcome.SENT]
    assert took >= 0.5 * PACE_MARGIN - 0.01
    assert sent.outcome is Outcome.SENT
    assert handed_back.outcome is Outcome.RETRY
    assert handed_back.error == "email is at its 0.1/s"
    assert handed_back.attempted is False
    assert len(smtp.mailbox.received) == 3
