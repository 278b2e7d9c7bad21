"""Slack's user directory as the core sees it, for tests of the core alone (the Slack door's
own tests use the Slack Web API stand-in instead)."""

from __future__ import annotations


class FakeDirectory:
    """Knows which users are gone; can be told to fail like a Slack outage."""

    def __init__(self, gone: set[str] | None = None, *, fails: bool = False) -> None:
        self.gone = gone or set()
        self.fails = fails
        self.lookups: list[str] = []

    def deactivated_user_ids(self) -> set[str]:
        if self.fails:
            raise RuntimeError("ratelimited")
        return set(self.gone)

    def is_deactivated(self, slack_user_id: str) -> bool:
        self.lookups.append(slack_user_id)
        if self.fails:
            raise RuntimeError("ratelimited")
        return slack_user_id in self.gone
