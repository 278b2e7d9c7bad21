"""The attestation form's submission.

The attestation is stored *before* the ack, so a refusal (not an approver, the requester, the
contractor, a note that looks like more than a reference) shows inline and nothing is kept.
After the ack the checks run again (``bot.core.workflow.attestation``): the card says who
attested, the approval card follows when every check passed, and the manager hears the outcome.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App

from bot.core.errors import InvalidRequest
from bot.core.identity import attest_identity
from bot.core.roles import Role
from bot.core.workflow.attestation import recheck_after_attestation
from bot.slack import blocks, replies
from bot.slack.deps import Deps
from bot.slack.notifier import tell_user

log = logging.getLogger("credbot.slack.attestation")


def register(app: App, deps: Deps) -> None:
    """Listen to ``credbot_attest_identity`` submissions."""

    def submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        user_id = str(body.get("user", {}).get("id", ""))
        contractor_id, _, card = str(view.get("private_metadata", "")).partition("|")
        values = (view.get("state") or {}).get("values") or {}
        document_type = str(
            ((values.get("document_type") or {}).get("value") or {})
            .get("selected_option", {})
            .get("value", "")
        )
        note = str(((values.get("note") or {}).get("value") or {}).get("value") or "")
        try:
            deps.require(user_id, Role.APPROVER, action="attest identities")
            attest_identity(
                deps.core,
                contractor_id,
                attester=user_id,
                document_type=document_type,
                note=note,
            )
        except InvalidRequest as exc:
            field = exc.field if exc.field in blocks.ATTEST_FIELDS else "document_type"
            ack(response_action="errors", errors={field: replies.describe(exc)})
            return
        except Exception as exc:
            ack(response_action="errors", errors={"document_type": replies.describe(exc)})
            return
        ack()

        def work() -> None:
            try:
                recheck_after_attestation(
                    deps.core,
                    contractor_id,
                    attester=user_id,
                    document_type=document_type,
                    card=card,
                    checks=deps.checks,
                )
            except Exception as exc:
                tell_user(deps.client, user_id, replies.describe(exc))

        deps.later(work)

    app.view(blocks.ATTEST_VIEW)(submitted)
