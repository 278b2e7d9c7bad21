"""Who a Slack user is: email and name from ``users.info``, refusing what cannot be a contractor.

The manager names a Slack account; credbot takes the email and name from Slack itself rather
than from what the manager types, so a request cannot name one person and deliver to another.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger("credbot.slack.directory")


@dataclass(frozen=True)
class Person:
    """A human Slack account that can be onboarded."""

    user_id: str
    email: str
    name: str


class NotAContractor(Exception):
    """The account cannot be onboarded; ``why`` is ``bot``, ``deleted``, ``no_email`` or a
    Slack error code such as ``user_not_found``."""

    def __init__(self, *, user_id: str, why: str) -> None:
        super().__init__(f"{user_id}: {why}")
        self.user_id = user_id
        self.why = why


class SlackLookupFailed(Exception):
    """Slack did not answer ``users.info`` usefully (after the client's retries)."""

    def __init__(self, *, error: str) -> None:
        super().__init__(error)
        self.error = error


def look_up(client: WebClient, user_id: str) -> Person:
    """``GET users.info``: the person's email and name.

    Raises ``NotAContractor`` for a bot, a deactivated account, an account without an email
    (``users:read.email`` missing or a guest without one) or an unknown user;
    ``SlackLookupFailed`` for any other Slack error.
    """
    try:
        response = client.users_info(user=user_id)
    except SlackApiError as exc:
        error = str(exc.response.get("error", "unknown_error"))
        if error in {"user_not_found", "user_not_visible"}:
            raise NotAContractor(user_id=user_id, why=error) from exc
        log.error("users.info %s failed: %s", user_id, error)
        raise SlackLookupFailed(error=error) from exc
    user = response.get("user") or {}
    if user.get("is_bot") or user.get("is_app_user") or user_id == "USLACKBOT":
        raise NotAContractor(user_id=user_id, why="bot")
    if user.get("deleted"):
        raise NotAContractor(user_id=user_id, why="deleted")
    profile = user.get("profile") or {}
    email = str(profile.get("email") or "").strip()
    if not email:
        raise NotAContractor(user_id=user_id, why="no_email")
    name = str(
        profile.get("real_name") or user.get("real_name") or profile.get("display_name") or ""
    )
    return Person(user_id=user_id, email=email, name=name or user_id)


class SlackDirectory:
    """The core's ``Directory`` over Slack's Web API (``users.info``, ``users.list``)."""

    def __init__(self, *, client: WebClient, page_size: int = 200) -> None:
        self._client = client
        self._page_size = page_size

    def is_deactivated(self, slack_user_id: str) -> bool:
        """``GET users.info``: ``deleted`` as Slack says now; an unknown user counts as gone.
        Raises ``SlackApiError`` for any other failure (after the client's retries)."""
        try:
            response = self._client.users_info(user=slack_user_id)
        except SlackApiError as exc:
            if exc.response.get("error") == "user_not_found":
                return True
            raise
        return bool((response.get("user") or {}).get("deleted"))

    def deactivated_user_ids(self) -> set[str]:
        """``GET users.list``, every page: the IDs of deleted users. Raises on any failure,
        so a partial list never looks like "nobody left"."""
        gone: set[str] = set()
        cursor = ""
        while True:
            response = self._client.users_list(limit=self._page_size, cursor=cursor or None)
            for member in response.get("members") or []:
                if member.get("deleted"):
                    gone.add(str(member["id"]))
            cursor = str((response.get("response_metadata") or {}).get("next_cursor") or "")
            if not cursor:
                return gone
