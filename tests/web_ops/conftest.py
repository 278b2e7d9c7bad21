"""The operations routes count Slack's refusals: the tests talk to the Web API stand-in."""

from tests.support.slack import standin

__all__ = ["standin"]
