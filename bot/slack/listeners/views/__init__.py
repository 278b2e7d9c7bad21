"""Modal submissions: the onboarding and attestation forms."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.deps import Deps
from bot.slack.listeners.views import attestation, onboarding


def register(app: App, deps: Deps) -> None:
    """Listen to the onboarding and attestation forms' submissions."""
    onboarding.register(app, deps)
    attestation.register(app, deps)
