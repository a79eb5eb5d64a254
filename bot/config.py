"""Settings read from the environment and `.env` (see `.env.example`)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import AliasChoices, Field, PositiveInt, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.domain.channels import parse_channel_ids
from bot.domain.reminders import QuietHours

SUPPORTED_LOCALES = ("uz", "uz_Cyrl", "ru", "en")
PROJECT_ROOT = Path(__file__).resolve().parent.parent
# What Telegram accepts as a webhook's secret_token.
WEBHOOK_SECRET_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,256}")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr | None = None
    bot_api_url: str = "https://api.telegram.org"
    database_path: Path = Path("data/imkon.sqlite3")
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    default_locale: str = "uz"
    timezone: str = "Asia/Tashkent"
    log_level: str = "INFO"
    # My applications: reminders go at this local hour by default, never in quiet hours.
    reminder_hour: int = Field(default=10, ge=0, le=23)
    quiet_hours_start: int = Field(default=22, ge=0, le=23)
    quiet_hours_end: int = Field(default=8, ge=0, le=23)
    # Outbound delivery: messages per second overall (Telegram allows about 30) and how
    # often the scheduler looks for due pushes.
    delivery_rate: float = Field(default=25.0, gt=0)
    # Paid broadcasts (Telegram Stars): copyMessage gets allow_paid_broadcast=True and the
    # delivery rate becomes paid_broadcast_rate (messages per second) for every push.
    allow_paid_broadcast: bool = False
    paid_broadcast_rate: float = Field(default=1000.0, gt=0)
    delivery_max_attempts: int = Field(default=5, ge=1)
    # A finished broadcast's outbox rows (one per recipient) are deleted by the nightly
    # clean-up this many days after its last message; its figures stay on the job's row.
    broadcast_keep_days: PositiveInt = 30
    # Sends in flight at most. The delivery service sizes its window from the rate and the
    # measured round trip (rate × round trip × 1.5) up to this; a crash repeats at most this
    # many messages. 16 keeps 25/s up to a 427 ms round trip. DELIVERY_CONCURRENCY, its old
    # name (then a fixed number in flight), is still read.
    delivery_max_in_flight: int = Field(  # type: ignore[pydantic-alias]  # has a default: the plugin cannot tell through AliasChoices
        default=16,
        ge=1,
        le=64,
        validation_alias=AliasChoices("delivery_max_in_flight", "delivery_concurrency"),
    )
    dispatch_interval_seconds: int = Field(default=5, ge=1)
    # A 429 while answering someone: waits up to this many seconds are slept off and the call
    # repeated; a longer one tells the person when to try again.
    handler_retry_max_seconds: float = Field(default=10.0, ge=0)
    locales_path: Path = PROJECT_ROOT / "locales"
    migrations_path: Path = PROJECT_ROOT / "migrations"
    # Coordinators' supergroup (forum or plain) where escalated questions are answered.
    coordinators_chat_id: int | None = None
    # An open ticket unanswered this long is announced again in the work chat (at most daily).
    ticket_reannounce_hours: PositiveInt = 24
    # Source watch: each day at this local hour every published call's official and source
    # page is fetched; changes, moves and dead pages go on the admins' attention list.
    source_watch_enabled: bool = True
    source_watch_hour: int = Field(default=9, ge=0, le=23)
    # Webhook mode (bot/runners/webhook.py): with WEBHOOK_URL set, Telegram POSTs updates to
    # it and the bot listens on WEBHOOK_HOST:WEBHOOK_PORT at WEBHOOK_PATH behind a TLS proxy.
    # WEBHOOK_SECRET is then required: Telegram sends it in every request's header.
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_host: str = "127.0.0.1"
    webhook_port: int = Field(default=8080, ge=0, le=65535)
    webhook_path: str = "/telegram/webhook"
    # Polling mode: /healthz and /metrics on HTTP_HOST:HTTP_PORT when HTTP_PORT is set (in
    # webhook mode they are served on the webhook's server).
    http_host: str = "127.0.0.1"
    http_port: int | None = Field(default=None, ge=0, le=65535)
    # /healthz fails when a due push has waited longer than this.
    health_max_push_delay_minutes: PositiveInt = 15
    # On SIGTERM/SIGINT: seconds to let the updates being handled and the pushes in flight
    # finish before the bot stops anyway.
    shutdown_grace_seconds: float = Field(default=10.0, ge=0)
    # Daily online backups into this folder (unset: none), the newest `backup_keep` kept.
    backup_dir: Path | None = None
    backup_keep: PositiveInt = 7
    # Channels each published call is posted to, one per language: "uz:-1001…,ru:-1002…"
    # (bot/domain/channels.py). The bot must be an admin of each, allowed to post and edit.
    channel_ids: Annotated[dict[str, int], NoDecode] = Field(default_factory=dict)

    @field_validator("channel_ids", mode="before")
    @classmethod
    def _parse_channels(cls, value: object) -> object:
        if isinstance(value, str):
            return parse_channel_ids(value)  # a ValueError saying which entry is wrong
        return value

    @field_validator("backup_dir", mode="before")
    @classmethod
    def _empty_dir_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("bot_token", mode="before")
    @classmethod
    def _empty_token_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("webhook_url", "webhook_secret", "http_port", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("webhook_url")
    @classmethod
    def _https_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("https://"):
            raise ValueError("WEBHOOK_URL must start with https:// (Telegram sends only over TLS)")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _telegram_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not WEBHOOK_SECRET_SHAPE.fullmatch(value.get_secret_value()):
            raise ValueError(
                "WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule)"
            )
        return value

    @field_validator("webhook_path")
    @classmethod
    def _absolute_path(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError("WEBHOOK_PATH must start with /")
        return value

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.webhook_url is not None and self.webhook_secret is None:
            raise ValueError(
                "WEBHOOK_SECRET is required when WEBHOOK_URL is set: without it anyone who"
                " finds the URL can post updates as any user"
            )
        return self

    @field_validator("coordinators_chat_id", mode="before")
    @classmethod
    def _empty_chat_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _parse_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(
                int(part) for part in value.replace(";", ",").split(",") if part.strip()
            )
        if isinstance(value, int):
            return frozenset({value})
        return value

    @field_validator("default_locale")
    @classmethod
    def _known_locale(cls, value: str) -> str:
        if value not in SUPPORTED_LOCALES:
            raise ValueError(f"DEFAULT_LOCALE must be one of {', '.join(SUPPORTED_LOCALES)}")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        ZoneInfo(value)  # raises for an unknown zone
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def quiet(self) -> QuietHours:
        """The quiet hours of students who did not choose their own."""
        return QuietHours(self.quiet_hours_start, self.quiet_hours_end)
