"""Settings read from the environment and an optional .env file."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.clock import read_clock

DEFAULT_DATABASE_URL = "sqlite:///accountbot.db"


class Settings(BaseSettings):
    """Every tunable of accountbot; names match the environment variables."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    database_url: str = DEFAULT_DATABASE_URL
    playbooks_dir: Path | None = Field(
        default=None, validation_alias=AliasChoices("ACCOUNTBOT_PLAYBOOKS_DIR", "playbooks_dir")
    )
    kpi_targets_file: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("ACCOUNTBOT_KPI_TARGETS_FILE", "kpi_targets_file"),
    )
    log_level: str = Field(
        default="INFO", validation_alias=AliasChoices("ACCOUNTBOT_LOG_LEVEL", "log_level")
    )
    log_format: Literal["text", "json"] = Field(
        default="text",
        validation_alias=AliasChoices("LOG_FORMAT", "ACCOUNTBOT_LOG_FORMAT", "log_format"),
    )

    recap_grace_hours: int = Field(default=24, ge=0, le=24 * 14)
    recap_lookback_days: int = Field(default=14, ge=1, le=365)
    renewal_windows: Annotated[tuple[int, ...], NoDecode] = (90, 60, 30, 14, 7)
    onboarding_target_days: int = Field(default=8, ge=1, le=365)

    # Proactive delivery: when nudges and digests go out (each person's or team's own time).
    nudge_time: str = "09:00"
    working_days: str = "mon,tue,wed,thu,fri"
    digest_time: str = "mon 09:00"
    nudge_catch_up_hours: int = Field(default=3, ge=0, le=12)
    nudge_items_per_dm: int = Field(default=8, ge=1, le=20)
    nudge_dms_per_day: int = Field(default=2, ge=1, le=5)
    outbox_max_attempts: int = Field(default=6, ge=1, le=50)
    # A message claimed by a sender that died is sent again after this long.
    outbox_claim_lease_seconds: float = Field(default=300, gt=0, le=3600)
    slack_messages_per_second: float = Field(default=8.0, gt=0, le=100)
    teams_messages_per_second: float = Field(default=8.0, gt=0, le=100)
    objection_stale_days: int = Field(default=3, ge=1, le=60)
    # How often the scheduler works out every account's risk flags for large at-risk lists.
    risk_refresh_minutes: int = Field(default=5, ge=1, le=240)
    # Where people's browsers and Teams reach `accountbot serve` (https://bot.example.com):
    # the digest's chart is shown in Teams from PUBLIC_URL/charts/…; without it, in words.
    public_url: str | None = None

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    slack_timeout_seconds: float = Field(default=10.0, gt=0, le=60)

    # Microsoft Teams, through the Bot Framework (the names Azure's documentation uses).
    microsoft_app_id: str = Field(
        default="", validation_alias=AliasChoices("MicrosoftAppId", "microsoft_app_id")
    )
    microsoft_app_password: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("MicrosoftAppPassword", "microsoft_app_password"),
    )
    microsoft_app_type: Literal["MultiTenant", "SingleTenant", "UserAssignedMSI"] = Field(
        default="MultiTenant",
        validation_alias=AliasChoices("MicrosoftAppType", "microsoft_app_type"),
    )
    microsoft_app_tenant_id: str = Field(
        default="",
        validation_alias=AliasChoices("MicrosoftAppTenantId", "microsoft_app_tenant_id"),
    )
    teams_allow_unauthenticated: bool = False
    # Where Bot Framework tokens' signing keys are published (sovereign clouds; tests).
    teams_openid_metadata_url: str | None = None

    @field_validator("renewal_windows", mode="before")
    @classmethod
    def _parse_windows(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.split(",") if p.strip()]
            try:
                value = [int(p) for p in parts]
            except ValueError as exc:
                raise ValueError("RENEWAL_WINDOWS must be whole days separated by commas") from exc
        return value

    @field_validator("renewal_windows")
    @classmethod
    def _check_windows(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if not value or any(w <= 0 for w in value):
            raise ValueError("RENEWAL_WINDOWS needs at least one positive number of days")
        return tuple(sorted(set(value), reverse=True))

    @field_validator("nudge_time")
    @classmethod
    def _check_nudge_time(cls, value: str) -> str:
        return check_clock_time(value, "NUDGE_TIME")

    @field_validator("working_days")
    @classmethod
    def _check_working_days(cls, value: str) -> str:
        return ",".join(parse_days(value, "WORKING_DAYS"))

    @field_validator("digest_time")
    @classmethod
    def _check_digest_time(cls, value: str) -> str:
        day, _, clock = value.strip().partition(" ")
        parse_days(day, "DIGEST_TIME")
        if "," in day or "-" in day:
            raise ValueError("DIGEST_TIME is one weekday and a time, e.g. `mon 09:00`")
        at = check_clock_time(clock.strip() or "09:00", "DIGEST_TIME")
        return f"{day.strip().lower()[:3]} {at}"

    @field_validator("public_url")
    @classmethod
    def _check_public_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        url = value.strip().rstrip("/")
        if not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", url):
            raise ValueError(
                f"PUBLIC_URL must be an http(s) address like https://bot.example.com, not {value!r}"
            )
        return url

    @field_validator("slack_api_url")
    @classmethod
    def _slash_terminated(cls, value: str) -> str:
        return value if value.endswith("/") else value + "/"

    @property
    def slack_configured(self) -> bool:
        return self.slack_bot_token is not None or self.slack_signing_secret is not None

    @property
    def teams_configured(self) -> bool:
        return bool(self.microsoft_app_id.strip()) or self.teams_allow_unauthenticated


DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def check_clock_time(value: str, name: str) -> str:
    """`9:00`, `09:00` or `9am` as `09:00`; anything else a ValueError naming the setting."""
    at = read_clock(value)
    if at is None:
        raise ValueError(f"{name} must be a time of day like 09:00 or 9am, not {value!r}")
    return f"{at:%H:%M}"


def parse_days(value: str, name: str) -> list[str]:
    """`mon-fri`, `mon,wed,fri` or `monday tuesday` as day abbreviations, Monday first."""
    days: set[str] = set()
    for part in re.split(r"[,\s]+", value.strip().lower()):
        if not part:
            continue
        first, _, last = part.partition("-")
        ends = [first[:3], (last or first)[:3]]
        if any(end not in DAYS for end in ends):
            raise ValueError(f"{name}: {part!r} is not a weekday (mon, tue, … sun)")
        start, stop = DAYS.index(ends[0]), DAYS.index(ends[1])
        if stop < start:
            raise ValueError(f"{name}: {part!r} runs backwards; write e.g. mon-fri")
        days.update(DAYS[start : stop + 1])
    if not days:
        raise ValueError(f"{name} needs at least one weekday")
    return [day for day in DAYS if day in days]
