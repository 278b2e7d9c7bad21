"""Modal submissions: the onboarding, attestation and rejection forms."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.deps import Deps
from bot.slack.listeners.views import attestation, onboarding, rejection


def register(app: App, deps: Deps) -> None:
    """Listen to the onboarding, attestation and rejection forms' submissions."""
    onboarding.register(app, deps)
    attestation.register(app, deps)
    rejection.register(app, deps)
