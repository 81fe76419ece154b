"""Settings: one pydantic-settings object read from VOLT_* variables and an optional secrets file.

Read once at entry points (CLI, app factory, flows) and passed down; library code never reads env.
"""

from __future__ import annotations

import ipaddress
import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

import platformdirs
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    NoDecode,
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


class SmtpSecurity(StrEnum):
    TLS = "tls"  # implicit TLS, usually port 465
    STARTTLS = "starttls"  # usually port 587
    NONE = "none"  # local relays and tests only; refused in prod


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
        default=SecretStr(DEFAULT_SECRET),
        description="Signs tokens and keys the hashes of login codes and audited e-mails.",
    )
    # --- API service -------------------------------------------------------------------------
    redis_url: SecretStr | None = Field(
        default=None,
        description=(
            "Redis for login codes, revocations, rate-limit counters and the response cache "
            "(redis://host:6379/0). Unset: in-process memory (one worker only)."
        ),
    )
    cache_prefix: str = Field(default="volt", description="Prefix of every cache key.")
    admin_emails: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="E-mails that log in as admin (case-insensitive), comma-separated or JSON.",
    )
    self_registration: bool = Field(
        default=True,
        description="Any address may request a code (account created on first login).",
    )
    reader_token_minutes: int = Field(default=30, ge=1, le=24 * 60)
    admin_token_minutes: int = Field(default=60, ge=1, le=24 * 60)
    login_code_seconds: int = Field(default=300, ge=30, le=3600, description="Code lifetime.")
    login_code_attempts: int = Field(
        default=5, ge=1, le=10, description="Wrong attempts after which a code is void."
    )
    login_code_min_response_ms: int = Field(
        # Every answer of POST /v1/auth/code takes at least this long, so that sending a mail
        # (known address) and not sending one (unknown address) cannot be told apart by timing.
        default=400,
        ge=0,
        le=5000,
    )
    rate_limits: dict[str, str] = Field(
        default_factory=dict,
        description=(
            "Per-zone overrides of the rate limits, in the `limits` notation, e.g. "
            '{"default": "10/10 seconds", "auth_code_email": "3/15 minutes"}.'
        ),
    )
    rate_limit_enabled: bool = Field(
        # Only for measuring the bare service (benchmarks); `prod` refuses it.
        default=True,
        description="Count requests against the rate-limit zones (false: benchmarks only).",
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Proxies (IPs or CIDR, comma-separated) whose X-Forwarded-For is believed.",
    )
    mailer: Mailer = Mailer.CONSOLE
    smtp_host: str = "localhost"
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_security: SmtpSecurity = Field(
        default=SmtpSecurity.STARTTLS, description="tls (implicit, 465), starttls (587) or none."
    )
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_sender: str = "volt <no-reply@localhost>"
    smtp_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    smtp_ca_file: Path | None = Field(
        default=None, description="CA bundle to verify the SMTP server (default: system CAs)."
    )
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
    # --- live sources (`volt etl run --source api`) ------------------------------------------
    # Each root replaces the registry's public host (a mirror, or a local replay server in tests).
    enedis_api: Literal["data-fair", "explore"] | None = Field(
        default=None, description="Enedis API to read: data-fair (default) or Opendatasoft Explore."
    )
    enedis_api_url: str | None = Field(default=None, description="Root URL of the Enedis API.")
    ademe_api_url: str | None = Field(default=None, description="Root URL of ADEME's data-fair.")
    ademe_dataset: Literal["current", "legacy"] = Field(
        default="current",
        description="dpe03existant (current) or the former dpe-v2-logements-existants (legacy).",
    )
    ademe_api_key: SecretStr | None = Field(
        default=None, description="Optional ADEME data-fair API key (sent as x-apiKey)."
    )
    ban_api_url: str | None = Field(default=None, description="Root URL of the BAN geocoder.")
    ban_fallback_api_url: str | None = Field(
        default=None,
        description="Root URL of the fallback BAN geocoder; empty string disables the fallback.",
    )
    ban_files_url: str | None = Field(
        default=None, description="Root URL of the BAN national address files."
    )
    http_timeout_seconds: float = Field(default=60.0, gt=0, le=600)
    http_retries: int = Field(
        default=6, ge=0, le=20, description="Retries of one request on 429/5xx/timeouts."
    )
    http_backoff_max_seconds: float = Field(default=60.0, gt=0, le=900)
    http_concurrency: int = Field(
        default=4, ge=1, le=32, description="Requests in flight per host at most."
    )
    # addok scores compare the query with the answer's whole label (number, street, postcode,
    # city): right answers of the real recordings score 0.68–0.81 (median 0.74, 321 of 364 at
    # ≥ 0.7; 1 at ≥ 0.8). The house number, index and commune are checked on the answer's BAN id
    # besides, and a runner-up within 0.05 means two plausible addresses (left undecided).
    geocoder_min_score: float = Field(default=0.70, ge=0, le=1)
    geocoder_min_margin: float = Field(default=0.05, ge=0, le=1)
    # --- privacy (DESIGN §3) ------------------------------------------------------------------
    privacy_min_dwellings: int = Field(
        # Enedis' own secret statistique: it publishes no address under 10 dwellings.
        default=10,
        ge=2,
        le=1000,
        description=(
            "A statistic built from fewer dwellings than this is suppressed (null, "
            "suppressed: true), and so is any cell that would let it be recovered by subtraction."
        ),
    )
    privacy_min_dpe: int = Field(
        default=5,
        ge=2,
        le=1000,
        description=(
            "A statistic or label count built from fewer DPE than this is suppressed, with the "
            "cells that would let it be recovered by subtraction."
        ),
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

    @field_validator("database_url", "redis_url", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        # VOLT_REDIS_URL= (empty) means "not set": the embedded default, not a broken URL.
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("admin_emails", "trusted_proxies", mode="before")
    @classmethod
    def _split_list(cls, value: Any) -> Any:
        # VOLT_ADMIN_EMAILS=a@x.fr,b@y.fr as well as a JSON list.
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [item.strip() for item in text.split(",") if item.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _check_networks(cls, value: list[str]) -> list[str]:
        for item in value:
            ipaddress.ip_network(item, strict=False)  # ValueError names the bad entry
        return value

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
        elif self.smtp_security is SmtpSecurity.NONE:
            problems.append("VOLT_SMTP_SECURITY=none would send login codes in clear")
        if not self.rate_limit_enabled:
            problems.append("VOLT_RATE_LIMIT_ENABLED=false turns the rate limits off")
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
