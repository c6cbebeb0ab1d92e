"""Process configuration read from `VORONKA_*` environment variables and an optional `.env` file."""

from __future__ import annotations

import json
import os
import re
import sys
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
_E164 = re.compile(r"\+[1-9]\d{6,14}")
_SMS_SENDER = re.compile(r"\+[1-9]\d{6,14}|[A-Za-z0-9 ]{1,11}")
_ACCOUNT_SID = re.compile(r"AC[0-9a-f]{32}")
_SERVICE_SID = re.compile(r"MG[0-9a-f]{32}")
# Each API process holds its own connections and about 100 MB; past four, a small server's
# writes (one SQLite writer at a time) and memory are the limit, not the cores.
MAX_DEFAULT_API_WORKERS = 4


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
    client_rate_limit_per_minute: int = Field(
        default=30,
        ge=1,
        le=1_000_000,
        description="Requests a minute from one IP address to the client app's public routes "
        "(/v1/client/…), which nobody signs in to",
    )
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
    smtp_rate: float = Field(
        default=20.0,
        gt=0,
        le=1000,
        description="Emails a second at most: mail providers throttle and blacklist floods, and "
        "an unpaced email lane would take the event loop from the API",
    )
    smtp_ca_file: Path | None = Field(
        default=None, description="CA bundle that signs the SMTP server's certificate"
    )
    outbox_interval: float = Field(
        default=5.0, ge=0.5, le=3600, description="Seconds between the relay's runs"
    )
    outbox_max_attempts: int = Field(default=12, ge=1, le=100)
    scheduler: bool = Field(
        default=True,
        description="Whether `voronka run` starts the scheduler (reminders, the outbox relay, "
        "campaigns) as its child process. Set false when `voronka scheduler` processes run "
        "apart, on another host say.",
    )
    api_workers: int | None = Field(
        default=None,
        ge=1,
        le=32,
        description="Processes `voronka run` serves the API from. Default: the cores it may use, "
        f"at most {MAX_DEFAULT_API_WORKERS}; one in Telegram webhook mode without "
        "VORONKA_REDIS_URL",
    )
    twilio_account_sid: str | None = Field(
        default=None, description="WhatsApp and SMS go out through Twilio when this is set"
    )
    twilio_auth_token: SecretStr | None = Field(
        default=None, validate_default=True, description="Also checks Twilio's callbacks"
    )
    twilio_whatsapp_from: str | None = Field(
        default=None, description="The WhatsApp sender, +E.164 (WhatsApp is on when set)"
    )
    twilio_sms_from: str | None = Field(
        default=None, description="The SMS sender: +E.164 or an alphanumeric sender id"
    )
    twilio_messaging_service_sid: str | None = Field(
        default=None, description="MG…: SMS from a Messaging Service's sender pool instead"
    )
    twilio_base_url: str = Field(
        default="https://api.twilio.com", description="Twilio's REST API (or a double)"
    )
    twilio_timeout: float = Field(default=15.0, gt=0, le=300)
    whatsapp_rate: float = Field(
        default=10.0, gt=0, le=1000, description="WhatsApp messages a second per sender"
    )
    sms_rate: float = Field(default=1.0, gt=0, le=1000, description="SMS a second per sender")
    fcm_credentials: Path | None = Field(
        default=None, description="Service account JSON of the Firebase project: push is on"
    )
    fcm_base_url: str = Field(
        default="https://fcm.googleapis.com", description="The FCM HTTP v1 API (or a double)"
    )
    fcm_token_uri: str | None = Field(
        default=None, description="OAuth token endpoint, instead of the credentials' token_uri"
    )
    fcm_timeout: float = Field(default=15.0, gt=0, le=300)
    webhook_secret: SecretStr | None = Field(
        default=None,
        description="Key of the HMAC-SHA256 signature of rules' webhooks (webhooks need it)",
    )
    reminder_interval: float = Field(
        default=1.0, ge=0.2, le=60, description="Seconds between looks for due task reminders"
    )
    timers_interval: float = Field(
        default=60.0, ge=1, le=3600, description="Seconds between looks for deal timers, digests"
    )
    escalate_after_hours: float = Field(
        default=4.0, ge=0, le=24 * 30, description="An overdue task goes to the head after this"
    )
    stage_escalate_after_hours: float = Field(
        default=24.0, ge=0, le=24 * 90, description="After the owner's stage reminder, the head's"
    )
    deadline_warn_hours: float = Field(
        default=24.0, ge=0, le=24 * 30, description="Notice this long before a deal/lead deadline"
    )
    quiet_days: int = Field(
        default=7, ge=1, le=3650, description="Days without interaction (pipeline's own first)"
    )
    digest_time: str = Field(
        default="09:00", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", description="HH:MM, local"
    )
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

    @field_validator("api_workers")
    @classmethod
    def _workers_share_dialogs(cls, value: int | None, info: ValidationInfo) -> int | None:
        # aiogram keeps a dialog's state in the memory of the process that got the update
        # unless Redis holds it, and webhook updates land on any API process.
        if (
            value
            and value > 1
            and info.data.get("telegram_webhook")
            and not info.data.get("redis_url")
        ):
            raise ValueError(
                "several API processes in Telegram webhook mode need VORONKA_REDIS_URL, "
                "where the bot keeps its dialogs"
            )
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

    @field_validator("twilio_account_sid")
    @classmethod
    def _account_sid(cls, value: str | None) -> str | None:
        value = (value or "").strip() or None
        if value is not None and not _ACCOUNT_SID.fullmatch(value):
            raise ValueError("AC followed by 32 hex digits (the Twilio Console shows it)")
        return value

    @field_validator("twilio_auth_token")
    @classmethod
    def _auth_token(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if value is None and info.data.get("twilio_account_sid"):
            raise ValueError("required with VORONKA_TWILIO_ACCOUNT_SID")
        return value

    @field_validator("twilio_whatsapp_from")
    @classmethod
    def _whatsapp_from(cls, value: str | None) -> str | None:
        value = (value or "").strip().removeprefix("whatsapp:") or None
        if value is not None and not _E164.fullmatch(value):
            raise ValueError("a number in +E.164 form, e.g. +14155238886")
        return value

    @field_validator("twilio_sms_from")
    @classmethod
    def _sms_from(cls, value: str | None) -> str | None:
        value = (value or "").strip() or None
        if value is not None and not _SMS_SENDER.fullmatch(value):
            raise ValueError(
                "a number in +E.164 form or a sender id of up to 11 letters and digits"
            )
        return value

    @field_validator("twilio_messaging_service_sid")
    @classmethod
    def _service_sid(cls, value: str | None) -> str | None:
        value = (value or "").strip() or None
        if value is not None and not _SERVICE_SID.fullmatch(value):
            raise ValueError("MG followed by 32 hex digits")
        return value

    @field_validator("twilio_base_url", "fcm_base_url")
    @classmethod
    def _service_base(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with https:// (http:// for a local double)")
        return value.rstrip("/")

    @field_validator("fcm_token_uri")
    @classmethod
    def _token_uri(cls, value: str | None) -> str | None:
        value = (value or "").strip() or None
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must start with https:// (http:// for a local double)")
        return value

    @field_validator("fcm_credentials")
    @classmethod
    def _fcm_credentials(cls, value: Path | None) -> Path | None:
        if value is None:
            return None
        if not value.is_file():
            raise ValueError(f"no such file {str(value)!r}")
        try:
            info = json.loads(value.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError):
            raise ValueError(f"{str(value)!r} is not a JSON file") from None
        needed = ("project_id", "private_key", "client_email", "token_uri")
        if not isinstance(info, dict) or info.get("type") != "service_account":
            raise ValueError("a service account JSON of the Firebase project is expected")
        missing = [name for name in needed if not info.get(name)]
        if missing:
            raise ValueError(f"the service account JSON lacks {', '.join(missing)}")
        return value

    @property
    def twilio_configured(self) -> bool:
        return self.twilio_account_sid is not None and self.twilio_auth_token is not None

    @property
    def database(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite://{self.data_dir / 'voronka.sqlite3'}"

    @property
    def api_process_count(self) -> int:
        if self.api_workers is not None:
            return self.api_workers
        # Only Linux spreads a port's connections over the processes listening on it.
        if (self.telegram_webhook and not self.redis_url) or not sys.platform.startswith("linux"):
            return 1
        return max(1, min(_usable_cores(), MAX_DEFAULT_API_WORKERS))

    @property
    def uses_default_secret(self) -> bool:
        return self.secret_key.get_secret_value() == _DEFAULT_SECRET


def _usable_cores() -> int:
    if hasattr(os, "sched_getaffinity"):  # the cores this process may run on (Linux)
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


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
