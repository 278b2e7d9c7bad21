"""Buttons: Approve / Reject and "I checked their ID" on the cards; "End my access" in App Home;
"Lock now" / "It's fine" on shared-account alerts; Keep / End on access reviews."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.deps import Deps
from bot.slack.listeners.actions import (
    agency,
    approval,
    attestation,
    own_access,
    reviews,
    sharing,
)


def register(app: App, deps: Deps) -> None:
    """Listen to the cards' buttons and the App Home button."""
    approval.register(app, deps)
    attestation.register(app, deps)
    own_access.register(app, deps)
    sharing.register(app, deps)
    agency.register(app, deps)
    reviews.register(app, deps)
