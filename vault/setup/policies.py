"""Planning the shipped policies: the bot's (rendered for this Vault), ``credbot-pending`` and
one per role."""

from __future__ import annotations

import hvac

from vault import policies
from vault.policies import BotPolicyValues
from vault.setup.plan import PLACEHOLDER, SetupContext, Step, create, in_place, text_diff, update


def plan_policies(client: hvac.Client, context: SetupContext) -> list[Step]:
    """A step per policy. The bot's names ``auth/credbot``'s accessor and the MFA method's id:
    when a step of this run creates them, the plan shows ``PLACEHOLDER`` and the policy is
    rendered again, with the real ids, when it is applied."""
    steps = []
    for name, planned in _desired(context).items():
        current = policies.read_acl_policy(client, name)

        def write(ctx: SetupContext, name: str = name) -> None:
            policies.create_or_update_acl_policy(client, name, _desired(ctx)[name])

        item = f"policy {name}"
        if current is None:
            steps.append(create(item, write))
        elif current == planned:
            steps.append(in_place(item))
        else:
            steps.append(update(item, write, text_diff(current, planned)))
    return steps


def _desired(context: SetupContext) -> dict[str, str]:
    return policies.desired_policies(
        BotPolicyValues(
            roles=context.roles,
            mfa_method_id=context.mfa_method_id or PLACEHOLDER,
            userpass_accessor=context.userpass_accessor or PLACEHOLDER,
            tokens=context.tokens,
        ),
        policy_dir=context.policy_dir,
    )
