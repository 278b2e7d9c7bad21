"""The audit chain anchored outside the database, so that a database writer cannot rewrite it.

The hash chain (``bot.core.audit``) shows a row changed in place, but whoever can write the
database can also delete the newest rows, or change a row and compute every hash after it
again: the chain still verifies. So credbot also signs the chain's head (the newest event's
``seq`` and ``hash``) with a key it can use but not export (Vault's transit engine), and keeps
the newest signed head, the *anchor*, where no database writer reaches (Vault's KV, with a copy
posted to the audit channel). ``check_trail`` then names a removed tail ("the newest N events
are missing") or a rewritten chain ("event S's hash differs from the signed anchor").

What keeps the anchor honest:
- It only moves forward, and only along the chain: before a new head is signed, the stored
  chain must still hold the anchored event with the anchored hash and run intact from there to
  the new head. A truncated or rewritten chain is never signed over; the old anchor stays as
  the proof.
- Replicas anchor concurrently: the anchor is written with check-and-set on the version read,
  and a writer that lost reads again and finds it moved (usually past its own head).
- Anchoring is never part of an append: changes commit without Vault, and anchoring runs after
  them (``bot.core.scheduler.PeriodicAnchor``, every sweep, CLI commands). While Vault is down the
  anchor lags; ``check_trail`` says by how many events, and the next run catches up.
- The anchor is read before the database, so an anchor another replica wrote meanwhile never
  names events the walk could not see.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.core.audit import GENESIS_HASH, ChainBreak, ChainWalk, canonical_time
from bot.core.context import Core
from bot.core.errors import AnchorRefused, ChainDisagrees
from bot.core.interfaces import AuditAnchors
from bot.core.models import AuditEvent, SignedAnchor

log = logging.getLogger("credbot.core.anchoring")

PURPOSE = b"credbot audit anchor v1"
"""The first line of every signed message, so that no signature the key might make for
anything else can pass as an anchor."""

WRITE_ATTEMPTS = 5
"""Check-and-set writes lost in a row before giving up: each loss means another replica moved
the anchor, so giving up leaves the job done by someone else."""

_HASH = re.compile(r"[0-9a-f]{64}")


def anchor_message(seq: int, hash_: str, signed_at: datetime) -> bytes:
    """The bytes signed for an anchor: the purpose, the head, and when it was signed."""
    return b"\n".join(
        (
            PURPOSE,
            f"seq={seq}".encode(),
            f"hash={hash_}".encode(),
            f"signed_at={canonical_time(signed_at)}".encode(),
        )
    )


def anchor_fields(anchor: SignedAnchor) -> dict[str, Any]:
    """The anchor as it is stored (and exported): JSON-ready."""
    return {
        "seq": anchor.seq,
        "hash": anchor.hash,
        "signature": anchor.signature,
        "signed_at": canonical_time(anchor.signed_at),
    }


def parse_anchor(fields: Mapping[str, Any]) -> SignedAnchor:
    """The stored fields as a ``SignedAnchor``; ``AnchorRefused`` when they are malformed."""
    seq, hash_, signature, at = (fields.get(k) for k in ("seq", "hash", "signature", "signed_at"))
    if (
        not isinstance(seq, int)
        or isinstance(seq, bool)
        or seq < 1
        or not isinstance(hash_, str)
        or not _HASH.fullmatch(hash_)
        or not isinstance(signature, str)
        or not isinstance(at, str)
    ):
        raise AnchorRefused("it is malformed")
    try:
        signed_at = datetime.strptime(at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    except ValueError:
        raise AnchorRefused("it is malformed") from None
    return SignedAnchor(seq=seq, hash=hash_, signature=signature, signed_at=signed_at)


def read_anchor(anchors: AuditAnchors) -> tuple[SignedAnchor, int] | None:
    """The newest stored anchor and its storage version, its signature checked by the key;
    ``None`` before the first anchor. Raises ``AnchorRefused`` for one credbot did not sign,
    and the ``vault.errors`` classes when Vault cannot answer."""
    stored = anchors.read_anchor()
    if stored is None:
        return None
    fields, version = stored
    anchor = parse_anchor(fields)
    message = anchor_message(anchor.seq, anchor.hash, anchor.signed_at)
    if not anchors.verify(message, anchor.signature):
        raise AnchorRefused(f"its signature does not verify (it claims event #{anchor.seq})")
    return anchor, version


@dataclass(frozen=True)
class TrailCheck:
    """What ``check_trail`` found: the chain's own breaks and how it compares with the anchor."""

    events: int
    ends_at: int
    """``seq`` of the newest stored event (0: none)."""
    breaks: list[ChainBreak]
    anchor: SignedAnchor | None
    """The newest anchor whose signature verified; ``None`` when there is none (or refused)."""
    anchor_problem: str | None
    """The stored chain disagrees with the anchor (tail missing, chain rewritten), or the
    stored anchor was refused."""

    @property
    def lag(self) -> int:
        """Newest events no anchor covers yet (anchoring runs after changes, and waits for
        Vault when it is down)."""
        return max(0, self.ends_at - (self.anchor.seq if self.anchor else 0))

    @property
    def intact(self) -> bool:
        """No break in the chain and no disagreement with the anchor (a lag is not one)."""
        return not self.breaks and self.anchor_problem is None


def check_trail(core: Core) -> TrailCheck:
    """Read the anchor, then walk the whole stored chain and compare (``credbot audit
    verify``). Raises the ``vault.errors`` classes when Vault cannot answer."""
    anchor: SignedAnchor | None = None
    problem: str | None = None
    if core.anchors is not None:
        try:
            stored = read_anchor(core.anchors)
        except AnchorRefused as exc:
            problem = str(exc)
        else:
            anchor = stored[0] if stored else None
    walk, anchored = _walk(core.store.audit_events(), anchor)
    ends_at = walk.last.seq if walk.last else 0
    if anchor is not None:
        problem = disagreement(anchor, anchored, ends_at)
    return TrailCheck(
        events=walk.count,
        ends_at=ends_at,
        breaks=walk.breaks,
        anchor=anchor,
        anchor_problem=problem,
    )


def anchor_chain(core: Core) -> SignedAnchor | None:
    """Sign the chain's newest event and make it the anchor, if it is newer than the anchor
    and the stored chain runs intact from the anchor to it; return the anchor in place
    afterwards (``None``: nothing to anchor, or ``core.anchors`` is not set).

    Raises ``AnchorRefused`` when the stored anchor is not credbot's, ``ChainDisagrees`` when
    the stored chain no longer extends it (or is broken after it), and the ``vault.errors``
    classes when Vault cannot answer (the anchor then lags until a later call).
    """
    anchors = core.anchors
    if anchors is None:
        return None
    current: SignedAnchor | None = None
    for _ in range(WRITE_ATTEMPTS):
        stored = read_anchor(anchors)
        current, version = stored if stored else (None, 0)
        head = _intact_head(core, current)
        if head is None or (current is not None and head.seq == current.seq):
            return current
        signed_at = core.clock.now()
        signature = anchors.sign(anchor_message(head.seq, head.hash, signed_at))
        anchor = SignedAnchor(head.seq, head.hash, signature, signed_at)
        if anchors.write_anchor(anchor_fields(anchor), version=version):
            log.info("audit chain anchored at event #%d", anchor.seq)
            core.notifier.publish_anchor(anchor)
            return anchor
    return current


def disagreement(anchor: SignedAnchor, anchored: AuditEvent | None, ends_at: int) -> str | None:
    """How the stored chain disagrees with ``anchor``, given the stored event at its ``seq``
    and the newest stored ``seq``; ``None`` when it holds the anchored event unchanged."""
    if ends_at < anchor.seq:
        missing = anchor.seq - ends_at
        return (
            f"the newest {missing} {'event is' if missing == 1 else 'events are'} missing: "
            f"anchor at seq {anchor.seq}, database ends at {ends_at}"
        )
    if anchored is None:
        return f"event {anchor.seq} is missing: the signed anchor names it"
    if anchored.hash != anchor.hash:
        return f"event {anchor.seq}'s hash differs from the signed anchor: the chain was rewritten"
    return None


def _intact_head(core: Core, anchor: SignedAnchor | None) -> AuditEvent | None:
    """The newest stored event, provided the chain runs intact from ``anchor`` (from the
    first event when there is none) to it; else ``ChainDisagrees``. Reads only from the
    anchor on, so anchoring after each change stays cheap however long the chain is."""
    if anchor is None:
        walk, anchored = _walk(core.store.audit_events(), None)
    else:
        walk, anchored = _walk(
            core.store.audit_events(after_seq=anchor.seq - 1),
            anchor,
            after_seq=anchor.seq - 1,
            after_hash=None,
        )
        newest = walk.last or core.store.last_audit_event()
        problem = disagreement(anchor, anchored, newest.seq if newest else 0)
        if problem:
            raise ChainDisagrees(problem, anchor_seq=anchor.seq)
    if walk.breaks:
        first = walk.breaks[0]
        raise ChainDisagrees(
            f"event #{first.seq}: {first.problem}; the chain is not signed past the break",
            anchor_seq=anchor.seq if anchor else None,
        )
    return walk.last


def _walk(
    events: Iterable[AuditEvent],
    anchor: SignedAnchor | None,
    *,
    after_seq: int = 0,
    after_hash: str | None = GENESIS_HASH,
) -> tuple[ChainWalk, AuditEvent | None]:
    """Walk ``events``; return the walk and the stored event at the anchor's ``seq``."""
    walk = ChainWalk(after_seq=after_seq, after_hash=after_hash)
    anchored: AuditEvent | None = None
    for event in events:
        walk.add(event)
        if anchor is not None and event.seq == anchor.seq:
            anchored = event
    return walk, anchored
