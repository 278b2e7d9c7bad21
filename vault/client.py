"""Connecting to Vault, and the one place where transport and HTTP failures become typed errors.

Every Vault call in this package goes through :func:`request`, so every hvac exception and every
``requests`` connection error is translated by :func:`translate` exactly once, and counted once
(``credbot_vault_errors_total``, ``vault.metrics``). Messages name the operation and Vault's
stated reason; they never carry a request body, a token or any value the caller marks as secret.

Calls that are safe to repeat are retried with backoff when Vault does not answer or answers
5xx (see :class:`Retries` and :func:`request`); a client made by :func:`connect` also carries
the TLS trust (``VAULT_CACERT``/``VAULT_CAPATH``) and the namespace (``VAULT_NAMESPACE``, sent
as ``X-Vault-Namespace`` on every request) that :func:`with_token` hands on.
"""

from __future__ import annotations

import logging
import random
import re
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import hvac
import hvac.exceptions
import hvac.utils
import requests
from hvac.constants.client import VAULT_CLIENT_CERT, VAULT_CLIENT_KEY

from vault.errors import (
    LoginRefused,
    MfaAttemptsExceeded,
    MfaCodeRejected,
    VaultError,
    VaultInvalidRequest,
    VaultNotFound,
    VaultPermissionDenied,
    VaultUnavailable,
    VersionConflict,
    WrappingTokenRejected,
)
from vault.layout import APPROLE_MOUNT
from vault.metrics import count_error, count_retry
from vault.transport import environment_session

__all__ = [
    "AppRoleClient",
    "Retries",
    "VaultClient",
    "connect",
    "request",
    "scrub",
    "translate",
    "translated",
    "ttl",
]

DEFAULT_TIMEOUT = 10.0

log = logging.getLogger("vault.client")

_REDACTED = "<redacted>"
# Vault/OpenBao token formats (hvs./hvb./hvr./s./b./r. + opaque part), otpauth URIs, and long
# base32 runs (TOTP seeds). Caller-supplied secrets are removed as well.
_SECRET_PATTERNS = (
    re.compile(r"\b(?:hv[sbr]|[sbr])\.[A-Za-z0-9_.-]{16,}"),
    re.compile(r"otpauth://\S+"),
    re.compile(r"\b[A-Z2-7]{26,}=*"),
)
_WRAPPING_REJECTIONS = ("wrapping token is not valid", "does not exist", "invalid token")
_NO_ACTIVE_NODE = "active cluster node not found"
"""What a standby answers, with HTTP 500, while its cluster has no active node it knows of
(between a leader's loss and the next one's step-up): an outage, not a failed operation."""

REPEATABLE_METHODS = frozenset({"GET", "LIST", "DELETE", "HEAD"})
"""Methods whose calls are retried unless the caller says otherwise: repeating them changes
nothing that the first attempt did not."""

SINGLE_USE_PATHS = frozenset({"sys/wrapping/unwrap", "sys/mfa/validate"})
"""Calls never retried, whatever the caller says: an unwrap or an MFA validation that reached
Vault but whose answer was lost has used up its token or its request (a retry would fail, and
the failure be taken for an interception or a wrong code)."""

_jitter = random.Random()  # noqa: S311 - spreads retries out; not a secret


@dataclass(frozen=True)
class Retries:
    """How a call that may be repeated is retried when Vault does not answer (connection
    refused or reset, connect timeout) or answers 5xx other than 501 ("not initialised",
    which waiting does not cure).

    ``max_retries`` retries at most (``VAULT_MAX_RETRIES``, as the Vault CLI counts them),
    waiting ``first_delay`` doubled each time up to ``max_delay`` (each wait drawn between half
    and all of it, so replicas that failed together do not retry together); no retry starts
    once ``budget`` seconds have passed since the first attempt, so a call gives up within
    ``budget`` plus one request timeout.
    """

    max_retries: int = 2
    first_delay: float = 0.25
    max_delay: float = 2.0
    budget: float = 10.0

    def delay(self, retry: int, *, elapsed: float) -> float | None:
        """Seconds to wait before retry number ``retry`` (1-based), or ``None`` when no retry
        is left within ``max_retries`` and ``budget``."""
        if retry > self.max_retries:
            return None
        wait = min(self.max_delay, self.first_delay * 2 ** (retry - 1))
        wait *= _jitter.uniform(0.5, 1.0)
        return wait if elapsed + wait < self.budget else None


DEFAULT_RETRIES = Retries()
NO_RETRIES = Retries(max_retries=0)


class VaultClient(hvac.Client):  # type: ignore[misc]
    """An hvac client that also carries how credbot retries calls to this Vault.

    Its requests go through ``urllib3`` (:class:`vault.transport.Urllib3Session`, under hvac's
    own ``JSONAdapter``), which reads the environment once, here, not on every call. The
    client certificate is the one hvac reads from ``VAULT_CLIENT_CERT``/``VAULT_CLIENT_KEY``.
    """

    def __init__(
        self,
        *,
        url: str,
        token: str | None,
        timeout: float,
        verify: bool | str,
        namespace: str | None,
        retries: Retries,
    ) -> None:
        cert = (VAULT_CLIENT_CERT, VAULT_CLIENT_KEY) if VAULT_CLIENT_CERT else None
        session = environment_session(url, verify, cert)
        super().__init__(
            url=url,
            token=token,
            cert=cert,
            timeout=timeout,
            verify=session.verify,
            proxies=session.proxies,
            namespace=namespace,
            session=session,
        )
        self.token = token
        self.retries = retries


def connect(
    addr: str,
    *,
    token: str | None = None,
    role_id: str | None = None,
    secret_id: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    verify: bool | str = True,
    namespace: str | None = None,
    retries: Retries = DEFAULT_RETRIES,
    approle_mount: str = APPROLE_MOUNT,
    wait_for_vault: bool = False,
) -> VaultClient:
    """Return a client for ``addr``.

    With ``role_id`` and ``secret_id``, log in through ``POST /auth/{approle_mount}/login`` and
    use the returned token; otherwise use ``token`` (or no token at all, which is enough for
    :func:`vault.health.read_health_status`). ``VAULT_TOKEN``, ``~/.vault-token`` and hvac's own
    reading of ``VAULT_CACERT``/``VAULT_NAMESPACE`` are deliberately bypassed: everything comes
    from the arguments. ``verify`` is ``True`` (``certifi``'s CA bundle), a CA bundle file or an
    OpenSSL-hashed CA directory; ``namespace`` goes with every request as
    ``X-Vault-Namespace``; ``retries`` applies to the calls :func:`request` may repeat.

    ``wait_for_vault`` (a server that must start during a Vault outage): when Vault cannot be
    reached for the AppRole login, return the client anyway; it logs in before its first call
    (:meth:`AppRoleClient.ensure_token`). Credentials Vault refuses still raise at once.

    Raises ``VaultUnavailable`` (unreachable, sealed, a certificate not trusted),
    ``VaultPermissionDenied`` (bad AppRole credentials) or ``VaultInvalidRequest``.
    """
    if (role_id is None) != (secret_id is None):
        raise ValueError("role_id and secret_id must be given together")
    options: dict[str, Any] = {
        "url": addr,
        "timeout": timeout,
        "verify": verify,
        "namespace": namespace or None,
        "retries": retries,
    }
    if role_id is None or secret_id is None:
        return VaultClient(token=token, **options)
    approle = AppRoleClient(role_id=role_id, secret_id=secret_id, mount=approle_mount, **options)
    try:
        approle.login()
    except VaultUnavailable as exc:
        if not wait_for_vault:
            raise
        log.warning("Vault cannot be reached yet (%s); logging in at its first use", exc)
    return approle


class AppRoleClient(VaultClient):
    """A client that logs in through AppRole and logs in again before its token expires.

    The bot's AppRole tokens are short-lived (``vault.setup`` gives them a 20-minute TTL and a
    one-hour maximum), and a long-running bot must outlive them. :func:`request` calls
    :meth:`ensure_token` before every call; once two thirds of the token's lease have passed,
    a fresh login replaces it, so the bot never holds a token longer than it needs.
    The SecretID stays in memory for that purpose (it is never logged or put in messages).
    """

    def __init__(
        self,
        *,
        url: str,
        role_id: str,
        secret_id: str,
        mount: str = APPROLE_MOUNT,
        timeout: float = DEFAULT_TIMEOUT,
        verify: bool | str = True,
        namespace: str | None = None,
        retries: Retries = DEFAULT_RETRIES,
    ) -> None:
        super().__init__(
            url=url,
            token=None,
            timeout=timeout,
            verify=verify,
            namespace=namespace,
            retries=retries,
        )
        self._role_id = role_id
        self._secret_id = secret_id
        self._mount = mount
        self._refresh_at = 0.0
        self._login_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"AppRoleClient(url={self.url!r}, mount={self._mount!r})"

    @property
    def secret_id(self) -> str:
        """The SecretID this client logs in with (for looking up its own expiry,
        ``vault.approle.lookup_secret_id``); never to be logged."""
        return self._secret_id

    def login(self) -> None:
        """``POST /auth/{mount}/login`` with RoleID and SecretID; keep the new token. Retried
        like a read: a login whose answer was lost only leaves an unused token to expire."""
        self.token = None
        body = _send(
            self,
            "POST",
            f"auth/{self._mount}/login",
            json={"role_id": self._role_id, "secret_id": self._secret_id},
            secrets=(self._role_id, self._secret_id),
            retry=True,
        )
        auth = _auth(body)
        lease = int(auth.get("lease_duration") or 0)
        self.token = auth["client_token"]
        self._refresh_at = time.monotonic() + lease * 2 / 3 if lease else float("inf")

    def ensure_token(self) -> None:
        """Log in again if the current token is past two thirds of its lease. Thread-safe:
        concurrent callers (revocation fans calls out) log in once."""
        if time.monotonic() < self._refresh_at:
            return
        with self._login_lock:
            if time.monotonic() >= self._refresh_at:
                self.login()


def with_token(client: hvac.Client, token: str | None) -> VaultClient:
    """A client for the same Vault (address, TLS, namespace, timeout and retries) holding
    ``token``, or none: what credbot logs in as a contractor with, and ends that token with."""
    settings = client.adapter._kwargs
    return connect(
        client.url,
        token=token,
        timeout=settings.get("timeout") or DEFAULT_TIMEOUT,
        verify=settings.get("verify", True),
        namespace=client.adapter.namespace,
        retries=client.retries if isinstance(client, VaultClient) else DEFAULT_RETRIES,
    )


def ttl(value: timedelta) -> str:
    """Render a duration as Vault expects it (``"900s"``); refuse non-positive durations."""
    seconds = int(value.total_seconds())
    if seconds <= 0:
        raise ValueError(f"duration must be at least one second, got {value}")
    return f"{seconds}s"


def request(
    client: hvac.Client,
    method: str,
    path: str,
    *,
    json: Mapping[str, Any] | None = None,
    params: Mapping[str, Any] | None = None,
    wrap_ttl: timedelta | None = None,
    secrets: Iterable[str] = (),
    retry: bool | None = None,
) -> dict[str, Any] | None:
    """Send ``METHOD /v1/{path}`` and return the decoded JSON body, or ``None`` for 204.

    ``secrets`` are values in this request that must never reach an error message (passwords,
    seeds, tokens). ``retry``: whether the call may be repeated when Vault does not answer or
    answers 5xx (the client's :class:`Retries`); ``None`` means "if it is a GET, LIST or
    DELETE"; a write passes ``True`` only when repeating it changes nothing the first did. A
    wrapped read (``wrap_ttl``) and the single-use calls (``SINGLE_USE_PATHS``) are never
    repeated. Raises the ``vault.errors`` class that :func:`translate` picks. An
    :class:`AppRoleClient` first renews its login if its token is about to expire.
    """
    if isinstance(client, AppRoleClient):
        client.ensure_token()
    if wrap_ttl is not None or path in SINGLE_USE_PATHS:
        retry = False
    elif retry is None:
        retry = method.upper() in REPEATABLE_METHODS
    return _send(
        client,
        method,
        path,
        json=json,
        params=params,
        wrap_ttl=wrap_ttl,
        secrets=secrets,
        retry=retry,
    )


def _send(
    client: hvac.Client,
    method: str,
    path: str,
    *,
    json: Mapping[str, Any] | None = None,
    params: Mapping[str, Any] | None = None,
    wrap_ttl: timedelta | None = None,
    secrets: Iterable[str] = (),
    retry: bool = False,
) -> dict[str, Any] | None:
    """:func:`request` without the AppRole token check (used by the login itself)."""
    kwargs: dict[str, Any] = {"raise_exception": False}
    if json is not None:
        kwargs["json"] = dict(json)
    if params is not None:
        kwargs["params"] = dict(params)
    if wrap_ttl is not None:
        kwargs["wrap_ttl"] = ttl(wrap_ttl)
    operation = f"{method} {path}"
    retries = client.retries if retry and isinstance(client, VaultClient) else NO_RETRIES
    secret_list = tuple(secrets)
    started = time.monotonic()
    with translated(*secret_list, operation=operation):
        for attempt in range(1, retries.max_retries + 2):
            try:
                response = client.adapter.request(method, f"/v1/{path}", **kwargs)
            except requests.RequestException as exc:
                error: Exception = exc
                transient = _transient_transport(exc)
            else:
                if not (isinstance(response, requests.Response) and not response.ok):
                    break
                error = _status_error(method, response)
                transient = 500 <= response.status_code < 600 and response.status_code != 501
            wait = retries.delay(attempt, elapsed=time.monotonic() - started) if transient else None
            if wait is None:
                raise error
            log.warning(
                "%s; retry %d of %d in %.2fs",
                translate(error, secrets=secret_list, operation=operation),
                attempt,
                retries.max_retries,
                wait,
            )
            count_retry(operation)
            time.sleep(wait)
    if isinstance(response, dict):
        return response
    if isinstance(response, requests.Response) and response.status_code == 204:
        return None
    status = getattr(response, "status_code", "?")
    raise VaultError(f"{method} {path}: unexpected response (HTTP {status})")


def _status_error(method: str, response: requests.Response) -> hvac.exceptions.VaultError:
    """hvac's exception for an error answer, as hvac itself would raise it (``translate``
    reads Vault's reasons from it)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    errors = body.get("errors") if isinstance(body, dict) else None
    try:
        hvac.utils.raise_for_error(
            method,
            response.url,
            response.status_code,
            None if errors else response.text,
            errors=errors,
            text=response.text,
            json=body,
        )
    except hvac.exceptions.VaultError as exc:
        return exc
    raise AssertionError("raise_for_error returned")  # pragma: no cover


def _transient_transport(exc: requests.RequestException) -> bool:
    """Whether waiting may cure a failure to exchange with Vault: no connection (refused,
    reset, connect timeout). A TLS failure is not (a certificate does not become trusted by
    waiting), nor is a read timeout: the request may have been acted on, and waiting again
    for a slow Vault would stretch the call far past its budget."""
    return isinstance(exc, requests.ConnectionError) and not isinstance(
        exc, requests.exceptions.SSLError
    )


@contextmanager
def translated(*secrets: str, operation: str = "Vault request") -> Iterator[None]:
    """Run the block, turning hvac / ``requests`` failures into ``vault.errors`` classes.

    The original exception is not chained (``from None``): hvac keeps the response text on its
    exceptions, and the typed error carries everything a caller needs. Each translated error is
    counted once in ``credbot_vault_errors_total`` (by operation and kind).
    """
    try:
        yield
    except VaultError:
        raise
    except (hvac.exceptions.VaultError, requests.RequestException) as exc:
        error = translate(exc, secrets=secrets, operation=operation)
        count_error(operation, error)
        raise error from None


def translate(
    exc: BaseException, *, secrets: Iterable[str] = (), operation: str = "Vault request"
) -> VaultError:
    """Map one hvac or ``requests`` exception to the matching ``vault.errors`` class.

    - connection refused, DNS failure, timeout, TLS failure, HTTP 429/501/502/503 (rate
      limited, not initialised, sealed, standby), and a 500 from a standby that knows no
      active node (a cluster electing a new leader): ``VaultUnavailable``
    - 401/403: ``VaultPermissionDenied``; 404: ``VaultNotFound``
    - 400 "invalid username or password" from a userpass login: ``LoginRefused``; 400
      "invalid role or secret ID" from an AppRole login: ``VaultPermissionDenied``;
      403 from ``sys/mfa/validate``: ``MfaAttemptsExceeded`` past the method's attempts,
      else ``MfaCodeRejected``;
    - 400 "no auth engine at" (``sys/auth/{path}``): ``VaultNotFound``;
      400 from ``sys/wrapping/*`` for an unknown or used token: ``WrappingTokenRejected``;
      400 "check-and-set parameter did not match" (KV v2): ``VersionConflict``;
      any other 400: ``VaultInvalidRequest``
    - anything else: ``VaultError``
    """
    secret_list = [s for s in secrets if s]
    if isinstance(exc, requests.RequestException):
        reason = f"Vault unreachable ({_transport_reason(exc)})"
        return VaultUnavailable(scrub(f"{operation}: {reason}", secret_list))
    if not isinstance(exc, hvac.exceptions.VaultError):
        return VaultError(scrub(f"{operation}: {type(exc).__name__}", secret_list))
    reason = "; ".join(_reasons(exc)) or type(exc).__name__
    message = scrub(f"{operation}: {reason}", secret_list)
    cls = _BY_STATUS.get(type(exc), VaultError)
    if isinstance(exc, hvac.exceptions.InternalServerError) and _NO_ACTIVE_NODE in reason:
        cls = VaultUnavailable
    if cls is VaultPermissionDenied and operation == "POST sys/mfa/validate":
        cls = (
            MfaAttemptsExceeded if "maximum totp validation" in reason.lower() else MfaCodeRejected
        )
    if cls is VaultUnavailable:
        message += " (Vault is sealed, uninitialised or on standby)"
    if cls is VaultInvalidRequest:
        cls = _classify_bad_request(reason.lower(), operation)
    return cls(message)


_BY_STATUS: dict[type[BaseException], type[VaultError]] = {
    hvac.exceptions.VaultDown: VaultUnavailable,
    hvac.exceptions.VaultNotInitialized: VaultUnavailable,
    hvac.exceptions.BadGateway: VaultUnavailable,
    hvac.exceptions.RateLimitExceeded: VaultUnavailable,
    hvac.exceptions.Forbidden: VaultPermissionDenied,
    hvac.exceptions.Unauthorized: VaultPermissionDenied,
    hvac.exceptions.InvalidPath: VaultNotFound,
    hvac.exceptions.InvalidRequest: VaultInvalidRequest,
}


def _classify_bad_request(reason: str, operation: str) -> type[VaultError]:
    """Vault answers 400 for several distinct conditions; tell them apart by Vault's text."""
    if "invalid username or password" in reason and "/login/" in operation:
        return LoginRefused
    if "invalid role or secret id" in reason and "/login" in operation:
        return VaultPermissionDenied
    if "check-and-set parameter did not match" in reason:
        return VersionConflict
    if "no auth engine at" in reason:
        return VaultNotFound
    if "sys/wrapping/" in operation and any(r in reason for r in _WRAPPING_REJECTIONS):
        return WrappingTokenRejected
    return VaultInvalidRequest


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """Remove ``secrets`` and anything shaped like a token, TOTP seed or otpauth URI."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, _REDACTED)
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(_REDACTED, text)
    return text


def _reasons(exc: hvac.exceptions.VaultError) -> list[str]:
    """Vault's own error strings, flattened (Vault wraps them in "1 error occurred: * ...")."""
    errors = exc.errors or ([str(exc.args[0])] if exc.args and exc.args[0] else [])
    out: list[str] = []
    for error in errors:
        for raw in str(error).splitlines():
            line = raw.strip().lstrip("*").strip()
            if line and not line.endswith("error occurred:") and "errors occurred" not in line:
                out.append(line)
    return out


def _transport_reason(exc: requests.RequestException) -> str:
    """A short, secret-free cause: the exception class and the host it tried."""
    url = getattr(exc.request, "url", None) if exc.request is not None else None
    where = urlsplit(url).netloc if isinstance(url, str) else ""
    kind = {
        requests.ConnectTimeout: "connect timeout",
        requests.ReadTimeout: "read timeout",
        requests.exceptions.SSLError: "TLS error",
        requests.ConnectionError: "connection failed",
    }
    for cls, label in kind.items():
        if isinstance(exc, cls):
            reason = f"{label} to {where}" if where else label
            if "CERTIFICATE_VERIFY_FAILED" in str(exc):
                reason += (
                    ": its certificate is not signed by a CA credbot trusts (set VAULT_CACERT "
                    "or VAULT_CAPATH to the CA that signed it)"
                )
            return reason
    return type(exc).__name__


def _auth(body: dict[str, Any] | None) -> dict[str, Any]:
    """The ``auth`` block of a login response; ``VaultError`` if it is missing."""
    auth = (body or {}).get("auth")
    if not isinstance(auth, dict) or not isinstance(auth.get("client_token"), str):
        raise VaultError("login response carried no token")
    return auth
