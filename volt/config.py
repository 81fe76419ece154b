"""Settings: one pydantic-settings object read from VOLT_* variables and an optional secrets file.

Read once at entry points (CLI, app factory, flows) and passed down; library code never reads env.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Any

import platformdirs
from pydantic import Field, SecretStr, model_validator
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from volt.errors import ConfigError

# Development defaults: fine on a laptop, refused in prod (see _refuse_unsafe_prod).
DEFAULT_SECRET = "change-me-dev-only"  # noqa: S105 - a sentinel the prod guard looks for
DEFAULT_DB_PASSWORDS = {
    "owner": "volt-owner-dev",
    "writer": "volt-writer-dev",
    "reader": "volt-reader-dev",
}


class Environment(StrEnum):
    DEV = "dev"
    TEST = "test"
    PROD = "prod"


class Mailer(StrEnum):
    CONSOLE = "console"
    SMTP = "smtp"


class Settings(BaseSettings):
    """Everything that picks a backing part or a limit. `VOLT_` prefix, e.g. VOLT_DATABASE_URL."""

    model_config = SettingsConfigDict(env_prefix="VOLT_", extra="ignore", frozen=True)

    env: Environment = Environment.DEV
    secrets_file: Path | None = Field(
        default=None, description="JSON or .env file with secrets (VOLT_SECRETS_FILE)."
    )
    data_dir: Path = Field(
        default_factory=lambda: Path(platformdirs.user_data_dir("volt")),
        description="Embedded database and default zones live here.",
    )
    database_url: SecretStr | None = Field(
        default=None,
        description=(
            "PostgreSQL ≥ 15 DSN of an account allowed to create roles (services mode). "
            "Unset: the embedded PostgreSQL in <data_dir>/pg."
        ),
    )
    database_name: str = Field(
        default="volt", description="Database created in the embedded server."
    )
    db_schema: str = Field(default="volt", description="Schema holding every volt table.")
    db_owner_role: str = "volt_owner"
    db_writer_role: str = "volt_writer"
    db_reader_role: str = "volt_reader"
    db_owner_password: SecretStr = SecretStr(DEFAULT_DB_PASSWORDS["owner"])
    db_writer_password: SecretStr = SecretStr(DEFAULT_DB_PASSWORDS["writer"])
    db_reader_password: SecretStr = SecretStr(DEFAULT_DB_PASSWORDS["reader"])
    db_statement_timeout_ms: int = Field(
        default=5_000, description="Statement timeout of read (API) transactions."
    )
    zones_url: str | None = Field(
        default=None, description="Where bronze/silver/gold live; default <data_dir>/zones."
    )
    duckdb_memory_limit: str = Field(
        # Joins and sorts spill to disk past it; quantiles (medians, p10/p90) cannot, and the
        # gold areas of ≈ 5 M DPE need ≈ 2 GB (peak RSS of the whole ETL then ≈ 2.4 GB).
        default="2GB",
        description="DuckDB memory cap for ETL transforms (it spills past it).",
    )
    duckdb_threads: int = Field(default=2, ge=1)
    secret_key: SecretStr = Field(
        default=SecretStr(DEFAULT_SECRET), description="Token signing key (API)."
    )
    mailer: Mailer = Mailer.CONSOLE
    # Quality gates before a load. A structured BAN match plus the geocoder places well over 90 %
    # of Enedis addresses; under 80 % something upstream broke (wrong BAN file, changed format).
    gate_min_geocode_rate: float = Field(default=0.80, ge=0, le=1)
    # ADEME's own identifiant_ban is missing or street-level for a sizeable share of DPE; half of
    # them at least must reach a BAN address, else the BAN file or the join is wrong.
    gate_min_dpe_join_rate: float = Field(default=0.50, ge=0, le=1)
    # A partition (table x year|département) may shrink by at most 20 % between two loads.
    gate_max_drop: float = Field(default=0.20, ge=0, le=1)
    load_streams: int = Field(
        default=2, ge=1, le=16, description="Parallel COPY connections of the gold load."
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Explicit arguments win, then the environment, then the secrets file.
        return (init_settings, env_settings, _SecretsFileSource(settings_cls, init_settings))

    @model_validator(mode="after")
    def _refuse_unsafe_prod(self) -> Settings:
        if self.env is not Environment.PROD:
            return self
        problems = []
        if self.secret_key.get_secret_value() == DEFAULT_SECRET:
            problems.append("VOLT_SECRET_KEY is the development default")
        for role, default in DEFAULT_DB_PASSWORDS.items():
            value: SecretStr = getattr(self, f"db_{role}_password")
            if value.get_secret_value() == default:
                problems.append(f"VOLT_DB_{role.upper()}_PASSWORD is the development default")
        if self.mailer is Mailer.CONSOLE:
            problems.append("VOLT_MAILER=console writes login codes to the log")
        if problems:
            raise ConfigError(
                "Refusing to start with VOLT_ENV=prod: " + "; ".join(problems) + ".",
                hint="Set real values in the environment or in VOLT_SECRETS_FILE.",
            )
        return self

    @property
    def embedded(self) -> bool:
        return self.database_url is None

    @property
    def zones_location(self) -> str:
        return self.zones_url or str(self.data_dir / "zones")


class _SecretsFileSource(PydanticBaseSettingsSource):
    """Values from VOLT_SECRETS_FILE (JSON object or .env lines); keys with or without VOLT_."""

    def __init__(self, settings_cls: type[BaseSettings], init: PydanticBaseSettingsSource) -> None:
        super().__init__(settings_cls)
        self._init = init

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ reads the whole file at once

    def __call__(self) -> dict[str, Any]:
        import os

        path_value = self._init().get("secrets_file") or os.environ.get("VOLT_SECRETS_FILE")
        if not path_value:
            return {}
        path = Path(path_value)
        if not path.is_file():
            raise ConfigError(
                f"VOLT_SECRETS_FILE points to {path}, which is not a readable file.",
                hint="Fix the path or unset VOLT_SECRETS_FILE.",
            )
        raw = _read_secrets(path)
        fields = set(self.settings_cls.model_fields)
        out: dict[str, Any] = {}
        for key, value in raw.items():
            name = key.lower().removeprefix("volt_")
            if name not in fields:
                raise ConfigError(
                    f"Unknown setting {key!r} in secrets file {path}.",
                    hint="Use setting names such as VOLT_SECRET_KEY or secret_key.",
                )
            out[name] = value
        return out


def _read_secrets(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json" or text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"Secrets file {path} is not valid JSON: {exc}.") from exc
        if not isinstance(data, dict):
            raise ConfigError(f"Secrets file {path} must hold a JSON object.")
        return data
    source = DotEnvSettingsSource(Settings, env_file=path, env_prefix="")
    return {k: v for k, v in source.env_vars.items() if v is not None}


def load_settings(**overrides: Any) -> Settings:
    """Build settings from the environment (and secrets file); overrides win (tests, CLI flags)."""
    return Settings(**overrides)
