"""``credbot audit verify`` against the signed anchor, and ``audit export --after-seq``: what an
admin reads after someone with write access to the database tampered with the trail."""

from __future__ import annotations

import json

import pytest

from bot.core.anchoring import anchor_chain
from bot.core.context import Core
from tests.support.cli import run
from tests.support.openbao import OpenBaoServer
from tests.support.tamper import grow, remove_newest, rewrite_and_rehash
from vault.client import request
from vault.setup import generate_secret_id, read_role_id


@pytest.fixture
def env(throwaway_openbao: OpenBaoServer, database_url: str, anchored_core: Core) -> dict[str, str]:
    """The bot's settings on the anchored core's own OpenBao and database."""
    root = throwaway_openbao.root_client()
    secret_id, _ = generate_secret_id(root)
    return {
        "VAULT_ADDR": throwaway_openbao.addr,
        "VAULT_ROLE_ID": read_role_id(root),
        "VAULT_SECRET_ID": secret_id,
        "CREDBOT_DATABASE_URL": database_url,
    }


def test_verify_names_a_truncated_tail(
    env: dict[str, str], anchored_core: Core, database_url: str
) -> None:
    grow(anchored_core, 6)
    anchor_chain(anchored_core)
    assert "is the newest event" in run(env, "audit", "verify").output

    remove_newest(database_url, 2)
    result = run(env, "audit", "verify")
    assert result.exit_code == 1
    assert "the newest 2 events are missing: anchor at seq 6, database ends at 4" in result.output
    assert "audit chain intact" not in result.output


def test_verify_names_a_rewritten_chain(
    env: dict[str, str], anchored_core: Core, database_url: str
) -> None:
    grow(anchored_core, 5)
    anchor_chain(anchored_core)
    rewrite_and_rehash(anchored_core, database_url, seq=3, reason="routine")
    result = run(env, "audit", "verify")
    assert result.exit_code == 1
    assert "event 5's hash differs from the signed anchor" in result.output


def test_verify_refuses_an_anchor_it_cannot_verify(
    env: dict[str, str], anchored_core: Core, throwaway_openbao: OpenBaoServer
) -> None:
    grow(anchored_core, 3)
    anchor_chain(anchored_core)
    root = throwaway_openbao.root_client()
    body = request(root, "GET", "credbot-audit/data/anchor") or {}
    forged = {**body["data"]["data"], "seq": 2}
    request(root, "POST", "credbot-audit/data/anchor", json={"data": forged, "options": {"cas": 1}})
    result = run(env, "audit", "verify")
    assert result.exit_code == 1
    assert "the signed audit anchor is refused: its signature does not verify" in result.output


def test_verify_says_how_far_the_anchor_lags(env: dict[str, str], anchored_core: Core) -> None:
    grow(anchored_core, 4)
    anchor_chain(anchored_core)
    grow(anchored_core, 3)
    result = run(env, "audit", "verify")
    assert result.exit_code == 0, result.output
    assert "audit chain intact: 7 events" in result.output
    assert (
        "anchoring lags: the newest 3 events are not anchored yet "
        "(anchor at seq 4, database ends at 7)" in result.output
    )

    swept = run(env, "sweep")  # the catch-up
    assert "Audit trail anchored in Vault at event #8." in swept.output
    assert "is the newest event" in run(env, "audit", "verify").output


def test_export_after_seq_ships_only_what_is_new(env: dict[str, str], anchored_core: Core) -> None:
    grow(anchored_core, 5)
    result = run(env, "audit", "export", "--after-seq", "3")
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.output.splitlines()]
    assert [r["seq"] for r in records] == [4, 5]
    assert records[0]["prev_hash"] == next(
        e.hash for e in anchored_core.store.audit_events() if e.seq == 3
    )
    assert run(env, "audit", "export", "--after-seq", "5").output == ""
    refused = run(env, "audit", "export", "--after-seq", "-1")
    assert refused.exit_code == 2
