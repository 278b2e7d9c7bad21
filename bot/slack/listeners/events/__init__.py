"""Events: App Home, and Slack accounts that are deactivated."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.deps import Deps
from bot.slack.listeners.events import departures, home


def register(app: App, deps: Deps) -> None:
    """Listen to ``app_home_opened`` and ``user_change``."""
    home.register(app, deps)
    departures.register(app, deps)
