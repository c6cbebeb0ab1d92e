"""Configuration from VORONKA_* variables: defaults, and one line naming a bad variable."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from models.settings import MAX_DEFAULT_API_WORKERS, Settings, SettingsError, load_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("VORONKA_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no stray .env file


def test_defaults_make_a_local_sqlite_service() -> None:
    settings = load_settings()
    assert settings.database == "sqlite://var/voronka.sqlite3"
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert (settings.timezone, settings.language) == ("Europe/Moscow", "ru")
    assert settings.redis_url is None
    assert settings.uses_default_secret


def test_environment_and_dotenv_are_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("VORONKA_LANGUAGE=en\nVORONKA_PORT=9000\n")
    monkeypatch.setenv("VORONKA_DATA_DIR", "/srv/voronka")
    monkeypatch.setenv("VORONKA_PORT", "8080")  # the environment wins over .env
    settings = load_settings()
    assert settings.language == "en"
    assert settings.port == 8080
    assert settings.database == "sqlite:///srv/voronka/voronka.sqlite3"


def test_database_url_overrides_the_data_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VORONKA_DATABASE_URL", "postgres://crm@db:5432/crm")
    assert load_settings().database == "postgres://crm@db:5432/crm"


def test_overrides_win_and_are_validated() -> None:
    assert load_settings(port=8123).port == 8123
    with pytest.raises(SettingsError, match=r"^VORONKA_PORT: "):
        load_settings(port=70000)


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("VORONKA_TIMEZONE", "Moscow", "VORONKA_TIMEZONE: unknown time zone 'Moscow'"),
        ("VORONKA_LANGUAGE", "de", "VORONKA_LANGUAGE: Input should be 'ru' or 'en'"),
        ("VORONKA_DATABASE_URL", "mysql://x", "VORONKA_DATABASE_URL: must start with sqlite://"),
        ("VORONKA_REDIS_URL", "localhost:6379", "VORONKA_REDIS_URL: must start with redis://"),
        ("VORONKA_PORT", "http", "VORONKA_PORT: Input should be a valid integer"),
    ],
)
def test_a_bad_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert str(error.value).startswith(message)
    assert "\n" not in str(error.value)


def test_secret_key_is_not_shown_in_reprs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VORONKA_SECRET_KEY", "s3cr3t-value-for-tests")
    settings: Settings = load_settings()
    assert not settings.uses_default_secret
    assert "s3cr3t" not in repr(settings)


def test_telegram_defaults_poll_the_public_bot_api() -> None:
    settings = load_settings()
    assert settings.telegram_api_base == "https://api.telegram.org"
    assert not settings.telegram_webhook
    assert settings.telegram_webhook_secret is None


def test_webhook_mode_needs_a_token_and_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VORONKA_TELEGRAM_WEBHOOK", "1")
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert str(error.value) == (
        "VORONKA_TELEGRAM_WEBHOOK: webhook mode needs VORONKA_TELEGRAM_TOKEN"
    )
    monkeypatch.setenv("VORONKA_TELEGRAM_TOKEN", "123456:secret-token")
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert str(error.value) == (
        "VORONKA_TELEGRAM_WEBHOOK_SECRET: required when VORONKA_TELEGRAM_WEBHOOK is on"
    )
    monkeypatch.setenv("VORONKA_TELEGRAM_WEBHOOK_SECRET", "short")
    with pytest.raises(SettingsError, match=r"^VORONKA_TELEGRAM_WEBHOOK_SECRET: must be 16 "):
        load_settings()
    monkeypatch.setenv("VORONKA_TELEGRAM_WEBHOOK_SECRET", "has spaces and is long enough")
    with pytest.raises(SettingsError, match=r"^VORONKA_TELEGRAM_WEBHOOK_SECRET: must be 16 "):
        load_settings()
    monkeypatch.setenv("VORONKA_TELEGRAM_WEBHOOK_SECRET", "Abc_def-0123456789")
    monkeypatch.setenv("VORONKA_TELEGRAM_API_BASE", "http://127.0.0.1:8081/")
    settings = load_settings()
    assert settings.telegram_webhook
    assert settings.telegram_api_base == "http://127.0.0.1:8081"
    assert "Abc_def" not in repr(settings)


def test_telegram_api_base_must_be_a_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VORONKA_TELEGRAM_API_BASE", "api.telegram.org")
    with pytest.raises(SettingsError, match=r"^VORONKA_TELEGRAM_API_BASE: must start with http"):
        load_settings()


def test_the_api_runs_in_one_process_per_usable_core_up_to_four(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0, 1}, raising=False)
    assert load_settings().api_process_count == 2
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: set(range(16)), raising=False)
    assert load_settings().api_process_count == MAX_DEFAULT_API_WORKERS == 4
    monkeypatch.setenv("VORONKA_API_WORKERS", "6")
    assert load_settings().api_process_count == 6
    monkeypatch.setenv("VORONKA_API_WORKERS", "0")
    with pytest.raises(SettingsError, match=r"^VORONKA_API_WORKERS: "):
        load_settings()


def test_webhook_mode_keeps_the_bots_dialogs_in_one_process_without_redis(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0, 1}, raising=False)
    monkeypatch.setenv("VORONKA_TELEGRAM_WEBHOOK", "1")
    monkeypatch.setenv("VORONKA_TELEGRAM_TOKEN", "123456:secret-token")
    monkeypatch.setenv("VORONKA_TELEGRAM_WEBHOOK_SECRET", "Abc_def-0123456789")
    assert load_settings().api_process_count == 1
    monkeypatch.setenv("VORONKA_API_WORKERS", "2")
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert str(error.value) == (
        "VORONKA_API_WORKERS: several API processes in Telegram webhook mode need "
        "VORONKA_REDIS_URL, where the bot keeps its dialogs"
    )
    monkeypatch.setenv("VORONKA_REDIS_URL", "redis://127.0.0.1:6379/0")
    assert load_settings().api_process_count == 2
    monkeypatch.delenv("VORONKA_API_WORKERS")
    assert load_settings().api_process_count == 2
