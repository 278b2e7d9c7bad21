"""Settings: every variable is read, bad values are refused naming the variable, secrets hide."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import SECRET_NAMES, SettingsError, load_settings
from bot.durations import parse_duration
from tests.support.cli import run

# A self-signed CA certificate (public: no key goes with it), for the CA settings.
CA_PEM = """-----BEGIN CERTIFICATE-----
MIIBeTCCAR+gAwIBAgIUTwIY1fKJ9+GPLGZF725ibawF9qEwCgYIKoZIzj0EAwIw
EjEQMA4GA1UEAwwHdGVzdC1jYTAeFw0yNjExMjkxMDM3MTRaFw0zNjExMjYxMDM3
MTRaMBIxEDAOBgNVBAMMB3Rlc3QtY2EwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNC
AASf58IbuiNgU+yzye0Ed5wROeq/npsXGAtyThU69w5grHxv8OoWRh4kUheN7Ig4
p2d67VEJMGcCuloQrEmNsiORo1MwUTAdBgNVHQ4EFgQUHhdIlJbHBdHBWqbYUG3E
Lu8E45gwHwYDVR0jBBgwFoAUHhdIlJbHBdHBWqbYUG3ELu8E45gwDwYDVR0TAQH/
BAUwAwEB/zAKBggqhkjOPQQDAgNIADBFAiBEbhuhY5/NkxmtawYim4lKN88kny+8
Hay0NeOGHG+k7wIhAOKcuuPJ9082HETnVRvzCt3k1sieMqNNR2dDSzul4jA5
-----END CERTIFICATE-----
"""


def test_defaults_are_the_embedded_ones() -> None:
    settings = load_settings({})
    assert settings.database_url.startswith("sqlite:///")
    assert settings.link_ttl == timedelta(hours=24)
    assert settings.roles == ("reviewer",)
    assert settings.vault_token is None and settings.vault_role_id is None
    assert (settings.host, settings.port) == ("127.0.0.1", 8080)
    assert settings.access_review_interval == timedelta(0)  # access reviews off


def test_every_variable_is_read(tmp_path: Path) -> None:
    (tmp_path / "credbot-role-senior.hcl").write_text('path "review/*" { capabilities = ["read"] }')
    (tmp_path / "ca.pem").write_text(CA_PEM)
    settings = load_settings(
        {
            "VAULT_ADDR": "https://vault.example.com",
            "VAULT_CACERT": str(tmp_path / "ca.pem"),
            "VAULT_NAMESPACE": "admin/team-a",
            "VAULT_MAX_RETRIES": "0",
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
            "CREDBOT_POLICY_DIR": str(tmp_path),
            "CREDBOT_LINK_TTL": "2h",
            "CREDBOT_TOKEN_TTL": "30m",
            "CREDBOT_TOKEN_MAX_TTL": "1h",
            "CREDBOT_BOUND_CIDRS": "10.1.0.0/16",
            "CREDBOT_MAX_TOTP_FAILURES": "3",
            "CREDBOT_TOTP_ISSUER": "Acme Review",
            "CREDBOT_LOG_LEVEL": "debug",
            "CREDBOT_LOG_FORMAT": "JSON",
            "CREDBOT_ANCHOR_INTERVAL": "30s",
            "CREDBOT_HOST": "0.0.0.0",
            "CREDBOT_PORT": "9090",
            "CREDBOT_ACCESS_REVIEW_INTERVAL": "90d",
            "CREDBOT_ACCESS_REVIEW_GRACE": "7d",
            "CREDBOT_AUDIT_LOG": "/var/log/openbao/audit.log",
            "CREDBOT_SHARING_WINDOW": "15m",
        }
    )
    assert settings.access_review_interval == timedelta(days=90)
    assert settings.access_review_grace == timedelta(days=7)
    assert (settings.host, settings.port) == ("0.0.0.0", 9090)
    assert (settings.vault_role_id, settings.vault_secret_id) == ("role", "secret")
    assert settings.managers == ("U1", "S2")
    assert settings.admins == ("U4", "U5")
    assert settings.allowed_countries == ("DE", "PT")
    assert settings.roles == ("reviewer", "senior")
    assert (settings.link_ttl, settings.token_ttl) == (timedelta(hours=2), timedelta(minutes=30))
    assert settings.bound_cidrs == ("10.1.0.0/16",)
    assert (settings.max_totp_failures, settings.log_level) == (3, "DEBUG")
    assert settings.totp_issuer == "Acme Review"
    assert (settings.approval_channel, settings.audit_channel) == ("C1", "C2")
    assert settings.anchor_interval == timedelta(seconds=30)
    assert settings.vault_verify == str(tmp_path / "ca.pem")
    assert (settings.vault_namespace, settings.vault_max_retries) == ("admin/team-a", 0)
    assert (settings.policy_dir, settings.log_format) == (tmp_path, "json")
    assert settings.audit_log == Path("/var/log/openbao/audit.log")
    assert settings.sharing_window == timedelta(minutes=15)


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
        ({"CREDBOT_TOTP_ISSUER": "Acme:Review"}, "CREDBOT_TOTP_ISSUER"),
        ({"CREDBOT_TOTP_ISSUER": ""}, "CREDBOT_TOTP_ISSUER"),
        ({"CREDBOT_LOG_LEVEL": "loud"}, "CREDBOT_LOG_LEVEL"),
        ({"CREDBOT_ANCHOR_INTERVAL": "soon"}, "CREDBOT_ANCHOR_INTERVAL"),
        ({"VAULT_ROLE_ID": "role"}, "VAULT_SECRET_ID"),
        ({"CREDBOT_TOKEN_TTL": "2d"}, "CREDBOT_TOKEN_MAX_TTL"),
        ({"CREDBOT_PUBLIC_URL": "http://credbot.example.com"}, "CREDBOT_PUBLIC_URL"),
        ({"CREDBOT_PORT": "http"}, "CREDBOT_PORT"),
        ({"CREDBOT_PORT": "70000"}, "CREDBOT_PORT"),
        ({"CREDBOT_HOST": "0.0.0.0; rm"}, "CREDBOT_HOST"),
        ({"VAULT_NAMESPACE": "team a"}, "VAULT_NAMESPACE"),
        ({"VAULT_MAX_RETRIES": "-1"}, "VAULT_MAX_RETRIES"),
        ({"VAULT_CACERT": "/no/such/ca.pem"}, "VAULT_CACERT"),
        ({"VAULT_CACERT": __file__}, "VAULT_CACERT"),
        ({"VAULT_CAPATH": "/no/such/dir"}, "VAULT_CAPATH"),
        ({"CREDBOT_LOG_FORMAT": "xml"}, "CREDBOT_LOG_FORMAT"),
        ({"CREDBOT_POLICY_DIR": "/no/such/dir"}, "CREDBOT_POLICY_DIR"),
        ({"CREDBOT_ROLES": "Senior"}, "CREDBOT_ROLES"),
        ({"CREDBOT_DATABASE_URL": "credbot.sqlite3"}, "CREDBOT_DATABASE_URL"),
        ({"CREDBOT_DATABASE_URL": "mysql://u@db/credbot"}, "CREDBOT_DATABASE_URL"),
        ({"CREDBOT_ACCESS_REVIEW_INTERVAL": "quarterly"}, "CREDBOT_ACCESS_REVIEW_INTERVAL"),
        (
            {"CREDBOT_ACCESS_REVIEW_INTERVAL": "7d", "CREDBOT_ACCESS_REVIEW_GRACE": "14d"},
            "CREDBOT_ACCESS_REVIEW_GRACE",
        ),
        (
            {"CREDBOT_ACCESS_REVIEW_INTERVAL": "90d", "CREDBOT_ACCESS_REVIEW_GRACE": "10m"},
            "CREDBOT_ACCESS_REVIEW_GRACE",
        ),
        ({"CREDBOT_SHARING_WINDOW": "10s"}, "CREDBOT_SHARING_WINDOW"),
        ({"CREDBOT_SHARING_WINDOW": "2d"}, "CREDBOT_SHARING_WINDOW"),
        ({"CREDBOT_SHARING_WINDOW": "a while"}, "CREDBOT_SHARING_WINDOW"),
    ],
)
def test_bad_value_is_refused_naming_the_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings(env)
    assert variable in str(raised.value)


def test_a_role_without_a_policy_file_is_refused_naming_the_file(tmp_path: Path) -> None:
    shipped_only = run({"CREDBOT_ROLES": "reviewer,auditor"}, "list")
    assert shipped_only.exit_code == 3
    assert "CREDBOT_ROLES: role 'auditor' has no policy file" in shipped_only.output
    assert "set CREDBOT_POLICY_DIR to a directory holding credbot-role-auditor.hcl" in (
        shipped_only.output
    )
    in_directory = run(
        {"CREDBOT_ROLES": "reviewer,auditor", "CREDBOT_POLICY_DIR": str(tmp_path)}, "list"
    )
    assert in_directory.exit_code == 3
    assert f"{tmp_path / 'credbot-role-auditor.hcl'} does not exist" in in_directory.output
    assert not (tmp_path / "credbot-role-reviewer.hcl").exists()  # reviewer: the shipped one


def test_ca_settings_are_one_or_the_other(tmp_path: Path) -> None:
    (tmp_path / "ca.pem").write_text(CA_PEM)
    (tmp_path / "0123abcd.0").write_text(CA_PEM)  # the hashed name `openssl rehash` would give
    with pytest.raises(SettingsError, match="VAULT_CACERT and VAULT_CAPATH: set one, not both"):
        load_settings({"VAULT_CACERT": str(tmp_path / "ca.pem"), "VAULT_CAPATH": str(tmp_path)})


def test_a_database_url_is_refused_without_repeating_it() -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings({"CREDBOT_DATABASE_URL": "oracle://u:canary-password@db/credbot"})
    assert "CREDBOT_DATABASE_URL: credbot cannot use 'oracle' databases" in str(raised.value)
    assert "canary" not in str(raised.value)


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


@pytest.mark.parametrize("variable", ["VAULT_ADDR", "SLACK_API_URL", "CREDBOT_PUBLIC_URL"])
@pytest.mark.parametrize(
    "url", ["http://vault.example.com:8200", "http://10.0.0.5/api/", "http://127.0.0.1.nip.io/"]
)
def test_plain_http_is_refused_unless_loopback(variable: str, url: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings({variable: url})
    assert f"{variable}: must use https unless it is a loopback address" in str(raised.value)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8200",
        "http://127.0.0.2:8200",
        "http://localhost:8200",
        "http://[::1]:8200",
    ],
)
def test_plain_http_on_loopback_is_fine(url: str) -> None:
    settings = load_settings({"VAULT_ADDR": url, "SLACK_API_URL": url})
    assert (settings.vault_addr, settings.slack_api_url) == (url, url)


def test_plain_http_stops_a_command_with_exit_3() -> None:
    result = run({"VAULT_ADDR": "http://vault.example.com:8200"}, "db", "upgrade")
    assert result.exit_code == 3
    assert "VAULT_ADDR: must use https unless it is a loopback address" in result.output


SECRETS = {
    "VAULT_TOKEN": ("vault_token", "hvs.canary-vault-token"),
    "VAULT_SECRET_ID": ("vault_secret_id", "canary-secret-id"),
    "SLACK_BOT_TOKEN": ("slack_bot_token", "xoxb-canary-bot-token"),
    "SLACK_SIGNING_SECRET": ("slack_signing_secret", "canary-signing-secret"),
    "SLACK_APP_TOKEN": ("slack_app_token", "xapp-1-canary-app-token"),
    "CREDBOT_KYC_WEBHOOK_SECRET": ("kyc_webhook_secret", "canary-webhook-secret-0123456789abcd"),
    "CREDBOT_DATABASE_URL": ("database_url", "postgresql+psycopg://u:canary-password@db/credbot"),
}


def test_every_secret_setting_can_come_from_a_file() -> None:
    assert set(SECRETS) == SECRET_NAMES


@pytest.mark.parametrize("variable", sorted(SECRETS))
@pytest.mark.parametrize("ending", ["\n", "\r\n", ""])
def test_a_secret_is_read_from_its_file_without_the_trailing_newline(
    tmp_path: Path, variable: str, ending: str
) -> None:
    secret = tmp_path / "secret"
    field, value = SECRETS[variable]
    secret.write_bytes((value + ending).encode())
    env = {f"{variable}_FILE": str(secret)}
    if variable == "VAULT_SECRET_ID":
        env["VAULT_ROLE_ID"] = "role"
    settings = load_settings(env)
    assert getattr(settings, field) == value
    assert "canary" not in repr(settings)


def test_a_secret_in_both_places_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "token"
    secret.write_text("xoxb-canary-from-file\n")
    env = {"SLACK_BOT_TOKEN": "xoxb-canary-from-env", "SLACK_BOT_TOKEN_FILE": str(secret)}
    with pytest.raises(SettingsError) as raised:
        load_settings(env)
    message = str(raised.value)
    assert (
        "SLACK_BOT_TOKEN: set either SLACK_BOT_TOKEN or SLACK_BOT_TOKEN_FILE, not both" in message
    )
    assert "canary" not in message


@pytest.mark.parametrize(
    ("make", "why"),
    [
        (lambda path: None, "No such file or directory"),
        (lambda path: path.mkdir(), "Is a directory"),
        (lambda path: path.write_bytes(b"\xff\xfecanary"), "not UTF-8 text"),
        (lambda path: path.write_text("\n"), "is empty"),
    ],
    ids=["missing", "directory", "not-utf8", "empty"],
)
def test_an_unusable_secret_file_is_named_never_its_content(
    tmp_path: Path, make: Callable[[Path], object], why: str
) -> None:
    path = tmp_path / "signing-secret"
    make(path)
    with pytest.raises(SettingsError) as raised:
        load_settings({"SLACK_SIGNING_SECRET_FILE": str(path)})
    message = str(raised.value)
    assert "SLACK_SIGNING_SECRET_FILE: " in message
    assert str(path) in message and why in message
    assert "canary" not in message


def test_a_bad_secret_from_a_file_names_the_file_variable(tmp_path: Path) -> None:
    path = tmp_path / "app-token"
    path.write_text("xoxb-canary-not-an-app-token\n")
    with pytest.raises(SettingsError) as raised:
        load_settings({"SLACK_APP_TOKEN_FILE": str(path)})
    message = str(raised.value)
    assert "SLACK_APP_TOKEN (read from SLACK_APP_TOKEN_FILE): must be an app-level token" in message
    assert "canary" not in message


def test_a_secret_file_through_the_command_line(tmp_path: Path) -> None:
    """``credbot`` itself reads the process environment: the file works there too."""
    path = tmp_path / "db-url"
    path.write_text(f"sqlite:///{tmp_path / 'from-file.sqlite3'}\n")
    result = run({"CREDBOT_DATABASE_URL_FILE": str(path)}, "db", "upgrade")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "from-file.sqlite3").exists()
