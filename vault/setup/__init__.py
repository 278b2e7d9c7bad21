"""``credbot vault init``: mounts, login MFA, the audit anchor's key, policies and the bot's
AppRole role, planned first and then applied.

Every step reads what Vault has and says what it would create or change. Creating what is
missing is always done. Changing something that exists and differs (a policy someone narrowed,
a role, an MFA method, a mount's TTLs) is refused unless the caller says ``force``: an
operator command must never widen access silently. ``dry_run`` only reports. Nothing is
written before the whole plan is known, so a refusal changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import hvac

from vault.approle import generate_secret_id, read_role_id, write_secret_file
from vault.errors import VaultSetupDrift
from vault.layout import DEFAULT_ROLES, check_role
from vault.login_mfa import TotpMethodSettings
from vault.models import DEFAULT_TOKEN_RULES, ContractorTokenRules, SetupChange
from vault.policy_files import check_role_policies
from vault.setup.anchoring import plan_anchoring
from vault.setup.approle import DEFAULT_APPROLE_RULES, AppRoleRules, plan_role
from vault.setup.login_mfa import plan_login_mfa
from vault.setup.mounts import plan_mounts, plan_userpass_tuning
from vault.setup.plan import Plan, SetupContext
from vault.setup.policies import plan_policies

__all__ = [
    "AppRoleRules",
    "InitReport",
    "SetupChange",
    "generate_secret_id",
    "initialize",
    "read_role_id",
    "write_secret_file",
]

DEFAULT_TOTP = TotpMethodSettings(issuer="credbot", max_validation_attempts=5)


@dataclass(frozen=True)
class InitReport:
    """What ``initialize`` did (or, with ``dry_run``, would do): ``changes`` in order,
    ``unchanged`` what was already exactly as wanted (``"auth/credbot"``, ...)."""

    changes: list[SetupChange] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def changed(self) -> list[str]:
        """The items created or changed."""
        return [change.item for change in self.changes]

    @property
    def changed_anything(self) -> bool:
        """True when this run wrote (or, dry, would write) anything to Vault."""
        return bool(self.changes)


def initialize(
    client: hvac.Client,
    *,
    roles: Sequence[str] = DEFAULT_ROLES,
    totp: TotpMethodSettings = DEFAULT_TOTP,
    tokens: ContractorTokenRules = DEFAULT_TOKEN_RULES,
    approle_rules: AppRoleRules = DEFAULT_APPROLE_RULES,
    policy_dir: Path | None = None,
    dry_run: bool = False,
    force: bool = False,
) -> InitReport:
    """Plan every step, then apply it: the mounts, ``auth/credbot``'s TTLs (``tokens``),
    credbot's TOTP login-MFA method (``totp``) and the enforcement that binds it to every
    login on ``auth/credbot``, the audit anchor's signing key, the policies (the bot's
    rendered for ``roles``, the method, the mount and ``tokens``; each role's from
    ``policy_dir`` when it holds ``credbot-role-<role>.hcl``, else the shipped one), and the
    AppRole role.

    Needs an admin token. Raises ``VaultSetupDrift`` (nothing written) when an existing item
    differs and ``force`` is not given; ``VaultSetupConflict`` if a mount path is taken by
    another engine type (or KV version 1), or the signing key exists but could leave Vault;
    ``InvalidName`` (naming the file) for a role without a policy file; and the usual
    ``vault.errors``.
    """
    roles = [check_role(r) for r in roles]
    check_role_policies(roles, policy_dir)  # a missing file fails here, before any read
    context = SetupContext(roles=roles, tokens=tokens, policy_dir=policy_dir)
    plan = Plan(
        [
            *plan_mounts(client, context),
            plan_userpass_tuning(client, context),
            *plan_anchoring(client),
            *plan_login_mfa(client, context, totp),
            *plan_policies(client, context),
            plan_role(client, approle_rules),
        ]
    )
    report = InitReport(
        changes=plan.changes, unchanged=[s.item for s in plan.steps if s.change is None]
    )
    if dry_run:
        return InitReport(changes=report.changes, unchanged=report.unchanged, dry_run=True)
    if plan.updates and not force:
        raise VaultSetupDrift(changes=plan.updates)
    plan.apply(context)
    return report
