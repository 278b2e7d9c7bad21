"""``GET /metrics``: each of credbot's own metrics moves when the thing it counts happens, on
the real app, core, OpenBao and Slack stand-in; and the endpoint answers whatever is down."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families
from slack_sdk.errors import SlackApiError
from starlette.testclient import TestClient

from bot.config import load_settings
from bot.core import issuing, links, revocation
from bot.core.context import Core
from bot.core.errors import RevocationPending
from bot.core.sweep import SweepOptions, sweep
from bot.dev.slack_standin import SlackStandIn
from bot.metrics import PrometheusMetrics
from bot.storage.engine import make_engine
from bot.storage.store import SqlStore
from bot.web.app import build_web_app
from bot.web.enrollment import pages
from bot.wiring import build_slack_client
from tests.support.contractor import fresh_code, wrong_code
from tests.support.core import APPROVER, PUBLIC_URL, approved_contractor, link_secret
from tests.support.links import stored_link
from tests.support.notifier import RecordingNotifier
from tests.support.openbao import OpenBaoServer
from tests.support.ports import free_port
from vault.credentials import read_credential_lifetimes

Sample = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(client: TestClient) -> Sample:
    """Every sample of ``GET /metrics``, by name and labels."""
    response = client.get("/metrics")
    assert response.status_code == 200
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def value(samples: Sample, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def counted(core: Core) -> Core:
    """The test core, counting into the process's metrics as ``credbot serve``'s does."""
    return replace(core, metrics=PrometheusMetrics())


def app_client(core: Core, **options: object) -> TestClient:
    settings = load_settings({"CREDBOT_PUBLIC_URL": PUBLIC_URL, "CREDBOT_LINK_TTL": "1h"})
    app = build_web_app(core=core, https=False, routes=pages(core, settings), **options)  # type: ignore[arg-type]
    return TestClient(app, base_url="http://credbot.test")


def issue(core: Core, notifier: RecordingNotifier) -> str:
    contractor = approved_contractor(core)
    issuing.issue(core, contractor.id, actor=APPROVER)
    return link_secret(notifier.last_link)


def test_metrics_answer_with_every_family_while_the_database_is_down(core: Core) -> None:
    down = SqlStore(engine=make_engine(f"postgresql+psycopg://x@127.0.0.1:{free_port()}/x"))
    samples = scrape(app_client(replace(core, store=down)))
    assert value(samples, "credbot_database_ready") == 0
    (build,) = [labels for name, labels in samples if name == "credbot_build_info"]
    assert dict(build)["version"] and dict(build)["python"].count(".") == 2
    assert value(samples, "credbot_build_info", **dict(build)) == 1
    names = {name for name, _ in samples}
    assert {
        "credbot_enrolments_total",
        "credbot_sweep_duration_seconds_count",
        "credbot_sweep_last_success_timestamp_seconds",
        "credbot_vault_up",
    } <= names


def test_enrolment_outcomes_move_with_each_step_on_the_page(
    counted: Core, notifier: RecordingNotifier
) -> None:
    client = app_client(counted)
    before = scrape(client)

    def moved(outcome: str) -> float:
        now = scrape(client)
        return value(now, "credbot_enrolments_total", outcome=outcome) - value(
            before, "credbot_enrolments_total", outcome=outcome
        )

    secret = issue(counted, notifier)
    revealed = client.post(
        "/enroll/reveal", json={"secret": secret, "code": notifier.code_for(secret)}
    ).json()
    assert moved("revealed") == 1
    attempt = {"secret": secret, "proof": revealed["proof"]}
    seed, password = revealed["totp_secret"], revealed["password"]
    wrong_password = {**attempt, "password": "not-" + password, "code": fresh_code(seed)}
    assert client.post("/enroll/confirm", json=wrong_password).status_code == 403
    assert moved("password_rejected") == 1
    wrong = {**attempt, "password": password, "code": wrong_code(seed)}
    assert client.post("/enroll/confirm", json=wrong).status_code == 403
    assert moved("totp_rejected") == 1
    right = {**attempt, "password": password, "code": fresh_code(seed)}
    assert client.post("/enroll/confirm", json=right).status_code == 200
    assert moved("activated") == 1

    locked_secret = issue(counted, notifier)
    opened = client.post(
        "/enroll/reveal", json={"secret": locked_secret, "code": notifier.code_for(locked_secret)}
    ).json()
    guess = {
        "secret": locked_secret,
        "proof": opened["proof"],
        "password": opened["password"],
        "code": wrong_code(opened["totp_secret"]),
    }
    for _ in range(counted.policy.max_totp_failures):
        answer = client.post("/enroll/confirm", json=guess)
    assert answer.json()["error"] == "link_locked"
    assert moved("locked") == 1  # the last failure locks: it is not also a rejection
    assert moved("totp_rejected") == 1 + counted.policy.max_totp_failures - 1


def test_an_interception_is_counted_with_its_alert(
    counted: Core, notifier: RecordingNotifier, openbao: OpenBaoServer
) -> None:
    client = app_client(counted)
    before = scrape(client)
    secret = issue(counted, notifier)
    link = stored_link(counted.store, links.link_hash(secret))
    assert link is not None
    openbao.root_client().sys.unwrap(links.unseal_delivery(secret, link.sealed_delivery).password)
    answer = client.post(
        "/enroll/reveal", json={"secret": secret, "code": notifier.code_for(secret)}
    )
    assert answer.status_code == 409
    after = scrape(client)
    assert value(after, "credbot_interception_alerts_total") == (
        value(before, "credbot_interception_alerts_total") + 1
    )
    assert value(after, "credbot_enrolments_total", outcome="interception") == (
        value(before, "credbot_enrolments_total", outcome="interception") + 1
    )
    assert len(notifier.alerts) == 1


def test_sweeps_are_timed_and_only_a_clean_one_is_a_success(
    throwaway_openbao: OpenBaoServer, outage_core: Core, notifier: RecordingNotifier
) -> None:
    core = replace(outage_core, metrics=PrometheusMetrics())
    client = app_client(core)
    before = scrape(client)
    sweep(core, SweepOptions(worker="metrics-test"))
    clean = scrape(client)
    assert value(clean, "credbot_sweep_duration_seconds_count") == (
        value(before, "credbot_sweep_duration_seconds_count") + 1
    )
    success = value(clean, "credbot_sweep_last_success_timestamp_seconds")
    assert success == core.clock.now().timestamp()

    contractor = approved_contractor(core)
    issuing.issue(core, contractor.id, actor=APPROVER)
    throwaway_openbao.seal()
    with pytest.raises(RevocationPending):
        revocation.offboard(core, contractor.id, actor="admin", reason="left")
    core.clock.advance(timedelta(minutes=5))  # type: ignore[attr-defined]
    sweep(core, SweepOptions(worker="metrics-test"))
    throwaway_openbao.unseal()
    pending = scrape(client)
    assert value(pending, "credbot_sweep_duration_seconds_count") == (
        value(clean, "credbot_sweep_duration_seconds_count") + 1
    )
    assert value(pending, "credbot_sweep_last_success_timestamp_seconds") == success
    sweep(core, SweepOptions(worker="metrics-test", dry_run=True))  # a dry run counts nothing
    assert value(scrape(client), "credbot_sweep_duration_seconds_count") == (
        value(pending, "credbot_sweep_duration_seconds_count")
    )


def test_vault_errors_are_counted_by_operation_and_kind(
    throwaway_openbao: OpenBaoServer, outage_core: Core
) -> None:
    client = app_client(outage_core)
    health = {"operation": "GET sys/health", "kind": "unavailable"}
    before = value(scrape(client), "credbot_vault_errors_total", **health)
    throwaway_openbao.seal()
    sealed = scrape(client)  # the scrape's own health check meets the sealed Vault
    assert value(sealed, "credbot_vault_up") == 0
    assert value(sealed, "credbot_vault_errors_total", **health) == before + 1


def test_slack_errors_are_counted_by_method_and_error(standin: SlackStandIn, core: Core) -> None:
    client = app_client(core)
    slack = build_slack_client(
        load_settings({"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": standin.api_url})
    )
    refused = {"method": "chat.postMessage", "error": "channel_not_found"}
    before = value(scrape(client), "credbot_slack_errors_total", **refused)
    standin.fail("chat.postMessage", "channel_not_found")
    with pytest.raises(SlackApiError):
        slack.chat_postMessage(channel="C0GONE", text="hello")
    assert value(scrape(client), "credbot_slack_errors_total", **refused) == before + 1

    nowhere = build_slack_client(
        load_settings(
            {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": f"http://127.0.0.1:{free_port()}/"}
        )
    )
    unreachable = {"method": "users.info", "error": "unreachable"}
    before = value(scrape(client), "credbot_slack_errors_total", **unreachable)
    with pytest.raises(OSError):
        nowhere.users_info(user="U1")
    assert value(scrape(client), "credbot_slack_errors_total", **unreachable) == before + 1


@pytest.mark.parametrize("login", ["approle", "token"])
def test_the_bots_credentials_lifetimes_are_exported(
    throwaway_openbao: OpenBaoServer, outage_core: Core, login: str
) -> None:
    bot: Callable[[], object] = (
        throwaway_openbao.bot_login if login == "approle" else throwaway_openbao.root_client
    )
    vault_client = bot()
    client = app_client(outage_core, credentials=lambda: read_credential_lifetimes(vault_client))
    samples = scrape(client)
    token = value(samples, "credbot_vault_token_ttl_seconds")
    secret_id = samples.get(("credbot_vault_secret_id_expires_seconds", ()))
    if login == "approle":  # vault init: 20-minute tokens, secret IDs for 30 days
        assert 1100 < token <= 1200
        assert secret_id is not None and 30 * 86400 - 120 < secret_id <= 30 * 86400
    else:  # the dev server's root token never expires, and there is no secret ID
        assert token == float("inf") and secret_id is None
    throwaway_openbao.seal()
    sealed = scrape(client)
    assert ("credbot_vault_token_ttl_seconds", ()) not in sealed
