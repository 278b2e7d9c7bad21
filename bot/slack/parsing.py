"""``/contractor`` command text to a typed command: pure, no I/O, no clock.

Slack sends the text after the command name, with ``&``, ``<`` and ``>`` escaped as HTML
entities and, because the manifest sets ``should_escape``, mentions as ``<@U…>`` or
``<@U…|name>``. Every function here returns a command or raises ``CommandError`` naming the
subcommand, so the door can answer with that subcommand's help; nothing else is ever raised
(property-tested with Hypothesis).

Dates are parsed but not judged (``end`` in the past is the core's call: it owns "today").
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import date

from bot.core.states import State

MENTION = re.compile(r"^<@([UW][A-Z0-9]{2,20})(?:\|[^<>]{0,200})?>$")
USER_ID = re.compile(r"^[UW][A-Z0-9]{2,20}$")
COUNTRY = re.compile(r"^[A-Za-z]{2}$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ROLE = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
AUTO_LINK = re.compile(r"^<https?://([^|<>/]{1,253})(?:\|\1)?>$")
"""A bare domain as Slack links it: ``<http://d|d>`` (or ``<http://d>``)."""
MAX_TEXT = 500
ONBOARD_KEYS = frozenset({"country", "end", "role"})
SUBCOMMANDS = (
    "onboard",
    "offboard",
    "recheck",
    "reissue",
    "status",
    "list",
    "sweep",
    "offboard-agency",
    "unblock-agency",
    "help",
)


class CommandError(Exception):
    """The command text cannot be understood; ``problem`` says why, ``topic`` names the
    subcommand whose help applies (``None`` for the general help)."""

    def __init__(self, problem: str, *, topic: str | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.topic = topic


@dataclass(frozen=True)
class Help:
    """``help [subcommand]``."""

    topic: str | None = None


@dataclass(frozen=True)
class OpenOnboardForm:
    """``onboard`` without arguments: open the modal."""


@dataclass(frozen=True)
class Onboard:
    """``onboard <@U…> country=XX end=YYYY-MM-DD [role=NAME] [why…]``."""

    user_id: str
    country: str
    end_date: date
    role: str | None
    justification: str


@dataclass(frozen=True)
class Offboard:
    """``offboard <@U…> [reason…]``."""

    user_id: str
    reason: str


@dataclass(frozen=True)
class Reissue:
    """``reissue <@U…>``."""

    user_id: str


@dataclass(frozen=True)
class Recheck:
    """``recheck <@U…>``."""

    user_id: str


@dataclass(frozen=True)
class Status:
    """``status <@U…>``."""

    user_id: str


@dataclass(frozen=True)
class ListContractors:
    """``list [state]``."""

    state: State | None = None


@dataclass(frozen=True)
class Sweep:
    """``sweep [dry-run]``."""

    dry_run: bool = False


@dataclass(frozen=True)
class OffboardAgency:
    """``offboard-agency <domain> reason…``: the domain as typed (the core parses it)."""

    domain: str
    reason: str


@dataclass(frozen=True)
class UnblockAgency:
    """``unblock-agency <domain> reason…``."""

    domain: str
    reason: str


Command = (
    Help
    | OpenOnboardForm
    | Onboard
    | Offboard
    | Recheck
    | Reissue
    | Status
    | ListContractors
    | Sweep
    | OffboardAgency
    | UnblockAgency
)


def parse_command(text: str) -> Command:  # noqa: PLR0911 - one return per subcommand
    """The command ``text`` stands for; raises ``CommandError`` (and nothing else)."""
    words = text.split()
    if not words:
        return Help()
    name, args = words[0].lower(), words[1:]
    match name:
        case "help":
            return _parse_help(args)
        case "onboard":
            return _parse_onboard(args)
        case "offboard":
            user_id = _mention(args, topic="offboard")
            return Offboard(user_id=user_id, reason=_free_text(args[1:], topic="offboard"))
        case "recheck":
            return Recheck(user_id=_only_mention(args, topic="recheck"))
        case "reissue":
            return Reissue(user_id=_only_mention(args, topic="reissue"))
        case "status":
            return Status(user_id=_only_mention(args, topic="status"))
        case "list":
            return _parse_list(args)
        case "sweep":
            return _parse_sweep(args)
        case "offboard-agency":
            domain, reason = _domain_and_reason(args, topic=name)
            return OffboardAgency(domain=domain, reason=reason)
        case "unblock-agency":
            domain, reason = _domain_and_reason(args, topic=name)
            return UnblockAgency(domain=domain, reason=reason)
    raise CommandError(f"unknown subcommand {_quote(words[0])}")


def parse_mention(word: str) -> str | None:
    """The user ID in ``<@U…>``, ``<@U…|name>`` or a bare ``U…`` ID, else ``None``."""
    match = MENTION.match(word)
    if match:
        return match[1]
    return word if USER_ID.match(word) else None


def _parse_help(args: list[str]) -> Help:
    if not args:
        return Help()
    topic = args[0].lower()
    if topic not in SUBCOMMANDS or len(args) > 1:
        raise CommandError(f"no help for {_quote(' '.join(args))}")
    return Help(topic=topic)


def _parse_onboard(args: list[str]) -> OpenOnboardForm | Onboard:
    if not args:
        return OpenOnboardForm()
    user_id = _mention(args, topic="onboard")
    values: dict[str, str] = {}
    rest: list[str] = []
    for word in args[1:]:
        key, sep, value = word.partition("=")
        if not sep or rest:
            rest.append(word)
            continue
        key = key.lower()
        if key not in ONBOARD_KEYS:
            raise CommandError(f"unknown field {_quote(key)}", topic="onboard")
        if key in values:
            raise CommandError(f"{key}= is given twice", topic="onboard")
        if not value:
            raise CommandError(f"{key}= needs a value", topic="onboard")
        values[key] = value
    for key in ("country", "end"):
        if key not in values:
            raise CommandError(f"{key}= is missing", topic="onboard")
    country = values["country"]
    if not COUNTRY.match(country):
        raise CommandError(
            f"country={_quote(country)} is not a two-letter ISO 3166 code such as DE",
            topic="onboard",
        )
    role = values.get("role")
    if role is not None and not ROLE.match(role):
        raise CommandError(f"role={_quote(role)} is not a role name", topic="onboard")
    return Onboard(
        user_id=user_id,
        country=country.upper(),
        end_date=_date(values["end"]),
        role=role,
        justification=_free_text(rest, topic="onboard"),
    )


def _parse_list(args: list[str]) -> ListContractors:
    if not args:
        return ListContractors()
    if len(args) > 1:
        raise CommandError("list takes at most one state", topic="list")
    try:
        return ListContractors(state=State(args[0].lower()))
    except ValueError:
        raise CommandError(f"{_quote(args[0])} is not a state", topic="list") from None


def _parse_sweep(args: list[str]) -> Sweep:
    if not args:
        return Sweep()
    if len(args) == 1 and args[0].lower() in {"dry-run", "--dry-run", "dryrun"}:
        return Sweep(dry_run=True)
    raise CommandError(f"sweep does not take {_quote(' '.join(args))}", topic="sweep")


def _domain_and_reason(args: list[str], *, topic: str) -> tuple[str, str]:
    """The domain word and the reason after it; both are needed (the reason is audited).
    Slack turns a typed ``agency.example`` into ``<http://agency.example|agency.example>``:
    that is read as the domain; anything else is passed on for the core to judge."""
    if not args:
        raise CommandError("name the agency's email domain, like agency.example", topic=topic)
    reason = _free_text(args[1:], topic=topic)
    if not reason:
        raise CommandError("give a reason after the domain (it is audited)", topic=topic)
    word = html.unescape(args[0])
    link = AUTO_LINK.match(word)
    return (link[1] if link else word), reason


def _mention(args: list[str], *, topic: str) -> str:
    if not args:
        raise CommandError("name the contractor with an @-mention", topic=topic)
    user_id = parse_mention(args[0])
    if user_id is None:
        raise CommandError(
            f"{_quote(args[0])} is not a Slack user mention; type @ and pick the person",
            topic=topic,
        )
    return user_id


def _only_mention(args: list[str], *, topic: str) -> str:
    user_id = _mention(args, topic=topic)
    if len(args) > 1:
        raise CommandError(f"{topic} takes only the @-mention", topic=topic)
    return user_id


def _free_text(words: list[str], *, topic: str) -> str:
    text = html.unescape(" ".join(words)).strip()
    if len(text) > MAX_TEXT:
        raise CommandError(f"the text is longer than {MAX_TEXT} characters", topic=topic)
    return text


def _date(value: str) -> date:
    if ISO_DATE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise CommandError(f"end={_quote(value)} is not a date like 2027-03-31", topic="onboard")


def _quote(value: str) -> str:
    """Echo user input back safely: short, unescaped, and with no markup Slack would act on."""
    shown = html.unescape(value)[:40].replace("`", "'")
    shown = shown.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f"`{shown}`"
