"""Scenario tests: signed requests (or Socket Mode envelopes) to the running app, Slack's Web
API on the stand-in."""

from tests.support.slack import slack_world, standin
from tests.support.slack_socket import socket_standin, socket_world

__all__ = ["slack_world", "socket_standin", "socket_world", "standin"]
