"""Settings.from_env: every problem named at once, secrets hidden, defaults as in the README."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from bot.config import ConfigError, Settings

GOOD = {"SLACK_SIGNING_SECRET": "s3cret-signing", "SLACK_BOT_TOKEN": "xoxb-1-abc"}


def problems(environ: dict[str, str], **kwargs: bool) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(environ, **kwargs)
    return caught.value.problems


def test_defaults() -> None:
    settings = Settings.from_env(GOOD)

    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.bunce_api_url == "https://api.bunce.so/v1"
    assert settings.bunce_sandbox_api_url == "https://sandbox.api.bunce.so/v1"
    assert settings.database_url == "sqlite:///bunce_bot.sqlite3"
    assert settings.port == 3000
    assert settings.log_level == "INFO"
    assert settings.socket_mode is False


def test_empty_environment_names_every_missing_variable_and_where_to_get_it() -> None:
    found = problems({})

    text = "\n".join(found)
    assert "SLACK_BOT_TOKEN is missing" in text
    assert "SLACK_SIGNING_SECRET is missing" in text
    assert "manifest.yml" in text
    assert "Signing Secret" in text
    assert len(found) == 2


def test_every_malformed_value_is_reported_together() -> None:
    found = problems(
        {
            "SLACK_BOT_TOKEN": "xoxp-user-token",
            "SLACK_APP_TOKEN": "not-an-app-token",
            "SLACK_API_URL": "ftp://slack",
            "BUNCE_API_URL": "nonsense",
            "PORT": "http",
            "LOG_LEVEL": "LOUD",
            "WORKER_LEASE_SECONDS": "0",
            "ENCRYPTION_KEY": "short",
            "DATABASE_URL": "mysql://db/x",
        }
    )

    text = "\n".join(found)
    for name in (
        "SLACK_BOT_TOKEN",
        "SLACK_APP_TOKEN",
        "SLACK_API_URL",
        "BUNCE_API_URL",
        "PORT",
        "LOG_LEVEL",
        "WORKER_LEASE_SECONDS",
        "ENCRYPTION_KEY entry 1",
        "DATABASE_URL",
    ):
        assert name in text
    assert "short" not in text  # a bad key's value is never echoed


def test_postgres_without_encryption_key_refuses_to_start() -> None:
    found = problems({**GOOD, "DATABASE_URL": "postgres://u@db:5432/bunce"})

    assert any("ENCRYPTION_KEY is required with PostgreSQL" in p for p in found)


def test_postgres_urls_map_to_psycopg_and_keys_are_a_list() -> None:
    first, second = Fernet.generate_key().decode(), Fernet.generate_key().decode()

    settings = Settings.from_env(
        {
            **GOOD,
            "DATABASE_URL": "postgres://u@db:5432/bunce",
            "ENCRYPTION_KEY": f"{first}, {second}",
        }
    )

    assert settings.database_url == "postgresql+psycopg://u@db:5432/bunce"
    assert settings.encryption_keys == (first, second)


def test_socket_mode_needs_no_signing_secret() -> None:
    env = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1-A"}

    settings = Settings.from_env(env, socket_mode=None)  # python -m bot: the token decides

    assert settings.socket_mode


def test_http_serving_needs_the_signing_secret_even_with_an_app_token() -> None:
    env = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1-A"}

    with pytest.raises(ConfigError) as raised:
        Settings.from_env(env)  # the WSGI app (gunicorn): always HTTP

    assert "SLACK_SIGNING_SECRET is missing" in str(raised.value)
    assert "SLACK_APP_TOKEN is ignored" in str(raised.value)
    assert Settings.from_env({**env, "SLACK_SIGNING_SECRET": "s"}).socket_mode is False


def test_cli_commands_need_no_slack_configuration() -> None:
    assert Settings.from_env({}, serving=False).database_url.startswith("sqlite")


def test_repr_hides_every_secret() -> None:
    key = Fernet.generate_key().decode()
    settings = Settings.from_env(
        {**GOOD, "SLACK_APP_TOKEN": "xapp-1-SECRETAPP", "ENCRYPTION_KEY": key}
    )

    text = repr(settings)
    for secret in ("s3cret-signing", "xoxb-1-abc", "xapp-1-SECRETAPP", key):
        assert secret not in text


def test_durations_out_of_range_are_named_with_their_bounds() -> None:
    env = {**GOOD, "SLACK_TIMEOUT_SECONDS": "0", "WORKER_LEASE_SECONDS": "soon"}

    with pytest.raises(ConfigError) as raised:
        Settings.from_env(env)

    text = str(raised.value)
    assert "SLACK_TIMEOUT_SECONDS must be between 0.1 and 60 (got '0')" in text
    assert "WORKER_LEASE_SECONDS must be between 1 and 3600 (got 'soon')" in text
    assert Settings.from_env({**GOOD, "SLACK_TIMEOUT_SECONDS": "2.5"}).slack_timeout == 2.5


def test_bunce_rate_settings_default_to_the_procfile_and_refuse_more_than_bunce_allows() -> None:
    settings = Settings.from_env({**GOOD, "WEB_CONCURRENCY": "3"})
    assert (settings.bunce_rate_per_minute, settings.bunce_rate_processes) == (400, 3)

    with pytest.raises(ConfigError) as raised:
        Settings.from_env({**GOOD, "BUNCE_RATE_PER_MINUTE": "600", "BUNCE_RATE_PROCESSES": "0"})

    text = str(raised.value)
    assert "BUNCE_RATE_PER_MINUTE must be a whole number from 1 to 500" in text
    assert "BUNCE_RATE_PROCESSES must be a whole number from 1 to 1000" in text
