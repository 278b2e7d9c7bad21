"""Scenario tests: signed requests to the running app, Slack's Web API on the stand-in."""

from tests.support.slack import slack_world, standin

__all__ = ["slack_world", "standin"]
