"""Process configuration read from `VORONKA_*` environment variables and an optional `.env` file."""

from __future__ import annotations

import re
from email.utils import parseaddr
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Language = Literal["ru", "en"]

_DB_SCHEMES = ("sqlite://", "postgres://", "postgresql://", "asyncpg://")
_DEFAULT_SECRET = "insecure-development-secret-change-me"
_WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{16,256}")
_HOST = re.compile(r"[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]+\]")
_ADDRESS = re.compile(r"[^@\s<>]+@[^@\s<>]+")


class SettingsError(Exception):
    """A configuration value is invalid; the message is one line naming the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="VORONKA_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    data_dir: Path = Path("var")
    database_url: str | None = Field(
        default=None, description="Defaults to the SQLite file var/voronka.sqlite3 under data_dir"
    )
    redis_url: str | None = None
    timezone: str = "Europe/Moscow"
    language: Language = "ru"
    secret_key: SecretStr = SecretStr(_DEFAULT_SECRET)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    admin_email: str = "admin@voronka.test"
    rate_limit_per_minute: int = Field(default=600, ge=1, le=1_000_000)
    telegram_token: SecretStr | None = None
    telegram_bot_username: str | None = Field(
        default=None, pattern=r"^[A-Za-z][A-Za-z0-9_]{3,31}$", description="For t.me deep links"
    )
    telegram_api_base: str = Field(
        default="https://api.telegram.org", description="Bot API server (or a local one)"
    )
    telegram_webhook: bool = Field(
        default=False, description="Receive updates at POST /telegram/webhook instead of polling"
    )
    telegram_webhook_secret: SecretStr | None = Field(
        default=None,
        validate_default=True,
        description="X-Telegram-Bot-Api-Secret-Token that Telegram sends with every update",
    )
    public_url: str | None = Field(
        default=None, description="https://host[:port] where Telegram reaches this service"
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    smtp_host: str | None = Field(default=None, description="Email goes out when this is set")
    smtp_port: int | None = Field(
        default=None, ge=1, le=65535, description="Default: 587 for starttls, 465 ssl, 25 none"
    )
    smtp_username: str | None = None
    smtp_password: SecretStr | None = Field(default=None, validate_default=True)
    smtp_from: str | None = Field(
        default=None, validate_default=True, description='"Name <address>" of the sender'
    )
    smtp_tls: Literal["starttls", "ssl", "none"] = "starttls"
    smtp_timeout: float = Field(default=30.0, gt=0, le=600)
    smtp_ca_file: Path | None = Field(
        default=None, description="CA bundle that signs the SMTP server's certificate"
    )
    outbox_interval: float = Field(
        default=5.0, ge=0.5, le=3600, description="Seconds between the relay's runs"
    )
    outbox_max_attempts: int = Field(default=12, ge=1, le=100)
    absence_handover: Literal["head", "least_loaded"] = Field(
        default="head",
        description="Who takes an absent user's work when no deputy is given: the nearest head "
        "or the least-loaded colleague of the office (each falls back to the other)",
    )
    kpi_interval: float = Field(
        default=900, ge=60, le=86400, description="Seconds between KPI evaluations"
    )

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(_DB_SCHEMES):
            raise ValueError("must start with sqlite:// or postgres://")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @field_validator("telegram_api_base")
    @classmethod
    def _api_base(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must start with https:// (or http:// behind a proxy)")
        return value.rstrip("/") if value else None

    @field_validator("telegram_webhook")
    @classmethod
    def _webhook_needs_token(cls, value: bool, info: ValidationInfo) -> bool:
        if value and info.data.get("telegram_token") is None:
            raise ValueError("webhook mode needs VORONKA_TELEGRAM_TOKEN")
        return value

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if value is None:
            if info.data.get("telegram_webhook"):
                raise ValueError("required when VORONKA_TELEGRAM_WEBHOOK is on")
            return None
        if not _WEBHOOK_SECRET.fullmatch(value.get_secret_value()):
            raise ValueError("must be 16 to 256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("smtp_host")
    @classmethod
    def _smtp_host(cls, value: str | None) -> str | None:
        value = (value or "").strip() or None
        if value is not None and not _HOST.fullmatch(value):
            raise ValueError("a host name or address, without scheme or port")
        return value

    @field_validator("smtp_password")
    @classmethod
    def _smtp_password(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if value is None and info.data.get("smtp_username"):
            raise ValueError("required with VORONKA_SMTP_USERNAME")
        return value

    @field_validator("smtp_from")
    @classmethod
    def _smtp_from(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            if info.data.get("smtp_host"):
                raise ValueError("required with VORONKA_SMTP_HOST, e.g. Voronka <crm@example.com>")
            return None
        _name, address = parseaddr(value)
        if not _ADDRESS.fullmatch(address):
            raise ValueError("an address, optionally with a name: Voronka <crm@example.com>")
        return value.strip()

    @field_validator("smtp_ca_file")
    @classmethod
    def _ca_file(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"no such file {str(value)!r}")
        return value

    @property
    def database(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite://{self.data_dir / 'voronka.sqlite3'}"

    @property
    def uses_default_secret(self) -> bool:
        return self.secret_key.get_secret_value() == _DEFAULT_SECRET


def load_settings(**overrides: object) -> Settings:
    """Read the settings (command-line `overrides` win over the environment), turning pydantic's
    report into one line naming the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "?"
        reason = str(first["msg"]).removeprefix("Value error, ")
        raise SettingsError(f"VORONKA_{field.upper()}: {reason}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
