"""Slack account: the contractor's account exists, is active, is a person, is a kind of account
the policy allows, and has an email Slack confirmed (``users.info``, asked fresh)."""

from __future__ import annotations

from typing import Any, ClassVar, Self

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.checks._base import CheckEnvironment, result
from bot.core.models import CheckResult, Contractor

GONE = frozenset({"user_not_found", "user_not_visible"})
LABELS = {
    "member": "a full member",
    "multi_channel_guest": "a multi-channel guest",
    "single_channel_guest": "a single-channel guest",
}


def account_type(user: dict[str, Any]) -> str:
    """``member``, ``multi_channel_guest`` or ``single_channel_guest`` (Slack's
    ``is_ultra_restricted`` and ``is_restricted``)."""
    if user.get("is_ultra_restricted"):
        return "single_channel_guest"
    if user.get("is_restricted"):
        return "multi_channel_guest"
    return "member"


class SlackAccount:
    """Fails closed: when Slack does not answer, the check is ``pending``, never ``pass``."""

    name: ClassVar[str] = "slack_account"
    proves_identity: ClassVar[bool] = False

    def __init__(self, client: WebClient, allowed_types: tuple[str, ...]) -> None:
        self._client = client
        self._allowed = allowed_types

    @classmethod
    def from_environment(cls, env: CheckEnvironment) -> Self:
        return cls(env.slack, env.settings.allowed_account_types)

    def run(self, contractor: Contractor) -> CheckResult:
        try:
            response = self._client.users_info(user=contractor.slack_user_id)
        except SlackApiError as exc:
            error = str(exc.response.get("error", "unknown_error"))  # Slack's own code
            if error in GONE:
                return result(self.name, "fail", f"Slack does not know the account ({error})")
            return result(self.name, "pending", f"Slack did not answer users.info ({error})")
        except OSError as exc:
            return result(
                self.name, "pending", f"Slack could not be reached ({type(exc).__name__})"
            )
        return self._judge(contractor, response.get("user") or {})

    def _judge(self, contractor: Contractor, user: dict[str, Any]) -> CheckResult:
        if user.get("is_bot") or user.get("is_app_user"):
            return result(self.name, "fail", "the account is a bot")
        if user.get("deleted"):
            return result(self.name, "fail", "the account is deactivated")
        kind = account_type(user)
        if kind not in self._allowed:
            return result(
                self.name,
                "fail",
                f"the account is {LABELS[kind]}, which CREDBOT_ALLOWED_ACCOUNT_TYPES does not "
                f"allow ({', '.join(self._allowed)})",
                account_type=kind,
            )
        if user.get("is_email_confirmed") is not True:
            return result(
                self.name,
                "fail",
                "Slack has not confirmed the account's email",
                account_type=kind,
            )
        email = str((user.get("profile") or {}).get("email") or "").strip().lower()
        if email != contractor.email:
            return result(
                self.name,
                "fail",
                "the account's email changed since the request",
                account_type=kind,
            )
        return result(
            self.name,
            "pass",
            f"active account, {LABELS[kind]}, email confirmed by Slack",
            account_type=kind,
        )


CHECK = SlackAccount
