"""Modal submissions: the onboarding form."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.deps import Deps
from bot.slack.listeners.views import onboarding


def register(app: App, deps: Deps) -> None:
    """Listen to the onboarding modal's submission."""
    onboarding.register(app, deps)
