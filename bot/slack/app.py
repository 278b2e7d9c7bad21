"""``build_slack_app``: the Bolt app with credbot's listeners, grouped by Slack surface.

The app runs listeners in a thread pool after their ``ack()`` (``process_before_response``
off), so slow work (Vault, Slack API calls) never delays the answer Slack waits 3 s for.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor

from slack_bolt import App
from slack_sdk import WebClient

from bot.checks import CheckEnvironment, build_checks
from bot.config import Settings
from bot.core.context import Core
from bot.slack.deps import Deps
from bot.slack.listeners import actions, commands, events, views
from bot.slack.roles import RoleMembers, Roles
from bot.slack.verification import SeenRequests, SignedRequests

LISTENER_THREADS = 16
"""Bolt's listener threads: they only parse, authorize and ack, then hand the rest to
``WORK_THREADS``."""
WORK_THREADS = 4
"""Threads for work after the ack (Vault, Slack API, database). Few on purpose: under a burst,
dozens of busy threads would fight the threads answering acks for the GIL; queued work waits
a little longer instead, which Slack does not time."""


def build_deps(
    *,
    core: Core,
    settings: Settings,
    client: WebClient,
    roles: Roles | None = None,
    after_ack: Executor | None = None,
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
        after_ack=after_ack
        or ThreadPoolExecutor(max_workers=WORK_THREADS, thread_name_prefix="credbot-work"),
    )


def build_slack_app(
    deps: Deps,
    *,
    settings: Settings,
    seen: SeenRequests | None = None,
    now: Callable[[], float] | None = None,
    listener_executor: Executor | None = None,
    socket_mode: bool = False,
) -> App:
    """The Bolt app on ``deps``. ``now`` (the signature clock) is injectable for tests.

    Over HTTP every request must be signed and seen once, so a missing signing secret or
    replay memory (``seen``, shared by the replicas) raises ``ValueError``. With
    ``socket_mode`` the app is only ever fed through the WebSocket Slack authenticated with
    the app-level token: no signature to check, and none is required.
    """
    verification = None
    if not socket_mode:
        if not settings.slack_signing_secret or seen is None:
            raise ValueError("SLACK_SIGNING_SECRET and a replay memory are required over HTTP")
        verification = SignedRequests(
            settings.slack_signing_secret, seen=seen, now=now or time.time
        )
    app = App(
        client=deps.client,
        signing_secret=settings.slack_signing_secret,
        token_verification_enabled=False,
        request_verification_enabled=False,
        before_authorize=verification,
        listener_executor=listener_executor
        or ThreadPoolExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="credbot-slack"),
        # Under ``slack_bolt`` so ``bot.logs`` holds it at WARNING: Bolt's DEBUG lines can carry
        # request bodies.
        logger=logging.getLogger("slack_bolt.credbot"),
    )
    for surface in (commands, actions, views, events):
        surface.register(app, deps)
    return app
