"""Settings read from the environment and an optional .env file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

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

    @property
    def renewal_horizon_days(self) -> int:
        return max(self.renewal_windows)
