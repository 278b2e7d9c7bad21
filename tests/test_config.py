"""Settings: every variable is read, bad values are refused naming the variable, secrets hide."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.config import SettingsError, load_settings
from bot.durations import parse_duration


def test_defaults_are_the_embedded_ones() -> None:
    settings = load_settings({})
    assert settings.database_url.startswith("sqlite:///")
    assert settings.link_ttl == timedelta(hours=24)
    assert settings.roles == ("reviewer",)
    assert settings.vault_token is None and settings.vault_role_id is None
    assert (settings.host, settings.port) == ("127.0.0.1", 8080)


def test_every_variable_is_read() -> None:
    settings = load_settings(
        {
            "VAULT_ADDR": "https://vault.example.com",
            "VAULT_ROLE_ID": "role",
            "VAULT_SECRET_ID": "secret",
            "SLACK_BOT_TOKEN": "xoxb-1",
            "SLACK_SIGNING_SECRET": "sign",
            "SLACK_API_URL": "http://127.0.0.1:9999/api/",
            "CREDBOT_DATABASE_URL": "postgresql+psycopg://credbot@db/credbot",
            "CREDBOT_PUBLIC_URL": "https://credbot.example.com",
            "CREDBOT_MANAGERS": "U1, S2",
            "CREDBOT_APPROVERS": "U3",
            "CREDBOT_ADMINS": "U4,U5",
            "CREDBOT_APPROVAL_CHANNEL": "C1",
            "CREDBOT_AUDIT_CHANNEL": "C2",
            "CREDBOT_ALLOWED_COUNTRIES": "de, pt",
            "CREDBOT_ALLOWED_EMAIL_DOMAINS": "agency.example",
            "CREDBOT_ROLES": "reviewer,senior",
            "CREDBOT_LINK_TTL": "2h",
            "CREDBOT_TOKEN_TTL": "30m",
            "CREDBOT_TOKEN_MAX_TTL": "1h",
            "CREDBOT_BOUND_CIDRS": "10.1.0.0/16",
            "CREDBOT_MAX_TOTP_FAILURES": "3",
            "CREDBOT_LOG_LEVEL": "debug",
            "CREDBOT_HOST": "0.0.0.0",
            "CREDBOT_PORT": "9090",
        }
    )
    assert (settings.host, settings.port) == ("0.0.0.0", 9090)
    assert (settings.vault_role_id, settings.vault_secret_id) == ("role", "secret")
    assert settings.managers == ("U1", "S2")
    assert settings.admins == ("U4", "U5")
    assert settings.allowed_countries == ("DE", "PT")
    assert settings.roles == ("reviewer", "senior")
    assert (settings.link_ttl, settings.token_ttl) == (timedelta(hours=2), timedelta(minutes=30))
    assert settings.bound_cidrs == ("10.1.0.0/16",)
    assert (settings.max_totp_failures, settings.log_level) == (3, "DEBUG")
    assert (settings.approval_channel, settings.audit_channel) == ("C1", "C2")


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"VAULT_ADDR": "vault:8200"}, "VAULT_ADDR"),
        ({"CREDBOT_LINK_TTL": "tomorrow"}, "CREDBOT_LINK_TTL"),
        ({"CREDBOT_LINK_TTL": "30d"}, "CREDBOT_LINK_TTL"),
        ({"CREDBOT_LINK_TTL": "1m"}, "CREDBOT_LINK_TTL"),
        ({"CREDBOT_ALLOWED_COUNTRIES": "Germany"}, "CREDBOT_ALLOWED_COUNTRIES"),
        ({"CREDBOT_BOUND_CIDRS": "10.0.0.0/33"}, "CREDBOT_BOUND_CIDRS"),
        ({"CREDBOT_MAX_TOTP_FAILURES": "0"}, "CREDBOT_MAX_TOTP_FAILURES"),
        ({"CREDBOT_LOG_LEVEL": "loud"}, "CREDBOT_LOG_LEVEL"),
        ({"VAULT_ROLE_ID": "role"}, "VAULT_SECRET_ID"),
        ({"CREDBOT_TOKEN_TTL": "2d"}, "CREDBOT_TOKEN_MAX_TTL"),
        ({"CREDBOT_PUBLIC_URL": "http://credbot.example.com"}, "CREDBOT_PUBLIC_URL"),
        ({"CREDBOT_PORT": "http"}, "CREDBOT_PORT"),
        ({"CREDBOT_PORT": "70000"}, "CREDBOT_PORT"),
        ({"CREDBOT_HOST": "0.0.0.0; rm"}, "CREDBOT_HOST"),
    ],
)
def test_bad_value_is_refused_naming_the_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings(env)
    assert variable in str(raised.value)


def test_secrets_stay_out_of_repr_and_errors() -> None:
    env = {
        "VAULT_TOKEN": "canary-vault-token",
        "SLACK_SIGNING_SECRET": "canary-signing",
        "SLACK_BOT_TOKEN": "xoxb-canary",
        "CREDBOT_DATABASE_URL": "postgresql+psycopg://u:canary-db-password@db/credbot",
    }
    assert "canary" not in repr(load_settings(env))
    with pytest.raises(SettingsError) as raised:
        load_settings({**env, "CREDBOT_LINK_TTL": "x"})
    assert "canary" not in str(raised.value)


@pytest.mark.parametrize(
    ("text", "delta"),
    [
        ("90s", timedelta(seconds=90)),
        ("30m", timedelta(minutes=30)),
        ("24h", timedelta(days=1)),
        ("7d", timedelta(days=7)),
        ("3600", timedelta(hours=1)),
        (" 5M ", timedelta(minutes=5)),
    ],
)
def test_durations(text: str, delta: timedelta) -> None:
    assert parse_duration(text) == delta


@pytest.mark.parametrize("text", ["", "h", "-5m", "1.5h", "5 minutes", "5w"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)
