"""The shipped Slack manifest names exactly what the app listens to (read as text: no YAML
dependency for one file)."""

from __future__ import annotations

import re
from pathlib import Path

import bot.slack

MANIFEST = Path(bot.slack.__file__).parent / "manifest.yml"


def _list_after(text: str, key: str) -> set[str]:
    block = text.split(f"{key}:", 1)[1]
    items = []
    for line in block.splitlines()[1:]:
        match = re.match(r"^\s+- ([^\s#]+)", line)
        if not match:
            break
        items.append(match[1])
    return set(items)


def test_manifest_matches_the_app() -> None:
    text = MANIFEST.read_text()
    # Only events Slack's Events API has: Slack refuses a manifest naming another one (such as
    # team_leave, which does not exist; user_change reports deactivations).
    assert _list_after(text, "bot_events") == {"app_home_opened", "user_change"}
    assert "team_leave" not in text.split("bot_events:", 1)[1]
    assert _list_after(text, "    bot") == {
        "commands",
        "chat:write",
        "im:write",
        "users:read",
        "users:read.email",
        "usergroups:read",
    }
    assert "- command: /contractor" in text and "should_escape: true" in text
    urls = set(re.findall(r"url: (\S+)", text))
    assert urls == {"https://YOUR-HOST/slack/events"}
