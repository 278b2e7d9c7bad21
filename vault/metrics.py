"""What credbot's Vault calls count, for Prometheus (``credbot serve`` exports them on
``/metrics``; ``bot.web.operations`` registers them).

The counters are the process's own: every client in the process adds to them. Their
``operation`` label is the call's method and path with the parts that name one contractor
(``ctr-…`` usernames, ``credbot-ctr-…`` entities) or one object (UUIDs) replaced by ``*``, so
the number of series stays that of credbot's few kinds of call, not of its contractors.
"""

from __future__ import annotations

import re

from prometheus_client import Counter

from vault.errors import VaultError

VAULT_ERRORS = Counter(
    "credbot_vault_errors",
    "Vault calls that failed (after any retries), by operation and kind of error",
    ["operation", "kind"],
    registry=None,
)
VAULT_RETRIES = Counter(
    "credbot_vault_retries",
    "Vault calls repeated because Vault did not answer or answered 5xx, by operation",
    ["operation"],
    registry=None,
)

_VARIABLE = re.compile(
    r"(?<=/)(?:credbot-)?ctr-[^/]+"
    r"|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
)
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def operation_label(operation: str) -> str:
    """``"GET auth/credbot/users/ctr-1a2b"`` -> ``"GET auth/credbot/users/*"``."""
    return _VARIABLE.sub("*", operation)


def kind_label(error: VaultError) -> str:
    """The error's class as a label: ``VaultUnavailable`` -> ``unavailable``,
    ``MfaCodeRejected`` -> ``mfa_code_rejected``, ``VaultError`` -> ``error``."""
    name = type(error).__name__
    name = name.removeprefix("Vault") or "Error"
    return _CAMEL.sub("_", name).lower()


def count_error(operation: str, error: VaultError) -> None:
    """Count one failed call."""
    VAULT_ERRORS.labels(operation=operation_label(operation), kind=kind_label(error)).inc()


def count_retry(operation: str) -> None:
    """Count one repeated call."""
    VAULT_RETRIES.labels(operation=operation_label(operation)).inc()
