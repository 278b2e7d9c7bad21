"""``build_slack_app``: the Bolt app with credbot's listeners, grouped by Slack surface.

Every listener is thin: it parses, acks, and hands slow work (Vault, Slack API calls, most of
the database) to ``Deps.later``, so the answer Slack waits 3 s for never waits for it. Bolt
therefore runs each listener in the thread that dispatches the request
(``process_before_response``) and answers when it returns: no second thread per request, and
no polling for the ack (Bolt's threaded runner checks every 10 ms whether ``ack()`` was called).
"""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_sdk import WebClient

from bot.checks import CheckEnvironment, build_checks
from bot.config import Settings
from bot.core.context import Core
from bot.core.interfaces import Leases
from bot.slack.after_ack import AfterAck
from bot.slack.deps import Deps
from bot.slack.listeners import actions, commands, events, views
from bot.slack.roles import RoleMembers, Roles


def build_deps(
    *,
    core: Core,
    settings: Settings,
    client: WebClient,
    leases: Leases,
    roles: Roles | None = None,
) -> Deps:
    """What the listeners share, with the identity checks ``CREDBOT_IDENTITY_CHECKS`` names.
    ``client`` carries the bot token, ``base_url`` (``SLACK_API_URL``) and the retry handlers
    (see ``bot.wiring.build_slack_client``); ``roles`` is injectable for tests. Raises
    ``CheckConfigError`` when the checks' settings are missing."""
    roles = roles or Roles(
        members=RoleMembers(
            managers=settings.managers, approvers=settings.approvers, admins=settings.admins
        ),
        client=client,
    )
    environment = CheckEnvironment(settings=settings, core=core, slack=client, roles=roles)
    return Deps(
        core=core,
        client=client,
        roles=roles,
        checks=build_checks(settings.identity_checks, environment),
        approval_channel=settings.approval_channel,
        audit_channel=settings.audit_channel,
        after_ack=AfterAck(),
        leases=leases,
    )


def build_slack_app(deps: Deps, *, settings: Settings) -> App:
    """The Bolt app on ``deps``. It checks no signature: over HTTP the door does
    (``bot.web.slack_endpoint``: signature, window and replays, before Bolt parses anything);
    over Socket Mode Slack authenticated the WebSocket with the app-level token."""
    app = App(
        client=deps.client,
        signing_secret=settings.slack_signing_secret,
        token_verification_enabled=False,
        request_verification_enabled=False,
        process_before_response=True,
        # Under ``slack_bolt`` so ``bot.logs`` holds it at WARNING: Bolt's DEBUG lines can carry
        # request bodies.
        logger=logging.getLogger("slack_bolt.credbot"),
    )
    for surface in (commands, actions, views, events):
        surface.register(app, deps)
    return app
