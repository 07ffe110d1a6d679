"""The one Settings object: config.toml plus WILAYAH_* environment variables (env wins)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

ZONES = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")
# what Telegram accepts as a webhook secret_token (setWebhook)
WEBHOOK_SECRET_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,256}")


class TelegramSettings(BaseModel):
    token: SecretStr | None = None
    api_base_url: str = "https://api.telegram.org/bot"
    file_base_url: str = "https://api.telegram.org/file/bot"
    mode: Literal["polling", "webhook"] = "polling"
    webhook_url: str | None = None
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    webhook_secret_token: SecretStr | None = None
    connect_timeout: float = Field(default=10.0, gt=0)
    read_timeout: float = Field(default=15.0, gt=0)
    poll_timeout: int = Field(default=20, ge=0, le=50)

    @field_validator("webhook_secret_token")
    @classmethod
    def _telegram_secret(cls, value: SecretStr | None) -> SecretStr | None:
        # the message must not echo the value: it is a secret
        if value is not None and not WEBHOOK_SECRET_PATTERN.fullmatch(value.get_secret_value()):
            raise ValueError("Telegram accepts 1 to 256 characters, only A-Z, a-z, 0-9, _ "
                             "and -; leave it unset to get a random one at each start")
        return value


class DatabaseSettings(BaseModel):
    url: str | None = None
    echo: bool = False


class BotSettings(BaseModel):
    default_language: Literal["id", "en"] = "id"
    default_timezone: Literal["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"] = "Asia/Jakarta"
    superadmins: list[int] = Field(default_factory=list)
    data_dir: Path = Path("data")
    invite_ttl_hours: int = Field(default=72, ge=1, le=24 * 30)
    max_media_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)
    persistence_flush_seconds: float = Field(default=1.0, gt=0)
    admin_alert_chat_ids: list[int] = Field(default_factory=list)


class ReminderSettings(BaseModel):
    rakor_day_before_at: str = "08:00"
    rakor_minutes_before: int = Field(default=60, ge=5)
    rsvp_deadline_days_before: int = Field(default=1, ge=0)
    drive_days_before: list[int] = Field(default_factory=lambda: [3, 1])
    quiet_hours_start: str = "21:00"
    quiet_hours_end: str = "06:00"
    tick_seconds: float = Field(default=30.0, gt=0)
    missed_after_minutes: int = Field(default=120, ge=1)

    @field_validator("rakor_day_before_at", "quiet_hours_start", "quiet_hours_end")
    @classmethod
    def _clock_time(cls, value: str) -> str:
        hours, _, minutes = value.partition(":")
        if not (hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60):
            raise ValueError("use HH:MM, e.g. 08:00")
        return f"{int(hours):02d}:{int(minutes):02d}"


class ComplaintSettings(BaseModel):
    default_sla_working_days: int = Field(default=5, ge=1, le=60)
    sla_working_days: dict[str, int] = Field(default_factory=dict)
    sensitive_categories: list[str] = Field(default_factory=lambda: ["pungli"])


class DemoSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)


class LoggingSettings(BaseModel):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    json_format: bool = False


class Settings(BaseSettings):
    """Every setting of the bot; sections mirror config.example.toml."""

    model_config = SettingsConfigDict(
        env_prefix="WILAYAH_", env_nested_delimiter="__", extra="forbid"
    )

    telegram: TelegramSettings = Field(default_factory=TelegramSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    bot: BotSettings = Field(default_factory=BotSettings)
    reminders: ReminderSettings = Field(default_factory=ReminderSettings)
    complaints: ComplaintSettings = Field(default_factory=ComplaintSettings)
    demo: DemoSettings = Field(default_factory=DemoSettings)
    logging: LoggingSettings = Field(default_factory=LoggingSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))

    @property
    def database_url(self) -> str:
        """The SQLAlchemy async URL; an SQLite file in the data directory by default."""
        url = self.database.url or f"sqlite:///{self.bot.data_dir / 'wilayah.db'}"
        return async_database_url(url)

    @classmethod
    def load(cls, config_path: Path | str | None = None, **overrides: object) -> Settings:
        """Read config.toml (WILAYAH_CONFIG, else ./config.toml if present) and the env."""
        path = config_path or os.environ.get("WILAYAH_CONFIG")
        if path is None and Path("config.toml").exists():
            path = "config.toml"
        if path is not None and not Path(path).is_file():
            raise FileNotFoundError(f"config file not found: {path}")

        class _FromFile(cls):  # type: ignore[valid-type,misc]
            model_config = SettingsConfigDict(**{**cls.model_config, "toml_file": path})

        return _FromFile(**overrides)


def async_database_url(url: str) -> str:
    """Name the async driver for the plain URLs people write in configs."""
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url.removeprefix("sqlite:///")
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+asyncpg://" + url.removeprefix(plain)
    return url
