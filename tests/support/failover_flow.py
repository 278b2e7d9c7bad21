"""One contractor's way through credbot, driven as people drive it, while machines die.

The manager types ``/contractor onboard``, an approver checks the ID and approves (signed
Slack requests, as ``bot.dev.demo`` sends them), the contractor reveals the link and proves a
first login on the page (``tests.support.failover_page``), and every other contractor is
offboarded afterwards.

Every step knows what should follow it and what a person does when it does not come:
- a request whose replica died is sent to another (``World.send``);
- "Vault unavailable" answers are tried again half a second later;
- work a replica acknowledged and lost with the process is redone from the database's state:
  Approve again while the request still awaits approval, ``/contractor reissue`` once it is
  approved but no link came (the manager's documented retry), reissue when a reveal was lost
  (the link is claimed, its secrets went with the process), ``/contractor recheck`` when a
  request lost its card. Each is noted with its reason (``Flow.reissues``,
  ``Flow.issue_retries``) so the checks can tell a link asked for from one sent twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

from bot.core.models import Contractor
from bot.core.states import State
from bot.dev.slack_requests import view_submission
from bot.dev.slack_standin import Call
from bot.slack import blocks
from tests.support import failover_page
from tests.support.failover_world import World, buttons, settled
from tests.support.slack import AGENCY, APPROVAL_CHANNEL, APPROVER, ATTESTER, MANAGER
from vault.models import AccountSecrets

RETRY_S = 0.5
GRACE_S = 10.0
"""How long what a request started may still come from a live replica once it was answered
(an Approve whose answer was lost with its connection is carried out by another replica)."""


@dataclass
class Flow:
    """One contractor (``slack_user``); ``offboard_after`` enrolment or kept on."""

    world: World
    slack_user: str
    offboard_after: bool
    reissues: list[str] = field(default_factory=list)
    """Why each link after the first was asked for."""
    issue_retries: list[str] = field(default_factory=list)
    """Why the first link had to be asked for again (its issue failed or was lost)."""
    saved: AccountSecrets | None = None
    """What the contractor saved from the page: username, password, TOTP seed."""
    active_at: float | None = None

    @property
    def name(self) -> str:
        return self.slack_user

    @property
    def email(self) -> str:
        return f"{self.slack_user.lower()}@{AGENCY}"

    def run(self) -> None:
        """The whole way; raises if a step cannot be completed the way a person would."""
        self.onboard()
        self.attest()
        self.approve()
        self.saved = failover_page.enrol(self)
        self.active_at = time.monotonic()
        if self.offboard_after:
            self.offboard()

    # --- the manager asks, an approver checks the ID

    def onboard(self) -> None:
        end = (date.today() + timedelta(days=90)).isoformat()
        text = f"onboard <@{self.slack_user}|{self.name}> country=DE end={end} role=reviewer why"
        while not self._try_onboard(text):
            pass

    def _try_onboard(self, text: str) -> bool:
        sent = self.world.command(self.name, "onboard", text, user=MANAGER)
        if self.world.follows(sent, self._has_card(blocks.ATTEST), "the ID-check card"):
            return True
        reply = self.world.reply(sent)
        if self.world.record(self.slack_user) is None:
            self.world.note(self.name, "onboard", reply, "asked again")
            return False
        assert "already has a live" in reply or "lost with" in reply, reply
        if not settled(self._has_card(blocks.ATTEST), GRACE_S):
            self.world.note(self.name, "onboard", f"stored, no card ({reply})", "recheck")
            self.recheck()
        return True

    def attest(self) -> None:
        while self._card(blocks.APPROVE) is None:
            record = self._record()
            card = self._card(blocks.ATTEST)
            if record.state is not State.VERIFYING or card is None:
                self.world.note(self.name, "attest", f"{record.state.value}, no card", "recheck")
                self.recheck()
            else:
                self._try_attest(card, record.id)

    def _try_attest(self, card: Call, contractor_id: str) -> None:
        """Click "I checked their ID", then submit the form Slack opens."""
        forms = len(self._forms(contractor_id))
        sent = self.world.click(self.name, "attest", card, blocks.ATTEST, user=ATTESTER)
        if not self.world.follows(
            sent, lambda: len(self._forms(contractor_id)) > forms, "the ID form"
        ):
            self.world.note(self.name, "attest", self.world.reply(sent), "clicked again")
            return
        form = self._forms(contractor_id)[-1]
        replica = self.world.slack(
            self.name, "attest", lambda slack: slack.interact(_attestation(form))
        )
        if not self.world.wait(self._has_card(blocks.APPROVE), replica, "the approval card"):
            self.world.note(self.name, "attest", f"lost with {replica.name}", "checked again")

    def recheck(self) -> None:
        """``/contractor recheck``: the card the request waits on is posted again."""
        text = f"recheck <@{self.slack_user}>"
        while True:
            sent = self.world.command(self.name, "recheck", text, user=MANAGER)
            self.world.follows(sent, lambda: False, "the recheck's answer")
            if self.world.responses(sent.response_url):
                return
            self.world.note(self.name, "recheck", self.world.reply(sent), "recheck again")

    # --- approval and the link

    def approve(self) -> None:
        """Approve until a link comes; an issue that failed or was lost is reissued."""
        while not self._try_approve():
            pass

    def _try_approve(self) -> bool:
        started = time.monotonic()
        card = self._card(blocks.APPROVE)
        assert card is not None
        failures = len(self._issue_failures())

        def failed() -> bool:
            return len(self._issue_failures()) > failures

        sent = self.world.click(self.name, "approve", card, blocks.APPROVE, user=APPROVER)
        self.world.follows(sent, lambda: bool(self.links()) or failed(), "the link DM")
        answered = bool(self.world.responses(sent.response_url))
        if settled(lambda: bool(self.links()), GRACE_S if answered and not failed() else 0):
            self.world.succeeded("issue", started)
            return True
        if failed():
            self.world.note(self.name, "approve", self._issue_failures()[-1], "reissue")
            self.reissue("the issue after approval failed")
            return True
        if self._record().state is State.AWAITING_APPROVAL:
            self.world.note(self.name, "approve", self.world.reply(sent), "Approve again")
            return False
        lost = f"approved, no link ({self.world.reply(sent)})"
        self.world.note(self.name, "approve", lost, "reissue")
        self.reissue("the issue after approval was lost with a replica")
        return True

    def reissue(self, why: str) -> None:
        """``/contractor reissue`` by the manager until a new link is DMed."""
        while not self._try_reissue(why):
            time.sleep(RETRY_S)

    def _try_reissue(self, why: str) -> bool:
        started = time.monotonic()
        before = len(self.links())
        text = f"reissue <@{self.slack_user}>"
        sent = self.world.command(self.name, "reissue", text, user=MANAGER)
        if self.world.follows(sent, lambda: len(self.links()) > before, "the new link"):
            (self.reissues if before else self.issue_retries).append(why)
            self.world.succeeded("issue", started)
            return True
        self.world.note(self.name, "reissue", self.world.reply(sent), "reissue again")
        return False

    def links(self) -> list[tuple[str, str]]:
        """(link secret, confirmation code) of every link DM the contractor got, in order."""
        dm = self.world.standin.dm_channel(self.slack_user)
        return [
            _link_and_code(str(call.args.get("text", "")))
            for call in self.world.posted(lambda c: c.args.get("channel") == dm)
            if "/enroll#" in str(call.args.get("text", ""))
        ]

    # --- offboarding

    def offboard(self) -> None:
        """``/contractor offboard`` until the reply says Vault confirmed the revocation."""
        while not self._try_offboard():
            time.sleep(RETRY_S)

    def _try_offboard(self) -> bool:
        started = time.monotonic()
        text = f"offboard <@{self.slack_user}> failover test"
        sent = self.world.command(self.name, "offboard", text, user=MANAGER)
        self.world.follows(sent, lambda: False, "the offboard's answer")
        reply = self.world.reply(sent)
        if "Vault confirmed" in reply:
            self.world.succeeded("offboard", started)
            return True
        self.world.note(self.name, "offboard", reply, "offboard again")
        return False

    # --- what the flow looks at

    def _record(self) -> Contractor:
        record = self.world.record(self.slack_user)
        assert record is not None, f"{self.name} has no record"
        return record

    def _card(self, action_id: str) -> Call | None:
        """The newest card with ``action_id`` for the contractor (ID check or approval)."""
        record = self.world.record(self.slack_user)
        if record is None:
            return None
        cards = self.world.posted(
            lambda c: (
                c.args.get("channel") == APPROVAL_CHANNEL and buttons(c).get(action_id) == record.id
            )
        )
        return cards[-1] if cards else None

    def _has_card(self, action_id: str) -> Callable[[], bool]:
        return lambda: self._card(action_id) is not None

    def _forms(self, contractor_id: str) -> list[dict[str, Any]]:
        return [
            call.args["view"]
            for call in self.world.standin.calls("views.open")
            if str(call.args.get("view", {}).get("private_metadata", "")).startswith(contractor_id)
        ]

    def _issue_failures(self) -> list[str]:
        """The manager's DMs saying this contractor's issue failed."""
        dm = self.world.standin.dm_channel(MANAGER)
        marker = f"<@{self.slack_user}> issue failed"
        return [
            str(call.args.get("text", ""))
            for call in self.world.posted(lambda c: c.args.get("channel") == dm)
            if marker in str(call.args.get("text", ""))
        ]


def _attestation(form: dict[str, Any]) -> dict[str, Any]:
    return view_submission(
        user_id=ATTESTER,
        callback_id=blocks.ATTEST_VIEW,
        private_metadata=str(form["private_metadata"]),
        values={
            "document_type": {"type": "static_select", "selected_option": {"value": "passport"}},
            "note": {"type": "plain_text_input", "value": "call-failover"},
        },
    )


def _link_and_code(text: str) -> tuple[str, str]:
    words = text.replace("*", " ").split()
    url = next(word for word in words if "/enroll#" in word)
    return urlsplit(url).fragment, words[words.index("code:") + 1]
