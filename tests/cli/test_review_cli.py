"""``credbot sweep`` starts access reviews; ``credbot review status|export`` show the open ones
and the auditors' evidence, as an operator runs them (real OpenBao, both databases, the Slack
stand-in receiving the review DMs)."""

from __future__ import annotations

import csv
import io
import json

import pytest

from bot.core.context import Core
from bot.core.reviews import AccessReviews, Reviewer, answer
from bot.dev.slack_standin import SlackStandIn
from bot.slack.review_blocks import REVIEW_KEEP
from tests.support.cli import run
from tests.support.core import MANAGER
from tests.support.reviews import active
from tests.support.slack import populate, slack_env

REVIEWS_ON = {"CREDBOT_ACCESS_REVIEW_INTERVAL": "90d", "CREDBOT_ACCESS_REVIEW_GRACE": "14d"}


@pytest.mark.both_databases
def test_sweep_sends_reviews_and_the_cli_shows_and_exports_the_decisions(
    bot_env: dict[str, str],
    core: Core,
    access_reviews: AccessReviews,
    standin: SlackStandIn,
) -> None:
    populate(standin)
    env = {**bot_env, **slack_env(standin), **REVIEWS_ON}
    assert "no access review has started yet" in run(env, "review", "status").output
    contractor, _ = active(core)

    swept = run(env, "sweep")
    assert swept.exit_code == 0, swept.output
    assert "Access reviews: round 1 started; 1 sent, 0 reminded, 0 lapsed" in swept.output
    dms = standin.messages_to(standin.dm_channel(MANAGER))
    assert [REVIEW_KEEP in str(m.get("blocks")) for m in dms] == [True]
    assert run(env, "sweep").exit_code == 0 and len(standin.messages_to(dms[0]["channel"])) == 1

    status = run(env, "review", "status")
    assert status.exit_code == 0, status.output
    (review,) = access_reviews.store.reviews()
    assert "latest round 1" in status.output and "1 open review(s)" in status.output
    assert f"{review.id}  {contractor.display_name}" in status.output
    assert f"manager {MANAGER} must answer by" in status.output and "[sent]" in status.output

    answer(
        core,
        access_reviews,
        review.id,
        decision="keep",
        reviewer=Reviewer(user=MANAGER, is_manager=True, is_admin=False),
    )

    exported = run(env, "review", "export", "--format", "csv")
    assert exported.exit_code == 0, exported.output
    (row,) = list(csv.DictReader(io.StringIO(exported.output)))
    assert (row["id"], row["decision"], row["decided_by"]) == (review.id, "keep", MANAGER)
    assert row["contractor_id"] == contractor.id and row["decided_at"].startswith("20")
    as_json = run(env, "review", "export", "--format", "json", "--round", "1")
    assert json.loads(as_json.output)["decision"] == "keep"
    assert run(env, "review", "export", "--round", "2").output.strip().count("\n") == 0
    assert run(env, "review", "status", "--json").output == ""


def test_a_bad_export_format_is_a_usage_error(bot_env: dict[str, str]) -> None:
    result = run(bot_env, "review", "export", "--format", "xml")
    assert result.exit_code == 2 and "xml" in result.output
