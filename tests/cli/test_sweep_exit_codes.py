"""``credbot sweep``'s exit code tells an alert what to do: 1, work is pending (look at the
problems); 4, Vault did not answer (fix Vault, the next run finishes). Either way the report
shows what was done."""

from __future__ import annotations

import json

import pytest

from bot.core import issuing, revocation
from bot.core.context import Core
from bot.core.errors import RevocationPending
from bot.core.states import State
from tests.support.cli import run
from tests.support.core import APPROVER, approved_contractor
from tests.support.openbao import OpenBaoServer
from vault.client import request


def test_a_sweep_that_vault_does_not_answer_exits_4_and_reports_the_rest(
    outage_core: Core, throwaway_openbao: OpenBaoServer, database_url: str
) -> None:
    root = throwaway_openbao.root_client()
    created = request(
        root,
        "POST",
        "auth/token/create",
        json={"policies": ["credbot-bot"], "no_default_policy": True, "ttl": "1h"},
    )
    env = {
        "VAULT_ADDR": throwaway_openbao.addr,
        "VAULT_TOKEN": (created or {})["auth"]["client_token"],  # logs in without Vault
        "CREDBOT_DATABASE_URL": database_url,
    }
    contractor = approved_contractor(outage_core)
    issuing.issue(outage_core, contractor.id, actor=APPROVER)
    throwaway_openbao.seal()
    with pytest.raises(RevocationPending):
        revocation.offboard(outage_core, contractor.id, actor="admin", reason="left")

    text = run(env, "sweep")
    assert text.exit_code == 4, text.output
    assert "finish_revo" in text.output and "pending" in text.output  # the table (narrow here)
    assert "Vault did not answer during this run" in text.output
    assert "1 revocation(s) still pending." in text.output
    report = json.loads(run(env, "sweep", "--json").stdout)
    assert report["vault_unreachable"] is True and report["all_done"] is False
    assert [(i["contractor_id"], i["outcome"]) for i in report["items"]] == [
        (contractor.id, "pending")
    ]

    throwaway_openbao.unseal()
    finished = run(env, "sweep")
    assert finished.exit_code == 0, finished.output
    assert outage_core.store.get_contractor(contractor.id).state is State.REVOKED
