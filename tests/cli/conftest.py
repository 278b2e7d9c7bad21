"""``credbot serve`` talks to the Slack stand-ins (Web API and Socket Mode)."""

from tests.support.slack import standin
from tests.support.slack_socket import socket_standin

__all__ = ["socket_standin", "standin"]
