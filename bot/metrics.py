"""credbot's own Prometheus metrics, beside the gauges ``/metrics`` reads at scrape time
(``bot.web.operations``).

They are the process's: every core and Slack client in it adds to the same series, which
``credbot serve`` exports. (``credbot sweep`` from cron runs in a process nobody scrapes:
watch its exit code instead.) Label values are few and fixed: outcomes, Slack method names
and Slack's documented error codes, credbot's kinds of Vault call (``vault.metrics``).
"""

from __future__ import annotations

import platform
from datetime import datetime
from importlib.metadata import version
from typing import get_args

from prometheus_client import Counter, Gauge, Histogram
from prometheus_client.registry import Collector

from bot.core.interfaces import EnrolmentOutcome
from vault.metrics import VAULT_ERRORS, VAULT_RETRIES

ENROLMENTS = Counter(
    "credbot_enrolments",
    "Steps contractors took on the enrollment page, by outcome",
    ["outcome"],
    registry=None,
)
for _outcome in get_args(EnrolmentOutcome):
    ENROLMENTS.labels(outcome=_outcome)  # every outcome is a series from the start, at 0

INTERCEPTION_ALERTS = Counter(
    "credbot_interception_alerts",
    "Admin alerts about a delivery someone else may have opened (possible interception)",
    registry=None,
)
SWEEP_DURATION = Histogram(
    "credbot_sweep_duration_seconds",
    "How long sweeps that changed things took (dry runs are not counted)",
    buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1800),
    registry=None,
)
SWEEP_LAST_SUCCESS = Gauge(
    "credbot_sweep_last_success_timestamp_seconds",
    "When a sweep last finished with nothing left pending (Unix time; 0: not since start)",
    registry=None,
)
SLACK_ERRORS = Counter(
    "credbot_slack_errors",
    "Slack Web API calls that failed after the SDK's retries, by method and Slack's error",
    ["method", "error"],
    registry=None,
)
VAULT_AUDIT_LINES = Counter(
    "credbot_vault_audit_lines",
    "Lines of Vault's audit log read for shared-account detection, by outcome",
    ["outcome"],
    registry=None,
)
for _outcome in ("login", "other", "unparseable"):
    VAULT_AUDIT_LINES.labels(outcome=_outcome)
SHARING_ALERTS = Counter(
    "credbot_sharing_alerts",
    "Accounts flagged as possibly shared (used from several places, or from outside the CIDRs)",
    registry=None,
)
BUILD_INFO = Gauge(
    "credbot_build_info",
    "Always 1; the labels say which credbot and Python run",
    ["version", "python"],
    registry=None,
)
BUILD_INFO.labels(version=version("credbot"), python=platform.python_version()).set(1)

PROCESS_METRICS: tuple[Collector, ...] = (
    BUILD_INFO,
    ENROLMENTS,
    INTERCEPTION_ALERTS,
    SWEEP_DURATION,
    SWEEP_LAST_SUCCESS,
    SLACK_ERRORS,
    VAULT_ERRORS,
    VAULT_RETRIES,
    VAULT_AUDIT_LINES,
    SHARING_ALERTS,
)
"""Everything above, and the Vault counters: what ``/metrics`` exports besides its gauges."""


class PrometheusMetrics:
    """The core's ``Metrics``, counted in the series above."""

    def enrolment(self, outcome: EnrolmentOutcome) -> None:
        """One more step with this outcome."""
        ENROLMENTS.labels(outcome=outcome).inc()

    def interception_alert(self) -> None:
        """One more interception alert."""
        INTERCEPTION_ALERTS.inc()

    def sweep_finished(self, *, seconds: float, all_done: bool, at: datetime) -> None:
        """A sweep's duration; its time, when it left nothing pending."""
        SWEEP_DURATION.observe(seconds)
        if all_done:
            SWEEP_LAST_SUCCESS.set(at.timestamp())


def count_slack_error(method: str, error: str) -> None:
    """One more failed Slack Web API call."""
    SLACK_ERRORS.labels(method=method, error=error).inc()
