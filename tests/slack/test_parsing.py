"""``bot.slack.parsing``: pure command parsing, including Hypothesis over arbitrary text."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.states import State
from bot.slack.parsing import (
    CommandError,
    Help,
    ListContractors,
    Offboard,
    Onboard,
    OpenOnboardForm,
    Reissue,
    Status,
    Sweep,
    parse_command,
    parse_mention,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Help()),
        ("help offboard", Help(topic="offboard")),
        ("onboard", OpenOnboardForm()),
        (
            "onboard <@U123ABC|ana> country=de end=2027-03-31 role=reviewer Q1 &amp; Q2 batch",
            Onboard("U123ABC", "DE", date(2027, 3, 31), "reviewer", "Q1 & Q2 batch"),
        ),
        (
            "ONBOARD <@W9ZZ> end=2027-03-31 country=FR",
            Onboard("W9ZZ", "FR", date(2027, 3, 31), None, ""),
        ),
        ("offboard <@U123ABC> contract   ended", Offboard("U123ABC", "contract ended")),
        ("offboard U123ABC", Offboard("U123ABC", "")),
        ("reissue <@U123ABC>", Reissue("U123ABC")),
        ("status <@U123ABC|x>", Status("U123ABC")),
        ("list", ListContractors()),
        ("list REVOKING", ListContractors(State.REVOKING)),
        ("sweep dry-run", Sweep(dry_run=True)),
        ("sweep", Sweep()),
    ],
)
def test_commands_parse(text: str, expected: object) -> None:
    assert parse_command(text) == expected


@pytest.mark.parametrize(
    ("text", "topic", "fragment"),
    [
        ("frob", None, "unknown subcommand"),
        ("onboard @ana country=DE end=2027-01-01", "onboard", "not a Slack user mention"),
        ("onboard <@U123ABC> country=DE", "onboard", "end= is missing"),
        ("onboard <@U123ABC> country=DE country=FR end=2027-01-01", "onboard", "given twice"),
        ("onboard <@U123ABC> colour=red", "onboard", "unknown field"),
        ("onboard <@U123ABC> country=DEU end=2027-01-01", "onboard", "two-letter"),
        ("onboard <@U123ABC> country=DE end=2027-13-01", "onboard", "not a date"),
        ("onboard <@U123ABC> country=DE end=", "onboard", "needs a value"),
        ("reissue", "reissue", "@-mention"),
        ("list a b", "list", "at most one"),
        ("sweep now", "sweep", "does not take"),
        ("help me", None, "no help"),
    ],
)
def test_bad_commands_name_the_problem_and_the_help_topic(
    text: str, topic: str | None, fragment: str
) -> None:
    with pytest.raises(CommandError) as caught:
        parse_command(text)
    assert caught.value.topic == topic
    assert fragment in caught.value.problem


def test_echoed_input_cannot_ping_or_format() -> None:
    with pytest.raises(CommandError) as caught:
        parse_command("<!channel>`x`")
    assert "<!channel>" not in caught.value.problem
    assert "&lt;!channel&gt;" in caught.value.problem


@given(st.text(max_size=300))
def test_any_text_parses_or_raises_command_error(text: str) -> None:
    try:
        parse_command(text)
    except CommandError as exc:
        assert exc.problem


@given(
    st.lists(
        st.one_of(
            st.sampled_from(["onboard", "offboard", "status", "list", "sweep", "help", "reissue"]),
            st.from_regex(r"<@[UW][A-Z0-9]{0,25}(\|[^>]{0,5})?>", fullmatch=True),
            st.from_regex(r"(country|end|role|x)=[^\s]{0,12}", fullmatch=True),
            st.text(max_size=12),
        ),
        max_size=8,
    )
)
def test_command_shaped_text_parses_or_raises_command_error(words: list[str]) -> None:
    try:
        parse_command(" ".join(words))
    except CommandError as exc:
        assert exc.problem


@given(st.from_regex(r"[UW][A-Z0-9]{2,20}", fullmatch=True), st.text(max_size=20))
def test_mentions_with_or_without_a_name_give_the_user_id(user_id: str, name: str) -> None:
    assert parse_mention(f"<@{user_id}>") == user_id
    clean = name.replace(">", "").replace("<", "")
    assert parse_mention(f"<@{user_id}|{clean}>") == user_id
