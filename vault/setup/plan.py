"""The shape of ``credbot vault init``: steps that read first, and write only when applied.

A ``Step`` is one item (a mount, a policy, the MFA method, ...) with the change it needs
(``None`` when Vault already has it exactly) and how to apply it. Some items depend on others
made in the same run (the bot's policy names ``auth/credbot``'s accessor and the MFA method's
id), so steps share a ``SetupContext`` that planning fills with what exists and applying with
what it creates.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from vault.models import ContractorTokenRules, SetupChange

PLACEHOLDER = "<made in this run>"
"""How a plan renders an id that only its own creation step will know."""


@dataclass
class SetupContext:
    """What the steps of one run share: the wanted roles, where their policies come from
    (``policy_dir``: see ``vault.policy_files``) and token rules, and the ids of
    ``auth/credbot``'s accessor and credbot's TOTP method once known."""

    roles: Sequence[str]
    tokens: ContractorTokenRules
    policy_dir: Path | None = None
    userpass_accessor: str | None = None
    mfa_method_id: str | None = None


Apply = Callable[[SetupContext], None]


def _nothing(_: SetupContext) -> None:
    return None


@dataclass(frozen=True)
class Step:
    """One item: ``change`` is ``None`` when it is in place; ``apply`` makes the change."""

    item: str
    change: SetupChange | None = None
    apply: Apply = field(default=_nothing, repr=False, compare=False)


def in_place(item: str) -> Step:
    """A step for an item that is already exactly as wanted."""
    return Step(item)


def create(item: str, apply: Apply, *details: str) -> Step:
    """A step that creates ``item`` (always allowed)."""
    return Step(item, SetupChange(item, "create", details), apply)


def update(item: str, apply: Apply, details: Sequence[str]) -> Step:
    """A step that changes an existing ``item`` (needs ``force``)."""
    return Step(item, SetupChange(item, "update", tuple(details)), apply)


def text_diff(current: str, wanted: str) -> list[str]:
    """A short unified diff of two texts (a policy as Vault has it and as credbot wants it)."""
    return list(
        difflib.unified_diff(
            current.splitlines(), wanted.splitlines(), "in Vault", "credbot", n=1, lineterm=""
        )
    )


def settings_diff(current: dict[str, object], wanted: dict[str, object]) -> list[str]:
    """``key: have -> want`` for every setting that differs."""
    return [
        f"{key}: {current.get(key)!r} -> {value!r}"
        for key, value in wanted.items()
        if current.get(key) != value
    ]


@dataclass(frozen=True)
class Plan:
    """Every step of a run, in the order they apply."""

    steps: list[Step]

    @property
    def changes(self) -> list[SetupChange]:
        """What the run creates or changes, in order."""
        return [step.change for step in self.steps if step.change is not None]

    @property
    def updates(self) -> list[SetupChange]:
        """The changes to items that exist: refused without ``force``."""
        return [change for change in self.changes if change.action == "update"]

    def apply(self, context: SetupContext) -> None:
        """Make every change, in order."""
        for step in self.steps:
            if step.change is not None:
                step.apply(context)
