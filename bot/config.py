"""Settings from the environment, validated once at start with messages that name the variable.

Names follow the ecosystem where one exists (``VAULT_ADDR``, ``VAULT_TOKEN``, ``SLACK_BOT_TOKEN``,
...) and use ``CREDBOT_`` otherwise. Every setting is documented in the README's settings table.

A secret setting is a field with ``repr=False``. Each one can also be read from a file named by
the same variable with ``_FILE`` appended (``SLACK_BOT_TOKEN_FILE=/run/secrets/slack-bot-token``,
the Docker and Kubernetes secrets convention), so the secret need not sit in the process's
environment, where ``/proc/<pid>/environ``, ``docker inspect`` and crash reports can show it.
"""

from __future__ import annotations

import ipaddress
import os
import re
import ssl
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlparse

import sqlalchemy as sa
from pydantic import (
    AliasChoices,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.durations import parse_duration
from vault.errors import InvalidName
from vault.layout import check_role
from vault.policy_files import role_policy_text

DEFAULT_DATA_DIR = Path(".credbot")
DEFAULT_IDENTITY_CHECKS = (
    "requester_role",
    "slack_account",
    "email_domain",
    "work_country",
    "uniqueness",
    "kyc_attestation",
)
ACCOUNT_TYPES = frozenset({"member", "multi_channel_guest", "single_channel_guest"})
"""Slack account kinds: full members, multi-channel guests (``is_restricted``) and
single-channel guests (``is_ultra_restricted``)."""
CsvList = Annotated[tuple[str, ...], NoDecode]
DOMAIN = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)+$")
DEFAULT_READ_TIMEOUT = timedelta(seconds=10)
FILE_SUFFIX = "_FILE"
HOSTNAME = re.compile(r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$")
NAMESPACE = re.compile(r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*/?$")
HASHED_CA_NAME = re.compile(r"^[0-9a-f]{8}\.[0-9]+$")
"""OpenSSL's CApath layout: certificates found by the hash of their subject (``openssl rehash``)."""


class SettingsError(Exception):
    """The environment does not describe a usable configuration; the message says why."""


def _env(name: str) -> AliasChoices:
    return AliasChoices(name)


class Settings(BaseSettings):
    """Every setting credbot reads. Construct with ``load_settings()``."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True, populate_by_name=False)

    vault_addr: str = Field("http://127.0.0.1:8200", validation_alias=_env("VAULT_ADDR"))
    vault_cacert: Path | None = Field(None, validation_alias=_env("VAULT_CACERT"))
    """A PEM file of the CA certificates Vault's TLS certificate is checked against (instead
    of the system's), as for the Vault CLI."""
    vault_capath: Path | None = Field(None, validation_alias=_env("VAULT_CAPATH"))
    """A directory of CA certificates in OpenSSL's hashed layout (``openssl rehash``)."""
    vault_namespace: str | None = Field(None, validation_alias=_env("VAULT_NAMESPACE"))
    """Sent as ``X-Vault-Namespace`` on every request: credbot lives in that namespace."""
    vault_max_retries: int = Field(2, ge=0, le=10, validation_alias=_env("VAULT_MAX_RETRIES"))
    vault_token: str | None = Field(None, validation_alias=_env("VAULT_TOKEN"), repr=False)
    vault_role_id: str | None = Field(None, validation_alias=_env("VAULT_ROLE_ID"))
    vault_secret_id: str | None = Field(None, validation_alias=_env("VAULT_SECRET_ID"), repr=False)
    slack_bot_token: str | None = Field(None, validation_alias=_env("SLACK_BOT_TOKEN"), repr=False)
    slack_signing_secret: str | None = Field(
        None, validation_alias=_env("SLACK_SIGNING_SECRET"), repr=False
    )
    slack_app_token: str | None = Field(None, validation_alias=_env("SLACK_APP_TOKEN"), repr=False)
    slack_api_url: str = Field("https://slack.com/api/", validation_alias=_env("SLACK_API_URL"))
    database_url: str = Field(
        f"sqlite:///{DEFAULT_DATA_DIR / 'credbot.sqlite3'}",
        validation_alias=_env("CREDBOT_DATABASE_URL"),
        repr=False,
    )
    public_url: str = Field("http://localhost:8080", validation_alias=_env("CREDBOT_PUBLIC_URL"))
    host: str = Field("127.0.0.1", validation_alias=_env("CREDBOT_HOST"))
    """Where ``credbot serve`` listens (the image sets ``0.0.0.0``); ``--host`` overrides."""
    port: int = Field(8080, ge=1, le=65535, validation_alias=_env("CREDBOT_PORT"))
    managers: CsvList = Field((), validation_alias=_env("CREDBOT_MANAGERS"))
    approvers: CsvList = Field((), validation_alias=_env("CREDBOT_APPROVERS"))
    admins: CsvList = Field((), validation_alias=_env("CREDBOT_ADMINS"))
    approval_channel: str | None = Field(None, validation_alias=_env("CREDBOT_APPROVAL_CHANNEL"))
    audit_channel: str | None = Field(None, validation_alias=_env("CREDBOT_AUDIT_CHANNEL"))
    allowed_countries: CsvList = Field((), validation_alias=_env("CREDBOT_ALLOWED_COUNTRIES"))
    allowed_email_domains: CsvList = Field(
        (), validation_alias=_env("CREDBOT_ALLOWED_EMAIL_DOMAINS")
    )
    identity_checks: CsvList = Field(
        DEFAULT_IDENTITY_CHECKS, validation_alias=_env("CREDBOT_IDENTITY_CHECKS")
    )
    allowed_account_types: CsvList = Field(
        ("member", "multi_channel_guest"), validation_alias=_env("CREDBOT_ALLOWED_ACCOUNT_TYPES")
    )
    kyc_webhook_secret: str | None = Field(
        None, validation_alias=_env("CREDBOT_KYC_WEBHOOK_SECRET"), repr=False
    )
    policy_dir: Path | None = Field(None, validation_alias=_env("CREDBOT_POLICY_DIR"))
    """Where ``credbot vault init`` finds role policies (``credbot-role-<role>.hcl``) before
    the shipped ones; declared before ``roles``, whose check reads it."""
    roles: CsvList = Field(("reviewer",), validation_alias=_env("CREDBOT_ROLES"))
    link_ttl: timedelta = Field(timedelta(hours=24), validation_alias=_env("CREDBOT_LINK_TTL"))
    token_ttl: timedelta = Field(timedelta(hours=8), validation_alias=_env("CREDBOT_TOKEN_TTL"))
    token_max_ttl: timedelta = Field(
        timedelta(hours=12), validation_alias=_env("CREDBOT_TOKEN_MAX_TTL")
    )
    bound_cidrs: CsvList = Field((), validation_alias=_env("CREDBOT_BOUND_CIDRS"))
    audit_log: Path | None = Field(None, validation_alias=_env("CREDBOT_AUDIT_LOG"))
    """Vault's file audit device that ``credbot serve`` follows for shared accounts."""
    sharing_window: timedelta = Field(
        timedelta(minutes=10), validation_alias=_env("CREDBOT_SHARING_WINDOW")
    )
    max_totp_failures: int = Field(
        5, ge=1, le=20, validation_alias=_env("CREDBOT_MAX_TOTP_FAILURES")
    )
    totp_issuer: str = Field(
        "credbot",
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._-]*$",
        validation_alias=_env("CREDBOT_TOTP_ISSUER"),
    )
    sweep_interval: timedelta = Field(
        timedelta(minutes=15), validation_alias=_env("CREDBOT_SWEEP_INTERVAL")
    )
    reconcile_interval: timedelta = Field(
        timedelta(hours=1), validation_alias=_env("CREDBOT_RECONCILE_INTERVAL")
    )
    anchor_interval: timedelta = Field(
        timedelta(seconds=5), validation_alias=_env("CREDBOT_ANCHOR_INTERVAL")
    )
    retention: timedelta = Field(timedelta(days=180), validation_alias=_env("CREDBOT_RETENTION"))
    access_review_interval: timedelta = Field(
        timedelta(0), validation_alias=_env("CREDBOT_ACCESS_REVIEW_INTERVAL")
    )
    """How often managers re-confirm their contractors (``bot.core.reviews``); 0: never."""
    access_review_grace: timedelta = Field(
        timedelta(days=14), validation_alias=_env("CREDBOT_ACCESS_REVIEW_GRACE")
    )
    sweep_max_share: float = Field(
        0.2, gt=0, le=1, validation_alias=_env("CREDBOT_SWEEP_MAX_SHARE")
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", validation_alias=_env("CREDBOT_LOG_LEVEL")
    )
    log_format: Literal["text", "json"] = Field("text", validation_alias=_env("CREDBOT_LOG_FORMAT"))
    read_timeout: timedelta = Field(
        DEFAULT_READ_TIMEOUT, validation_alias=_env("CREDBOT_READ_TIMEOUT")
    )
    ops_port: int | None = Field(None, ge=1, le=65535, validation_alias=_env("CREDBOT_OPS_PORT"))

    @field_validator(
        "managers",
        "approvers",
        "admins",
        "allowed_countries",
        "allowed_email_domains",
        "identity_checks",
        "allowed_account_types",
        "roles",
        "bound_cidrs",
        mode="before",
    )
    @classmethod
    def _split_csv(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator(
        "link_ttl",
        "token_ttl",
        "token_max_ttl",
        "sweep_interval",
        "reconcile_interval",
        "anchor_interval",
        "retention",
        "read_timeout",
        "access_review_interval",
        "access_review_grace",
        "sharing_window",
        mode="before",
    )
    @classmethod
    def _duration(cls, value: object) -> object:
        return parse_duration(value) if isinstance(value, str) else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        # Checked here so that every command says "bad setting" (exit 3) in one line instead of
        # SQLAlchemy's traceback; the messages never repeat the URL (it may hold a password).
        try:
            url = sa.make_url(value)
        except sa.exc.ArgumentError:
            raise ValueError(
                "not a database URL (sqlite:///path/to/file or postgresql+psycopg://user@host/db)"
            ) from None
        try:
            url.get_dialect().import_dbapi()
        except (sa.exc.NoSuchModuleError, ImportError):
            raise ValueError(
                f"credbot cannot use {url.drivername!r} databases: SQLite and PostgreSQL "
                "(postgresql+psycopg) are supported"
            ) from None
        return value

    @field_validator("vault_cacert")
    @classmethod
    def _ca_file(cls, value: Path | None) -> Path | None:
        if value is None:
            return None
        try:
            ssl.create_default_context(cafile=value)
        except ssl.SSLError:
            raise ValueError(f"{value} is not a PEM file of CA certificates") from None
        except OSError as exc:
            raise ValueError(f"cannot read {value}: {exc.strerror or exc}") from None
        return value

    @field_validator("vault_capath")
    @classmethod
    def _ca_directory(cls, value: Path | None) -> Path | None:
        # OpenSSL (under Python's ssl) finds certificates in a directory by the hash of their
        # subject only; a directory of plain PEM files would fail every connection with an
        # unhelpful "certificate verify failed", so say how to prepare it now.
        if value is None:
            return None
        if not value.is_dir():
            raise ValueError(f"{value} is not a directory")
        if not any(HASHED_CA_NAME.match(entry.name) for entry in value.iterdir()):
            raise ValueError(
                f"{value} has no certificates in OpenSSL's hashed layout: run `openssl rehash "
                f"{value}` (or use VAULT_CACERT with one PEM file)"
            )
        return value

    @field_validator("vault_namespace")
    @classmethod
    def _namespace(cls, value: str | None) -> str | None:
        if value is not None and not NAMESPACE.match(value):
            raise ValueError(
                "must be a namespace path such as team-a or admin/team-a (letters, digits, "
                "'_', '.', '-', separated by '/')"
            )
        return value

    @field_validator("policy_dir")
    @classmethod
    def _policy_dir(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_dir():
            raise ValueError(f"{value} is not a directory")
        return value

    @field_validator("roles")
    @classmethod
    def _roles_have_policies(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        # A role nobody wrote a policy for would be offered in Slack, refused by Vault at the
        # first activation, and make `credbot vault init` fail: refuse it at start instead.
        policy_dir = info.data.get("policy_dir")
        for role in value:
            try:
                check_role(role)
            except InvalidName:
                raise ValueError(
                    f"{role!r} is not a role name (a lower-case letter, then up to 31 lower-case "
                    "letters, digits or '-')"
                ) from None
            try:
                role_policy_text(role, policy_dir)
            except InvalidName as exc:
                raise ValueError(str(exc)) from None
        return value

    @field_validator("vault_addr", "public_url", "slack_api_url")
    @classmethod
    def _https_url(cls, value: str) -> str:
        # Vault answers with tokens and secrets, Slack's Web API carries the bot token and
        # the contractors' links, and the links themselves hold a secret: plain http only
        # where nothing crosses a network.
        parsed = urlparse(value)
        if parsed.scheme not in {"http", "https"} or not parsed.netloc:
            raise ValueError(f"{value!r} is not an http(s) URL")
        if parsed.scheme != "https" and not _loopback(parsed.hostname):
            raise ValueError(
                "must use https unless it is a loopback address (localhost, 127.0.0.0/8, ::1)"
            )
        return value

    @field_validator("host")
    @classmethod
    def _listen_host(cls, value: str) -> str:
        try:
            ipaddress.ip_address(value)
        except ValueError:
            if not HOSTNAME.match(value):
                raise ValueError(f"{value!r} is neither an IP address nor a host name") from None
        return value

    @field_validator("slack_app_token")
    @classmethod
    def _app_token(cls, value: str | None) -> str | None:
        # The message never repeats the value: a token pasted into the wrong variable is
        # still a secret.
        if value is not None and (not value.startswith("xapp-") or any(c.isspace() for c in value)):
            raise ValueError(
                "must be an app-level token (xapp-…, Basic Information > App-Level Tokens, "
                "scope connections:write)"
            )
        return value

    @field_validator("allowed_countries")
    @classmethod
    def _countries(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        codes = tuple(code.upper() for code in value)
        bad = [code for code in codes if len(code) != 2 or not code.isalpha()]
        if bad:
            raise ValueError(f"not ISO 3166 alpha-2 codes: {', '.join(bad)}")
        return codes

    @field_validator("allowed_email_domains")
    @classmethod
    def _domains(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        domains = tuple(domain.lower().removeprefix("@") for domain in value)
        bad = [d for d in domains if "." not in d or not DOMAIN.match(d)]
        if bad:
            raise ValueError(f"not email domains: {', '.join(bad)}")
        return domains

    @field_validator("allowed_account_types")
    @classmethod
    def _account_types(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(value) - ACCOUNT_TYPES)
        if unknown:
            known = ", ".join(sorted(ACCOUNT_TYPES))
            raise ValueError(f"unknown account types {', '.join(unknown)} (known: {known})")
        return value

    @field_validator("kyc_webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: str | None) -> str | None:
        if value is not None and len(value) < 32:
            raise ValueError(
                "must be at least 32 characters (generate one with `openssl rand -hex 32`)"
            )
        return value

    @field_validator("bound_cidrs")
    @classmethod
    def _cidrs(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for cidr in value:
            ipaddress.ip_network(cidr, strict=False)
        return value

    @field_validator("retention")
    @classmethod
    def _retention_range(cls, value: timedelta) -> timedelta:
        if not timedelta(days=1) <= value <= timedelta(days=3650):
            raise ValueError("must be between 1d and 3650d")
        return value

    @field_validator("read_timeout")
    @classmethod
    def _read_timeout_range(cls, value: timedelta) -> timedelta:
        if not timedelta(seconds=1) <= value <= timedelta(seconds=60):
            raise ValueError("must be between 1s and 60s")
        return value

    @field_validator("sharing_window")
    @classmethod
    def _sharing_window_range(cls, value: timedelta) -> timedelta:
        if not timedelta(minutes=1) <= value <= timedelta(days=1):
            raise ValueError("must be between 1m and 1d")
        return value

    @field_validator("link_ttl")
    @classmethod
    def _link_ttl_range(cls, value: timedelta) -> timedelta:
        if not timedelta(minutes=5) <= value <= timedelta(days=7):
            raise ValueError("must be between 5m and 7d")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if bool(self.vault_role_id) != bool(self.vault_secret_id):
            raise ValueError("VAULT_ROLE_ID and VAULT_SECRET_ID must be set together")
        if self.token_ttl > self.token_max_ttl:
            raise ValueError("CREDBOT_TOKEN_TTL must not exceed CREDBOT_TOKEN_MAX_TTL")
        if self.access_review_interval and not (
            timedelta(hours=1) <= self.access_review_grace < self.access_review_interval
        ):
            raise ValueError(
                "CREDBOT_ACCESS_REVIEW_GRACE must be at least 1h and shorter than "
                "CREDBOT_ACCESS_REVIEW_INTERVAL"
            )
        if self.vault_cacert is not None and self.vault_capath is not None:
            raise ValueError("VAULT_CACERT and VAULT_CAPATH: set one, not both")
        return self

    @property
    def vault_verify(self) -> bool | str:
        """How Vault's TLS certificate is checked: against ``VAULT_CACERT`` or
        ``VAULT_CAPATH`` when set, else ``certifi``'s CA bundle (``True``; ``REQUESTS_CA_BUNDLE``
        replaces it)."""
        ca = self.vault_cacert or self.vault_capath
        return str(ca) if ca is not None else True

    def socket_mode_token(self) -> str:
        """The app-level token ``credbot serve --socket-mode`` connects with.

        Raises ``SettingsError`` naming ``SLACK_APP_TOKEN`` (and ``SLACK_BOT_TOKEN``, which the
        listeners still need for the Web API) when missing; a malformed token never gets this
        far (the field validator refuses it at load).
        """
        token = self.slack_app_token
        missing = [
            f"{name}: required for Socket Mode ({why})"
            for name, value, why in (
                ("SLACK_APP_TOKEN", token, "the app-level token, xapp-…"),
                ("SLACK_BOT_TOKEN", self.slack_bot_token, "the bot token, xoxb-…"),
            )
            if not value
        ]
        if not token or missing:
            raise _invalid(missing)
        return token


_ENV_NAMES = {
    name: str(field.validation_alias.choices[0])
    for name, field in Settings.model_fields.items()
    if isinstance(field.validation_alias, AliasChoices)
}
SECRET_NAMES = frozenset(
    _ENV_NAMES[name] for name, field in Settings.model_fields.items() if not field.repr
)
"""The variables that also read from ``<NAME>_FILE``."""


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and validate settings from ``environ`` (default: the process's environment),
    secrets from their ``_FILE`` where given; raise ``SettingsError`` naming each bad
    variable (never a secret's value)."""
    environ = os.environ if environ is None else environ
    values = {env: environ[env] for env in _ENV_NAMES.values() if env in environ}
    problems = []
    from_files = set()
    for name in sorted(SECRET_NAMES):
        path = environ.get(name + FILE_SUFFIX)
        if path is None:
            continue
        if name in values:
            problems.append(f"{name}: set either {name} or {name}{FILE_SUFFIX}, not both")
            continue
        try:
            values[name] = _read_secret_file(path)
            from_files.add(name)
        except ValueError as exc:
            problems.append(f"{name}{FILE_SUFFIX}: {exc}")
    if problems:
        raise _invalid(problems)
    try:
        return Settings.model_validate(values)
    except ValidationError as exc:
        raise _invalid(_describe(exc, from_files)) from None


def _read_secret_file(path: str) -> str:
    """The file's text without its trailing newlines. Raises ``ValueError`` saying why it
    cannot be used, naming the path and never the content."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8 text"
        raise ValueError(f"cannot read {path}: {reason}") from None
    value = text.rstrip("\r\n")
    if not value.strip():
        raise ValueError(f"{path} is empty")
    return value


def _invalid(lines: list[str]) -> SettingsError:
    return SettingsError("invalid settings:\n  " + "\n  ".join(lines))


def _describe(exc: ValidationError, from_files: set[str]) -> list[str]:
    lines = []
    for error in exc.errors(include_input=False, include_url=False):
        field = str(error["loc"][0]) if error["loc"] else ""
        name = _ENV_NAMES.get(field, field) if field else "settings"
        if name in from_files:
            name = f"{name} (read from {name}{FILE_SUFFIX})"
        lines.append(f"{name}: {error['msg'].removeprefix('Value error, ')}")
    return lines


def _loopback(host: str | None) -> bool:
    """Whether ``host`` names this machine: ``localhost``, 127.0.0.0/8 or ``::1``."""
    if host == "localhost":
        return True
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
