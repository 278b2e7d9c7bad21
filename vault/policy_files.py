"""Where the policies' HCL texts come from: the files credbot ships in ``vault/policies/``, and
an operator's own role policies (``CREDBOT_POLICY_DIR``).

A role's policy is what the review tool's contractors may do, and only the operator knows
that; the shipped ``credbot-role-reviewer.hcl`` is an example. A directory lets a deployment
keep its role policies next to its other configuration instead of editing the installed
package. This module reads files only (no hvac), so the settings can check at start that every
configured role has its policy.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from vault.errors import InvalidName
from vault.layout import role_policy


def shipped_policy(name: str) -> str:
    """The text of ``vault/policies/{name}.hcl``; ``InvalidName`` if credbot ships no such file."""
    path = _shipped(name)
    if not path.is_file():
        raise InvalidName(f"no shipped policy file {name}.hcl")
    return path.read_text(encoding="utf-8")


def role_policy_file(role: str, policy_dir: Path | None) -> Path | Traversable | None:
    """The file ``credbot vault init`` writes as the role's policy: ``<policy_dir>/credbot-
    role-<role>.hcl`` when the directory has it, else the shipped one; ``None`` when neither
    exists. Raises ``InvalidName`` for a role name that is not one."""
    name = f"{role_policy(role)}.hcl"
    if policy_dir is not None and (policy_dir / name).is_file():
        return policy_dir / name
    shipped = _shipped(role_policy(role))
    return shipped if shipped.is_file() else None


def role_policy_text(role: str, policy_dir: Path | None) -> str:
    """The text of the role's policy file (see ``role_policy_file``). Raises ``InvalidName``
    naming the file that is missing or cannot be read."""
    source = role_policy_file(role, policy_dir)
    if source is None:
        raise InvalidName(_missing(role, policy_dir))
    try:
        return source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8 text"
        raise InvalidName(f"cannot read the policy of role {role!r}, {source}: {reason}") from None


def check_role_policies(roles: Sequence[str], policy_dir: Path | None) -> None:
    """Raise ``InvalidName`` (naming the file) unless every role's policy can be read."""
    for role in roles:
        role_policy_text(role, policy_dir)


def _missing(role: str, policy_dir: Path | None) -> str:
    """What to say about a role with no policy file: the file that would be used."""
    name = f"{role_policy(role)}.hcl"
    if policy_dir is None:
        return (
            f"role {role!r} has no policy file: credbot ships none ({name}); set "
            f"CREDBOT_POLICY_DIR to a directory holding {name}"
        )
    return f"role {role!r} has no policy file: {policy_dir / name} does not exist"


def _shipped(name: str) -> Traversable:
    return resources.files("vault").joinpath("policies", f"{name}.hcl")
