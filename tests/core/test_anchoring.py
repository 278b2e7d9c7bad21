"""The audit chain anchored in Vault: what a database writer can no longer hide.

Each test runs against its own OpenBao (the anchor is one per Vault) and a real database, the
bot signing with its own AppRole token; the tampering is raw SQL (``tests.support.tamper``).
"""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from bot.core import onboarding
from bot.core.anchoring import anchor_chain, anchor_fields, anchor_message, check_trail
from bot.core.audit import verify_chain
from bot.core.context import Core
from bot.core.errors import AnchorRefused, ChainDisagrees
from bot.core.models import SignedAnchor
from bot.core.scheduler import PeriodicAnchor
from bot.core.sweep import SweepOptions, sweep
from tests.support.core import MANAGER, request_for
from tests.support.notifier import RecordingNotifier
from tests.support.openbao import OpenBaoServer
from tests.support.tamper import alter, grow, remove_newest, rewrite_and_rehash
from vault.anchors import VaultAnchors
from vault.client import request
from vault.errors import VaultUnavailable
from vault.transit import sign_data


def stored_anchor(core: Core) -> dict[str, Any] | None:
    assert core.anchors is not None
    stored = core.anchors.read_anchor()
    return stored[0] if stored else None


def test_the_newest_event_is_signed_and_published(
    anchored_core: Core, notifier: RecordingNotifier
) -> None:
    newest = grow(anchored_core, 3)
    anchor = anchor_chain(anchored_core)
    assert anchor is not None and anchor.seq == newest
    assert anchor.hash == list(anchored_core.store.audit_events())[-1].hash
    assert stored_anchor(anchored_core) == anchor_fields(anchor)
    assert notifier.anchors == [anchor]

    assert anchor_chain(anchored_core) == anchor, "nothing new: nothing signed, nothing posted"
    assert notifier.anchors == [anchor]
    trail = check_trail(anchored_core)
    assert trail.intact and trail.lag == 0


def test_a_truncated_tail_is_named(anchored_core: Core, database_url: str) -> None:
    grow(anchored_core, 6)
    anchor = anchor_chain(anchored_core)
    remove_newest(database_url, 2)
    assert verify_chain(anchored_core.store.audit_events()) == [], "the finding: chain alone"

    trail = check_trail(anchored_core)
    assert not trail.intact
    assert trail.anchor_problem == (
        "the newest 2 events are missing: anchor at seq 6, database ends at 4"
    )
    with pytest.raises(ChainDisagrees, match="the newest 2 events are missing"):
        anchor_chain(anchored_core)

    grow(anchored_core, 3)  # new events over the gap do not paper over it
    with pytest.raises(ChainDisagrees, match="event 6's hash differs from the signed anchor"):
        anchor_chain(anchored_core)
    assert stored_anchor(anchored_core) == anchor_fields(anchor or pytest.fail())
    assert check_trail(anchored_core).anchor_problem == (
        "event 6's hash differs from the signed anchor: the chain was rewritten"
    )


def test_a_rewritten_and_rehashed_chain_is_named(anchored_core: Core, database_url: str) -> None:
    grow(anchored_core, 6)
    anchor_chain(anchored_core)
    rewrite_and_rehash(anchored_core, database_url, seq=2, reason="nothing happened")
    assert verify_chain(anchored_core.store.audit_events()) == [], "the finding: chain alone"

    trail = check_trail(anchored_core)
    assert trail.anchor_problem == (
        "event 6's hash differs from the signed anchor: the chain was rewritten"
    )
    with pytest.raises(ChainDisagrees):
        anchor_chain(anchored_core)


def test_a_broken_chain_is_never_signed(anchored_core: Core, database_url: str) -> None:
    grow(anchored_core, 4)
    alter(database_url, 2, "edited")
    with pytest.raises(ChainDisagrees, match="event #2: content does not match its hash"):
        anchor_chain(anchored_core)
    assert stored_anchor(anchored_core) is None


def forge(
    core: Core, server: OpenBaoServer, how: str, database_url: str
) -> tuple[dict[str, Any], str]:
    """Truncate the tail, then store an anchor claiming the shorter chain, as someone who can
    write Vault's KV but does not have the anchor key would; return it and the expected
    refusal."""
    real = anchor_chain(core) or pytest.fail("nothing anchored")
    remove_newest(database_url, 2)
    head = list(core.store.audit_events())[-1]
    root = server.root_client()
    message = anchor_message(head.seq, head.hash, real.signed_at)
    if how == "another key":
        request(root, "POST", "credbot-transit/keys/forger", json={"type": "ed25519"})
        signature = sign_data(root, "forger", message)
    elif how == "the real signature of another head":
        signature = real.signature
    else:
        signature = "vault:v1:" + "A" * 88
    forged = anchor_fields(SignedAnchor(head.seq, head.hash, signature, real.signed_at))
    request(
        root,
        "POST",
        "credbot-audit/data/anchor",
        json={"data": forged, "options": {"cas": 1}},
    )
    return forged, f"its signature does not verify (it claims event #{head.seq})"


@pytest.mark.parametrize(
    "how", ["another key", "the real signature of another head", "a made-up signature"]
)
def test_an_anchor_whose_signature_does_not_verify_is_refused(
    anchored_core: Core, throwaway_openbao: OpenBaoServer, database_url: str, how: str
) -> None:
    grow(anchored_core, 6)
    forged, why = forge(anchored_core, throwaway_openbao, how, database_url)

    trail = check_trail(anchored_core)
    assert trail.anchor is None and not trail.intact
    assert trail.anchor_problem == f"the signed audit anchor is refused: {why}"
    with pytest.raises(AnchorRefused, match="does not verify"):
        anchor_chain(anchored_core)
    assert stored_anchor(anchored_core) == forged, "nothing is built on a refused anchor"


def test_a_malformed_anchor_is_refused(
    anchored_core: Core, throwaway_openbao: OpenBaoServer
) -> None:
    grow(anchored_core, 2)
    body = {"data": {"seq": "2", "hash": "x"}, "options": {"cas": 0}}
    request(throwaway_openbao.root_client(), "POST", "credbot-audit/data/anchor", json=body)
    assert check_trail(anchored_core).anchor_problem == (
        "the signed audit anchor is refused: it is malformed"
    )


def test_the_anchor_lags_while_vault_is_down_and_catches_up(
    anchored_core: Core, throwaway_openbao: OpenBaoServer, notifier: RecordingNotifier
) -> None:
    core = anchored_core
    anchored = grow(core, 3)
    anchor_chain(core)
    throwaway_openbao.seal()

    onboarding.request_onboarding(core, request_for(), requester=MANAGER)  # commits all the same
    newest = grow(core, 2)
    with pytest.raises(VaultUnavailable):
        anchor_chain(core)
    PeriodicAnchor(core=core, interval=timedelta(hours=1)).run_once()  # logs, never raises
    throwaway_openbao.unseal()

    lagging = check_trail(core)
    assert lagging.intact and lagging.anchor is not None
    assert (lagging.anchor.seq, lagging.ends_at, lagging.lag) == (
        anchored,
        newest,
        newest - anchored,
    )
    report = sweep(core, SweepOptions(worker="catch-up"))
    assert report.all_done and report.anchored_seq == newest + 1, "its own event included"
    caught_up = check_trail(core)
    assert caught_up.intact and caught_up.lag == 0
    assert [a.seq for a in notifier.anchors] == [anchored, newest + 1]


@pytest.mark.both_databases  # a race between replicas
def test_replicas_anchoring_at_once_only_move_the_anchor_forward(
    anchored_core: Core, throwaway_openbao: OpenBaoServer
) -> None:
    replicas = [
        replace(anchored_core, anchors=VaultAnchors(client=throwaway_openbao.bot_login()))
        for _ in range(4)
    ]
    barrier = threading.Barrier(len(replicas))
    failures: list[BaseException] = []

    def work(core: Core) -> None:
        barrier.wait()
        try:
            for _ in range(5):
                grow(core, 1)
                anchor_chain(core)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(core,)) for core in replicas]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []

    root = throwaway_openbao.root_client()
    metadata = request(root, "GET", "credbot-audit/metadata/anchor") or {}
    versions = sorted(int(v) for v in metadata["data"]["versions"])
    seqs = [
        (request(root, "GET", "credbot-audit/data/anchor", params={"version": v}) or {})["data"][
            "data"
        ]["seq"]
        for v in versions
    ]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), "each version moved forward"
    final = anchor_chain(anchored_core)
    assert final is not None and final.seq == 20
    assert check_trail(anchored_core).intact
