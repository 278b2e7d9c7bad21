"""The Slack Web API client credbot uses: the SDK's, counting what fails.

Every Web API call credbot makes goes through ``WebClient.api_call``; a call that still fails
after the SDK's retry handlers (rate limits, dropped connections, 5xx) is counted once in
``credbot_slack_errors_total{method, error}``, with Slack's own error code (``channel_not_found``,
``ratelimited``, ...), ``http_<status>`` when Slack sent none, or ``unreachable``.
"""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from bot.metrics import count_slack_error


def slack_error(exc: SlackApiError) -> str:
    """Slack's error code from an API error (never the request, which may hold a secret)."""
    return str(exc.response.get("error", "unknown_error"))


class CountingWebClient(WebClient):
    """``WebClient`` whose failed calls are counted (then raised as before)."""

    def api_call(self, api_method: str, **kwargs: Any) -> SlackResponse:
        """The SDK's call; a failure is counted by method and error, then re-raised."""
        try:
            return super().api_call(api_method, **kwargs)
        except SlackApiError as exc:
            error = exc.response.get("error") if isinstance(exc.response.data, dict) else None
            count_slack_error(api_method, str(error or f"http_{exc.response.status_code}"))
            raise
        except OSError:
            count_slack_error(api_method, "unreachable")
            raise
