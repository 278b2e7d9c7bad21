"""Revocation time per contractor: credbot's ``offboard`` vs the raw hvac calls it makes.

Both sides run in the same process, against the same OpenBao dev server, with the same
least-privilege AppRole policy (``credbot-bot``), on comparable Vault state: every account is a
userpass user with a TOTP key, activated with the role policy, whose wrapped secrets were
unwrapped, and which holds one live login token.

- credbot: ``bot.core.revocation.offboard`` on an ``active`` contractor. That is two state
  changes with their hash-chained audit events, the account record, link invalidation, the
  ``account_revoked`` audit event with the proof, and ``vault.revocation.revoke_account``.
- raw: the same HTTP calls ``vault.revocation.revoke_account`` makes, with a plain
  ``hvac.Client`` and nothing else (see :func:`raw_revoke`).

The two are timed interleaved (A/B, then B/A, ...) so drift in the server or the machine lands
on both. Run ``python -m bench.revocation --help``. Always exits 0: it measures, it does not
judge, but it says whether the goal (credbot <= 1.25x raw) was met.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import hvac
import hvac.exceptions
import pyotp

from bench._setup import (
    Stopwatch,
    TimedProxy,
    log_in,
    make_core,
    new_request,
    openbao,
    progress,
)
from bot.core import enrolment, issuing, onboarding
from bot.core.context import Core
from bot.core.revocation import offboard
from bot.core.states import State
from bot.storage.engine import make_engine
from bot.storage.migrate import upgrade
from bot.storage.repository import SqlStore
from vault.accounts import VaultAccounts
from vault.layout import PENDING_MOUNT, TOTP_MOUNT, USERPASS_MOUNT, login_lease_prefix
from vault.setup import generate_secret_id

GOAL = 1.25
"""credbot may take at most this many times the raw hvac calls, per contractor."""

MANAGER = "UBENCHMGR"
APPROVER = "UBENCHAPR"
ADMIN = "UBENCHADM"
LINK_TTL = timedelta(hours=1)
RAW_RELOGIN_AFTER_S = 600.0
"""The bot's AppRole tokens live 20 minutes; the raw client logs in again well before."""


# -- measuring ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    """Per-contractor figures of one side, in milliseconds."""

    n: int
    mean_ms: float
    p50_ms: float
    p90_ms: float
    min_ms: float
    max_ms: float

    @classmethod
    def of(cls, samples_ns: Sequence[int]) -> Summary:
        ms = [s / 1e6 for s in samples_ns]
        p90 = statistics.quantiles(ms, n=10, method="inclusive")[8] if len(ms) > 1 else ms[0]
        return cls(
            n=len(ms),
            mean_ms=statistics.fmean(ms),
            p50_ms=statistics.median(ms),
            p90_ms=p90,
            min_ms=min(ms),
            max_ms=max(ms),
        )


@dataclass
class Samples:
    """Raw per-contractor timings collected over every round."""

    credbot_ns: list[int] = field(default_factory=list)
    raw_ns: list[int] = field(default_factory=list)
    store_ns: list[int] = field(default_factory=list)
    store_calls: list[int] = field(default_factory=list)
    vault_ns: list[int] = field(default_factory=list)
    store_by_method: dict[str, list[int]] = field(default_factory=dict)
    """``[calls, ns]`` per store method, summed over every timed ``offboard``."""


# -- the environment -------------------------------------------------------------------------


@dataclass
class Bench:
    """Everything both sides run against: one OpenBao, one database, two bot clients."""

    addr: str
    core: Core
    accounts: VaultAccounts
    raw: RawClient
    store_watch: Stopwatch
    vault_watch: Stopwatch


@contextmanager
def bench_environment(workdir: Path) -> Iterator[Bench]:
    """Start OpenBao, initialise it, log the bot in through AppRole, migrate a SQLite file;
    stop the server afterwards."""
    with openbao(workdir) as bao:
        # As tests/support/openbao.py: a fresh SecretID, then an AppRole login, so credbot
        # holds a token with the credbot-bot policy only.
        accounts = bao.bot_accounts()
        # The raw side gets its own SecretID and logs in with hvac's own AppRole call:
        # same role, same policy, its own HTTP session.
        raw_secret_id, _ = generate_secret_id(bao.root)
        raw = RawClient(bao.addr, role_id=bao.role_id, secret_id=raw_secret_id)

        url = f"sqlite:///{workdir / 'credbot.db'}"
        upgrade(url)
        engine = make_engine(url)
        store_watch, vault_watch = Stopwatch(), Stopwatch()
        core = make_core(
            TimedProxy(SqlStore(engine=engine), store_watch),
            TimedProxy(accounts, vault_watch),
        )
        try:
            yield Bench(
                addr=bao.addr,
                core=core,
                accounts=accounts,
                raw=raw,
                store_watch=store_watch,
                vault_watch=vault_watch,
            )
        finally:
            engine.dispose()


# -- preparing accounts ----------------------------------------------------------------------


def prepare_credbot_contractor(bench: Bench) -> str:
    """Request -> verify -> approve -> issue -> reveal -> confirm a TOTP code -> log in.

    Returns the id of a contractor that is ``active`` and holds one live login token.
    """
    core = bench.core
    request = new_request("revocation benchmark")
    contractor = onboarding.request_onboarding(core, request, requester=MANAGER)
    onboarding.verify(core, contractor.id, checks=[])
    onboarding.approve(core, contractor.id, approver=APPROVER)
    issued = issuing.issue(core, contractor.id, actor=APPROVER)
    link_secret = issued.url.rsplit("#", 1)[1]
    account = enrolment.reveal(core, link_secret, issued.code)
    active = enrolment.confirm_code(core, link_secret, pyotp.TOTP(account.totp_secret).now())
    if active.state is not State.ACTIVE:
        raise RuntimeError(f"contractor {active.id} is {active.state.value}, not active")
    log_in(bench.addr, account.username, account.password)
    return active.id


def prepare_raw_account(bench: Bench) -> str:
    """The same Vault state, made through ``VaultAccounts`` directly: issue, unwrap, check a
    TOTP code, activate with the role policy, log in. Returns the username."""
    accounts = bench.accounts
    username = issuing.new_username()
    issued = accounts.issue_account(username=username, wrap_ttl=LINK_TTL)
    account = accounts.unwrap_account(username=username, wrapping_token=issued.wrapping_token)
    if not accounts.check_totp(username=username, code=pyotp.TOTP(account.totp_secret).now()):
        raise RuntimeError(f"Vault refused the TOTP code of {username}")
    accounts.activate_account(username=username, role="reviewer")
    log_in(bench.addr, username, account.password)
    return username


# -- the raw side ------------------------------------------------------------------------------


class RawClient:
    """A plain ``hvac.Client`` logged in through AppRole, and the userpass mount's accessor."""

    def __init__(self, addr: str, *, role_id: str, secret_id: str) -> None:
        self.client = hvac.Client(url=addr)
        self._role_id = role_id
        self._secret_id = secret_id
        self._logged_in_at = 0.0
        self.ensure_login()
        # credbot reads ``GET sys/auth/credbot`` once and caches the accessor; so do we.
        auth = self.client.adapter.get(f"/v1/sys/auth/{USERPASS_MOUNT}")
        self.mount_accessor = str((auth.get("data") or auth)["accessor"])

    def ensure_login(self) -> None:
        """Log in again when the token is getting old (called outside the timed sections)."""
        if time.monotonic() - self._logged_in_at > RAW_RELOGIN_AFTER_S:
            self.client.auth.approle.login(role_id=self._role_id, secret_id=self._secret_id)
            self._logged_in_at = time.monotonic()


def _absent(call: Callable[[], object]) -> bool:
    """Run a read; ``True`` when Vault says there is nothing (404, or TOTP's 400 unknown key)."""
    try:
        call()
    except hvac.exceptions.InvalidPath:
        return True
    except hvac.exceptions.InvalidRequest as exc:
        if "unknown key" in str(exc).lower():
            return True
        raise
    return False


def _ignore_missing(call: Callable[[], object]) -> None:
    """Run a delete; "already gone" (404) is success, as in credbot."""
    with suppress(hvac.exceptions.InvalidPath):
        call()


def _lookup_entity(client: hvac.Client, username: str, accessor: str) -> dict[str, Any] | None:
    body = client.secrets.identity.lookup_entity(alias_name=username, alias_mount_accessor=accessor)
    data = body.get("data") if isinstance(body, dict) else None  # 204: no entity
    return data if isinstance(data, dict) else None


def raw_revoke(
    client: hvac.Client, username: str, *, mount_accessor: str, wrapping_accessor: str | None
) -> dict[str, Any]:
    """The HTTP calls of ``vault.revocation.revoke_account``, in its order, with plain hvac.

    1. ``POST identity/lookup/entity`` (alias name + mount accessor), then, if the entity
       exists and is enabled, ``POST identity/entity/id/{id}`` with ``{"disabled": true}``;
    2. ``DELETE auth/credbot/users/{u}``;
    3. ``POST sys/leases/revoke-prefix/auth/credbot/login/{u}`` with ``{"sync": true}``
       (via the adapter: hvac's ``sys.revoke_prefix`` sends PUT without ``sync``);
    4. ``DELETE credbot-totp/keys/{u}`` (hvac has no TOTP engine API: via the adapter) and
       ``DELETE credbot-pending/metadata/{u}``;
    5. ``POST auth/token/revoke-accessor``, only when a wrapping accessor is given (credbot
       passes one only for an unclaimed link, so never for an active contractor);
    then the read-back of ``vault.revocation.read_revocation_proof``:
    ``POST identity/lookup/entity``, ``GET auth/credbot/users/{u}``,
    ``GET credbot-totp/keys/{u}``, ``LIST sys/leases/lookup/auth/credbot/login/{u}/``.
    Nothing else: no name checks, no error translation, no logging.
    """
    prefix = login_lease_prefix(username)
    entity = _lookup_entity(client, username, mount_accessor)
    if entity is not None and not entity.get("disabled"):
        client.secrets.identity.update_entity(entity_id=entity["id"], disabled=True)
    _ignore_missing(lambda: client.auth.userpass.delete_user(username, mount_point=USERPASS_MOUNT))
    client.adapter.post(f"/v1/sys/leases/revoke-prefix/{prefix}", json={"sync": True})
    _ignore_missing(lambda: client.adapter.delete(f"/v1/{TOTP_MOUNT}/keys/{username}"))
    _ignore_missing(
        lambda: client.secrets.kv.v2.delete_metadata_and_all_versions(
            username, mount_point=PENDING_MOUNT
        )
    )
    if wrapping_accessor:
        # Already used or expired: Vault answers 400, OpenBao 200 with a warning.
        with suppress(hvac.exceptions.InvalidRequest, hvac.exceptions.InvalidPath):
            client.auth.token.revoke_accessor(wrapping_accessor)

    entity = _lookup_entity(client, username, mount_accessor)
    user_absent = _absent(
        lambda: client.auth.userpass.read_user(username, mount_point=USERPASS_MOUNT)
    )
    key_absent = _absent(lambda: client.adapter.get(f"/v1/{TOTP_MOUNT}/keys/{username}"))
    try:
        leases = client.sys.list_leases(f"{prefix}/")
        live = len((leases.get("data") or {}).get("keys") or [])
    except hvac.exceptions.InvalidPath:
        live = 0
    return {
        "user_absent": user_absent,
        "totp_key_absent": key_absent,
        "live_leases": live,
        "entity_disabled": None if entity is None else bool(entity.get("disabled")),
    }


def raw_proof_complete(proof: dict[str, Any]) -> bool:
    """The same rule as ``RevocationProof.complete``."""
    return bool(
        proof["user_absent"]
        and proof["totp_key_absent"]
        and proof["live_leases"] == 0
        and proof["entity_disabled"] is not False
    )


# -- one round ---------------------------------------------------------------------------------


def time_credbot(bench: Bench, contractor_id: str, samples: Samples) -> None:
    bench.store_watch.reset(everything=True)
    bench.vault_watch.reset()
    start = time.perf_counter_ns()
    revoked = offboard(bench.core, contractor_id, actor=ADMIN, reason="benchmark")
    elapsed = time.perf_counter_ns() - start
    if revoked.state is not State.REVOKED:
        raise RuntimeError(f"contractor {contractor_id} ended {revoked.state.value}")
    samples.credbot_ns.append(elapsed)
    samples.store_ns.append(bench.store_watch.total_ns)
    samples.store_calls.append(bench.store_watch.calls)
    for method, (calls, ns) in bench.store_watch.by_method.items():
        count_and_time = samples.store_by_method.setdefault(method, [0, 0])
        count_and_time[0] += calls
        count_and_time[1] += ns
    samples.vault_ns.append(bench.vault_watch.total_ns)


def time_raw(bench: Bench, username: str, samples: Samples) -> None:
    bench.raw.ensure_login()
    start = time.perf_counter_ns()
    proof = raw_revoke(
        bench.raw.client,
        username,
        mount_accessor=bench.raw.mount_accessor,
        wrapping_accessor=None,  # as credbot: the link was claimed, so no accessor is passed
    )
    elapsed = time.perf_counter_ns() - start
    if not raw_proof_complete(proof):
        raise RuntimeError(f"raw revocation of {username} incomplete: {proof}")
    samples.raw_ns.append(elapsed)


def run_round(bench: Bench, contractors: int, samples: Samples, *, round_no: int) -> None:
    progress(f"round {round_no}: preparing {contractors} credbot contractors")
    ids = [prepare_credbot_contractor(bench) for _ in range(contractors)]
    progress(f"round {round_no}: preparing {contractors} raw accounts")
    usernames = [prepare_raw_account(bench) for _ in range(contractors)]
    progress(f"round {round_no}: revoking, interleaved")
    for i, (contractor_id, username) in enumerate(zip(ids, usernames, strict=True)):
        if i % 2 == 0:
            time_credbot(bench, contractor_id, samples)
            time_raw(bench, username, samples)
        else:
            time_raw(bench, username, samples)
            time_credbot(bench, contractor_id, samples)


# -- report ------------------------------------------------------------------------------------


def build_report(samples: Samples, *, contractors: int, rounds: int) -> dict[str, Any]:
    credbot, raw = Summary.of(samples.credbot_ns), Summary.of(samples.raw_ns)
    store, vault = Summary.of(samples.store_ns), Summary.of(samples.vault_ns)
    other_ns = [
        total - db - v
        for total, db, v in zip(samples.credbot_ns, samples.store_ns, samples.vault_ns, strict=True)
    ]
    other = Summary.of(other_ns)
    ratio_mean = credbot.mean_ms / raw.mean_ms
    ratio_p50 = credbot.p50_ms / raw.p50_ms
    return {
        "benchmark": "revocation",
        "contractors": contractors,
        "rounds": rounds,
        "samples_per_side": credbot.n,
        "credbot": asdict(credbot),
        "raw_hvac": asdict(raw),
        "ratio_mean": ratio_mean,
        "ratio_p50": ratio_p50,
        "goal": GOAL,
        "goal_met": ratio_mean <= GOAL and ratio_p50 <= GOAL,
        "credbot_breakdown": {
            "store": asdict(store),
            "store_calls_per_contractor": statistics.fmean(samples.store_calls),
            "store_share_of_mean": store.mean_ms / credbot.mean_ms,
            "store_by_method": {
                method: {
                    "calls_per_contractor": calls / credbot.n,
                    "mean_ms_per_call": ns / calls / 1e6,
                    "ms_per_contractor": ns / credbot.n / 1e6,
                }
                for method, (calls, ns) in sorted(
                    samples.store_by_method.items(), key=lambda item: -item[1][1]
                )
            },
            "vault": asdict(vault),
            "vault_share_of_mean": vault.mean_ms / credbot.mean_ms,
            "vault_vs_raw_mean": vault.mean_ms / raw.mean_ms,
            "other": asdict(other),
        },
    }


def render(report: dict[str, Any]) -> str:
    credbot, raw = report["credbot"], report["raw_hvac"]
    parts = report["credbot_breakdown"]
    verdict = "MET" if report["goal_met"] else "NOT MET"

    def row(name: str, s: dict[str, float]) -> str:
        return (
            f"  {name:<24}{s['p50_ms']:>9.2f}{s['p90_ms']:>9.2f}{s['mean_ms']:>9.2f}"
            f"{s['min_ms']:>9.2f}{s['max_ms']:>9.2f}"
        )

    lines = [
        f"revocation per contractor: {report['contractors']} contractors x "
        f"{report['rounds']} round(s) = {report['samples_per_side']} samples per side (ms)",
        f"  {'':<24}{'p50':>9}{'p90':>9}{'mean':>9}{'min':>9}{'max':>9}",
        row("credbot offboard", credbot),
        row("raw hvac calls", raw),
        "",
        "inside credbot offboard:",
        row("database (core.store)", parts["store"]),
        row("vault (core.vault)", parts["vault"]),
        row("everything else", parts["other"]),
        f"  store calls per contractor: {parts['store_calls_per_contractor']:.1f}; "
        f"database {parts['store_share_of_mean']:.0%} and Vault "
        f"{parts['vault_share_of_mean']:.0%} of credbot's mean; "
        f"credbot's Vault part is {parts['vault_vs_raw_mean']:.2f}x the raw calls",
        "  database time by store method (per contractor):",
        *(
            f"    {method:<22}{m['calls_per_contractor']:>4.0f} call(s) "
            f"{m['ms_per_contractor']:>8.2f} ms ({m['mean_ms_per_call']:.2f} ms/call)"
            for method, m in parts["store_by_method"].items()
        ),
        "",
        f"ratio credbot/raw: mean {report['ratio_mean']:.2f}x, p50 {report['ratio_p50']:.2f}x",
        f"goal <= {report['goal']:.2f}x (both ratios): {verdict}",
    ]
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.revocation",
        description="Revocation time per contractor: credbot offboard vs the raw hvac calls.",
    )
    parser.add_argument(
        "--contractors", type=int, default=50, help="contractors per side per round (50)"
    )
    parser.add_argument("--rounds", type=int, default=1, help="prepare-and-revoke rounds (1)")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    args = parser.parse_args(argv)
    if args.contractors < 1 or args.rounds < 1:
        parser.error("--contractors and --rounds must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    samples = Samples()
    with (
        tempfile.TemporaryDirectory(prefix="credbot-bench-") as tmp,
        bench_environment(Path(tmp)) as bench,
    ):
        for round_no in range(1, args.rounds + 1):
            run_round(bench, args.contractors, samples, round_no=round_no)
    report = build_report(samples, contractors=args.contractors, rounds=args.rounds)
    print(json.dumps(report, indent=2) if args.json else render(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
