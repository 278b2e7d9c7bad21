"""Data minimisation: a finished record keeps the person's data only for ``Policy.retention``.

Once a contractor has been ``revoked`` or ``rejected`` for longer than the retention period,
the sweep erases what identifies the person beyond their Slack user ID: email, name, the
manager's justification, the identity checks' results, attestation and service references,
the links, and the Slack departure events handled for them. What stays is what the audit
trail needs to keep making sense: the record's ID, Slack user ID, role, country, dates and
states, and the Vault usernames (random, never reused). The audit trail itself is never
rewritten (it is hash-chained); it holds no email or name to begin with.
"""

from __future__ import annotations

from dataclasses import replace

from bot.core.context import Core

ERASE_BATCH = 500
"""Records erased per transaction: a long backlog (a first run after years) never holds the
database for long."""


def erase_expired(core: Core, *, actor: str, dry_run: bool = False) -> int:
    """Erase the personal data of every record finished longer than the retention period;
    return how many records were (or, with ``dry_run``, would be) erased. Each erasure is
    audited as ``personal_data_erased`` in the transaction that does it."""
    before = core.clock.now() - core.policy.retention
    due = core.store.erasable(finished_before=before)
    if dry_run:
        return len(due)
    for start in range(0, len(due), ERASE_BATCH):
        batch = due[start : start + ERASE_BATCH]
        events = [
            replace(
                core.entry(actor=actor, action="personal_data_erased", reason="retention ended"),
                contractor_id=contractor_id,
            )
            for contractor_id in batch
        ]
        core.store.erase_personal_data(batch, finished_before=before, events=events)
    return len(due)
