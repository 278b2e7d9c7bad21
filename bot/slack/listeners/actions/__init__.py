"""Buttons: Approve / Reject on the approval card."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.deps import Deps
from bot.slack.listeners.actions import approval


def register(app: App, deps: Deps) -> None:
    """Listen to the approval card's buttons."""
    approval.register(app, deps)
