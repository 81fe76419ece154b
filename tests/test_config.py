"""Settings: VOLT_ environment, secrets file (JSON or .env), and the prod guard."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from volt.config import Environment, Settings, load_settings
from volt.errors import ConfigError

PROD_SECRETS = {
    "VOLT_SECRET_KEY": "a-real-key",
    "VOLT_DB_OWNER_PASSWORD": "o",
    "VOLT_DB_WRITER_PASSWORD": "w",
    "VOLT_DB_READER_PASSWORD": "r",
    "VOLT_MAILER": "smtp",
}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("VOLT_"):
            monkeypatch.delenv(key)


def test_defaults_are_embedded_with_zones_in_the_data_dir(tmp_path: Path) -> None:
    s = load_settings(data_dir=tmp_path)
    assert s.embedded and s.env is Environment.DEV
    assert s.zones_location == str(tmp_path / "zones")


def test_environment_variables_use_the_volt_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOLT_DATABASE_URL", "postgresql://u:p@h/db")
    monkeypatch.setenv("VOLT_ZONES_URL", "/srv/zones")
    s = Settings()
    assert not s.embedded and s.zones_location == "/srv/zones"


def test_secrets_file_as_json_and_env_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secrets = tmp_path / "secrets.json"
    secrets.write_text(json.dumps({"secret_key": "from-file", "VOLT_DB_READER_PASSWORD": "rf"}))
    monkeypatch.setenv("VOLT_SECRETS_FILE", str(secrets))
    monkeypatch.setenv("VOLT_DB_READER_PASSWORD", "from-env")
    s = Settings()
    assert s.secret_key.get_secret_value() == "from-file"
    assert s.db_reader_password.get_secret_value() == "from-env"


def test_secrets_file_as_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secrets = tmp_path / "volt.env"
    secrets.write_text("VOLT_SECRET_KEY=dotenv-key\n# comment\nVOLT_MAILER=smtp\n")
    monkeypatch.setenv("VOLT_SECRETS_FILE", str(secrets))
    s = Settings()
    assert (s.secret_key.get_secret_value(), s.mailer.value) == ("dotenv-key", "smtp")


def test_unknown_key_or_missing_secrets_file_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bad = tmp_path / "s.json"
    bad.write_text('{"secret_kee": "typo"}')
    monkeypatch.setenv("VOLT_SECRETS_FILE", str(bad))
    with pytest.raises(ConfigError, match="Unknown setting 'secret_kee'"):
        Settings()
    monkeypatch.setenv("VOLT_SECRETS_FILE", str(tmp_path / "absent.json"))
    with pytest.raises(ConfigError, match="not a readable file"):
        Settings()


def test_prod_refuses_default_secrets_and_the_console_mailer() -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(env="prod")
    message = str(err.value)
    for part in ("VOLT_SECRET_KEY", "VOLT_DB_OWNER_PASSWORD", "VOLT_MAILER=console"):
        assert part in message
    with pytest.raises(ConfigError, match="VOLT_MAILER=console"):
        load_settings(
            env="prod",
            **{
                k.removeprefix("VOLT_").lower(): v
                for k, v in PROD_SECRETS.items()
                if k != "VOLT_MAILER"
            },
        )


def test_prod_starts_with_real_secrets() -> None:
    s = load_settings(
        env="prod", **{k.removeprefix("VOLT_").lower(): v for k, v in PROD_SECRETS.items()}
    )
    assert s.env is Environment.PROD


def test_an_empty_url_means_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOLT_REDIS_URL", "")
    monkeypatch.setenv("VOLT_DATABASE_URL", " ")
    settings = load_settings()
    assert (settings.redis_url, settings.database_url, settings.embedded) == (None, None, True)
