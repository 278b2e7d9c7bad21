"""Fixtures for the Slack door: the real app served by uvicorn, signed requests, and the
recording stand-in of Slack's Web API (``bot.dev.slack_standin``).

``slack_world`` wires exactly what ``bot.wiring.build_slack`` wires (the same ``WebClient``
with its retry handlers, ``SlackNotifier``, ``build_slack_app``, ``build_web_app``), but on the
test store (SQLite and PostgreSQL) and the shared OpenBao, with a frozen core clock.
"""

from __future__ import annotations

import time
from collections.abc import Generator, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from slack_bolt import App

from bot import wiring
from bot.config import Settings, load_settings
from bot.core.agencies import AgencyCutoffs
from bot.core.clock import FrozenClock
from bot.core.context import Core, Policy
from bot.core.interfaces import Leases, VaultBackend
from bot.core.models import Contractor
from bot.core.reviews import AccessReviews
from bot.core.stores import Store
from bot.dev.server import BackgroundServer
from bot.dev.slack_requests import Reply, SignedSlack, block_action, view_submission
from bot.dev.slack_standin import Call, SlackStandIn
from bot.slack import blocks
from bot.slack.app import build_deps, build_slack_app
from bot.slack.deps import Deps
from bot.slack.notifier import SlackNotifier
from bot.slack.verification import SeenRequests
from bot.web.app import build_web_app

SECRET = "8f14e45fceea167a5a36dedd4bea2543"
MANAGER = "UMANAGER1"
MANAGER2 = "UMANAGER2"
APPROVER = "UAPPROVER1"
APPROVER2 = "UAPPROVER2"
GROUP_APPROVER = "UAPPROVER3"
ADMIN = "UADMIN1"
MANAGER_APPROVER = "UMGRAPPR01"
"""Both a manager and an approver: may approve others' requests, never their own."""
OUTSIDER = "UOUTSIDER1"
CONTRACTOR = "UCONTR0001"
BOT_USER = "UBOTUSER01"
DELETED = "UDELETED01"
NO_EMAIL = "UNOEMAIL01"
APPROVAL_CHANNEL = "CAPPROVALS"
AUDIT_CHANNEL = "CAUDIT0001"
APPROVER_GROUP = "SAPPROVERS"
PUBLIC_URL = "https://credbot.test"
ALLOWED_COUNTRIES = "DE,FR,NL,PT"
AGENCY = "agency.example"
ATTESTER = APPROVER2
"""Who checks IDs in ``onboard``: an approver who is neither requester nor contractor."""


def slack_env(standin: SlackStandIn) -> dict[str, str]:
    """The Slack settings of the workspace the tests play in, as environment variables."""
    return {
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": standin.api_url,
        "CREDBOT_PUBLIC_URL": PUBLIC_URL,
        "CREDBOT_MANAGERS": f"{MANAGER},{MANAGER2},{MANAGER_APPROVER}",
        "CREDBOT_APPROVERS": f"{APPROVER},{APPROVER2},{APPROVER_GROUP},{MANAGER_APPROVER}",
        "CREDBOT_ADMINS": ADMIN,
        "CREDBOT_APPROVAL_CHANNEL": APPROVAL_CHANNEL,
        "CREDBOT_AUDIT_CHANNEL": AUDIT_CHANNEL,
        "CREDBOT_ALLOWED_COUNTRIES": ALLOWED_COUNTRIES,
        "CREDBOT_ALLOWED_EMAIL_DOMAINS": AGENCY,
    }


def slack_settings(standin: SlackStandIn, **overrides: str) -> Settings:
    """The workspace's settings; ``overrides`` (environment names) on top."""
    return load_settings({**slack_env(standin), **overrides})


def populate(standin: SlackStandIn) -> None:
    """The workspace the tests play in."""
    for user in (
        MANAGER,
        MANAGER2,
        MANAGER_APPROVER,
        APPROVER,
        APPROVER2,
        GROUP_APPROVER,
        ADMIN,
        OUTSIDER,
    ):
        standin.add_user(user, email=f"{user.lower()}@corp.example")
    standin.add_user(CONTRACTOR, name="Ana Contractor", email="ana@agency.example")
    standin.add_user(BOT_USER, name="Some Bot", email="bot@corp.example", is_bot=True)
    standin.add_user(DELETED, name="Gone", email="gone@agency.example", deleted=True)
    standin.add_user(NO_EMAIL, name="No Mail")
    standin.groups[APPROVER_GROUP] = [GROUP_APPROVER]


@dataclass
class SlackWorld:
    """The running app and everything around it."""

    core: Core
    clock: FrozenClock
    standin: SlackStandIn
    slack: SignedSlack
    server: BackgroundServer

    # --- what people do

    def command(self, text: str, *, user: str = MANAGER) -> tuple[Reply, str]:
        """Type ``/contractor text``; return the HTTP reply and the ``response_url``."""
        response_url = self.standin.response_url()
        reply = self.slack.command(text, user_id=user, response_url=response_url)
        return reply, response_url

    def command_reply(self, text: str, *, user: str = MANAGER, timeout: float = 15) -> str:
        """Type a command that answers after the ack; return what it posts to response_url."""
        reply, response_url = self.command(text, user=user)
        assert reply.status == 200, reply.text
        return str(self.response(response_url, timeout=timeout)["text"])

    def response(self, response_url: str, *, timeout: float = 15) -> dict[str, Any]:
        """The (last) message posted to ``response_url``."""
        return posted_to(self.standin, response_url, timeout=timeout)

    def onboard(
        self,
        contractor: str = CONTRACTOR,
        *,
        user: str = MANAGER,
        attest: bool = True,
        **fields: str,
    ) -> str:
        """The inline onboard; return the reply text. With ``attest``, an approver then checks
        the person's ID when the checks wait for it, so the approval card follows."""
        end = fields.pop("end", (date.today() + timedelta(days=90)).isoformat())
        args = {"country": "DE", "end": end, "role": "reviewer", **fields}
        text = " ".join(f"{k}={v}" for k, v in args.items())
        reply = self.command_reply(f"onboard <@{contractor}|ana> {text} Q1 review batch", user=user)
        if attest and "kyc_attestation: *waiting*" in reply:
            self.attest(self.verification_card(contractor))
            self.wait_state("awaiting_approval", contractor)
        return reply

    def verification_card(self, contractor: str = CONTRACTOR) -> Call:
        """The card asking an approver to check ``contractor``'s ID."""
        record = self.contractor(contractor)
        assert record is not None, f"no request for {contractor}"

        def for_record(call: Call) -> bool:
            return call.method == "chat.postMessage" and _buttons(call).get(blocks.ATTEST) == (
                record.id
            )

        self.standin.wait_for(lambda calls: any(for_record(c) for c in calls), timeout=15)
        return next(c for c in self.standin.calls() if for_record(c))

    def attest(
        self,
        card: Call,
        *,
        user: str = ATTESTER,
        document_type: str = "passport",
        note: str = "",
    ) -> Reply:
        """Click "I checked their ID" on ``card`` and submit the form Slack opens."""
        opened = len(self.standin.calls("views.open"))
        reply, _ = self.click(blocks.ATTEST, user=user, card=card)
        assert reply.status == 200, reply.text
        form = self.standin.wait_for_call("views.open", count=opened + 1, timeout=15).args["view"]
        return self.submit_attestation(form, user=user, document_type=document_type, note=note)

    def submit_attestation(
        self, form: dict[str, Any], *, user: str, document_type: str, note: str = ""
    ) -> Reply:
        """Submit an attestation ``form`` (as ``views.open`` received it)."""
        payload = view_submission(
            user_id=user,
            callback_id=blocks.ATTEST_VIEW,
            private_metadata=str(form["private_metadata"]),
            values={
                "document_type": {
                    "type": "static_select",
                    "selected_option": {"value": document_type},
                },
                "note": {"type": "plain_text_input", "value": note or None},
            },
        )
        return self.slack.interact(payload)

    def card(self, count: int = 1) -> Call:
        """The ``count``-th approval card posted (the one with Approve / Reject)."""

        def approval_cards(calls: list[Call]) -> list[Call]:
            return [
                c for c in calls if c.method == "chat.postMessage" and blocks.APPROVE in _buttons(c)
            ]

        self.standin.wait_for(lambda calls: len(approval_cards(calls)) >= count, timeout=15)
        return approval_cards(self.standin.calls())[count - 1]

    def reject(self, *, user: str, reason: str, card: Call | None = None) -> Reply:
        """Click Reject on ``card`` (default: the first approval card) and submit the reason
        form Slack opens; return the form's answer."""
        opened = len(self.standin.calls("views.open"))
        reply, _ = self.click(blocks.REJECT, user=user, card=card)
        assert reply.status == 200, reply.text
        form = self.standin.wait_for_call("views.open", count=opened + 1, timeout=15).args["view"]
        payload = view_submission(
            user_id=user,
            callback_id=blocks.REJECT_VIEW,
            private_metadata=str(form["private_metadata"]),
            values={"reason": {"type": "plain_text_input", "value": reason}},
        )
        return self.slack.interact(payload)

    def card_update(self, count: int = 1, *, card: Call | None = None) -> Call:
        """The ``count``-th ``chat.update`` of ``card`` (default: the first approval card)."""
        ts = self.posted_ts(card or self.card())
        return self.standin.wait_for_call("chat.update", count=count, ts=ts, timeout=15)

    def click(self, action_id: str, *, user: str, card: Call | None = None) -> tuple[Reply, str]:
        """Click a button on ``card`` (default: the first approval card)."""
        card = card or self.card()
        contractor_id = card_contractor_id(card)
        response_url = self.standin.response_url()
        payload = block_action(
            user_id=user,
            action_id=action_id,
            value=contractor_id,
            channel=APPROVAL_CHANNEL,
            message_ts=self.posted_ts(card),
            response_url=response_url,
        )
        return self.slack.interact(payload), response_url

    def submit_onboard_form(self, *, user: str = MANAGER, **values: Any) -> Reply:
        """Submit the onboarding modal."""
        end = (date.today() + timedelta(days=90)).isoformat()
        fields: dict[str, dict[str, Any]] = {
            "contractor": {"type": "users_select", "selected_user": CONTRACTOR},
            "country": {"type": "plain_text_input", "value": "DE"},
            "end": {"type": "datepicker", "selected_date": end},
            "role": {
                "type": "static_select",
                "selected_option": {"value": "reviewer", "text": {"type": "plain_text"}},
            },
            "justification": {"type": "plain_text_input", "value": "Q1 review batch"},
        }
        fields.update(values)
        payload = view_submission(user_id=user, callback_id=blocks.ONBOARD_VIEW, values=fields)
        return self.slack.interact(payload)

    # --- what happened

    def posted_ts(self, call: Call) -> str:
        """The ``ts`` the stand-in answered for a ``chat.postMessage`` call."""
        return str(call.reply["ts"])

    def contractor(self, slack_user: str = CONTRACTOR) -> Contractor | None:
        return latest_contractor(self.core, slack_user)

    def dms_to(self, user: str) -> list[dict[str, Any]]:
        return self.standin.messages_to(self.standin.dm_channel(user))

    def wait_state(self, state: str, slack_user: str = CONTRACTOR, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            contractor = self.contractor(slack_user)
            if contractor is not None and contractor.state.value == state:
                return
            time.sleep(0.05)
        raise AssertionError(f"{slack_user} never became {state}: {self.contractor(slack_user)}")

    def audit_count(self) -> int:
        return sum(1 for _ in self.core.store.audit_events())


def posted_to(standin: SlackStandIn, response_url: str, *, timeout: float = 15) -> dict[str, Any]:
    """The (last) message the app posted to ``response_url``."""
    path = response_url.split("//", 1)[1].split("/", 1)[1]
    return standin.wait_for_call("respond", url=f"/{path}", timeout=timeout).args


def latest_contractor(core: Core, slack_user: str = CONTRACTOR) -> Contractor | None:
    """The newest record of ``slack_user``."""
    found = [c for c in core.store.list_contractors() if c.slack_user_id == slack_user]
    return found[-1] if found else None


def card_contractor_id(card: Call) -> str:
    """The contractor ID in a card's buttons."""
    values = set(_buttons(card).values())
    assert len(values) == 1, f"no buttons on this card: {card.args}"
    return values.pop()


def _buttons(call: Call) -> dict[str, str]:
    """A posted message's buttons: action ID -> value."""
    return {
        str(element.get("action_id")): str(element.get("value"))
        for block in call.args.get("blocks") or []
        if block.get("type") == "actions"
        for element in block.get("elements") or []
    }


def world_core(
    store: Store,
    vault: VaultBackend,
    standin: SlackStandIn,
    settings: Settings,
    *,
    leases: Leases,
    agencies: AgencyCutoffs | None = None,
    reviews: AccessReviews | None = None,
) -> tuple[Core, FrozenClock, App, Deps]:
    """The populated workspace, the core on a frozen clock, the Bolt app and what its
    listeners share, wired as ``bot.wiring.build_slack`` wires them (``agencies``, the
    database's cut-offs; ``reviews``: access reviews are on)."""
    populate(standin)
    client = wiring.build_slack_client(settings)
    clock = FrozenClock(datetime.now(UTC))
    core = Core(
        store=store,
        vault=vault,
        clock=clock,
        notifier=SlackNotifier(
            client=client,
            audit_channel=settings.audit_channel,
            admins=settings.admins,
            approval_channel=settings.approval_channel,
        ),
        policy=Policy(public_url=PUBLIC_URL, link_ttl=timedelta(hours=1)),
        agencies=agencies,
    )
    deps = replace(
        build_deps(core=core, settings=settings, client=client, leases=leases), reviews=reviews
    )
    app = build_slack_app(deps, settings=settings)
    return core, clock, app, deps


def make_world(
    store: Store,
    vault: VaultBackend,
    standin: SlackStandIn,
    seen: SeenRequests,
    agencies: AgencyCutoffs | None = None,
    *,
    leases: Leases,
    reviews: AccessReviews | None = None,
    overrides: Mapping[str, str] | None = None,
) -> Generator[SlackWorld, None, None]:
    """The world (one replica); ``overrides`` are settings (environment names) on top of the
    usual ones; ``reviews``: access reviews are on."""
    settings = slack_settings(standin, **(overrides or {}))
    core, clock, app, deps = world_core(
        store, vault, standin, settings, leases=leases, agencies=agencies, reviews=reviews
    )
    web = build_web_app(
        core=core,
        https=True,
        routes=[
            wiring.slack_events(settings, app, seen=seen, deps=deps),
            *wiring.kyc_webhook(settings, deps),
        ],
    )
    server = BackgroundServer(web).start()
    try:
        yield SlackWorld(
            core=core,
            clock=clock,
            standin=standin,
            slack=SignedSlack(server.url, SECRET),
            server=server,
        )
    finally:
        server.stop()


@pytest.fixture
def standin() -> Iterator[SlackStandIn]:
    """A recording stand-in of Slack's Web API."""
    standin = SlackStandIn().start()
    try:
        yield standin
    finally:
        standin.stop()


@pytest.fixture
def slack_world(
    store: Store,
    vault_accounts: VaultBackend,
    standin: SlackStandIn,
    seen_requests: SeenRequests,
    agencies: AgencyCutoffs,
    leases: Leases,
) -> Iterator[SlackWorld]:
    """The Slack door on the real app, store (both backends) and OpenBao."""
    yield from make_world(store, vault_accounts, standin, seen_requests, agencies, leases=leases)
