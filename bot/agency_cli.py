"""How ``credbot offboard --email-domain`` and ``credbot unblock`` show a cut-off to a person
in a terminal: the preview before the second admin's confirmation, and the receipt."""

from __future__ import annotations

from rich.console import Console

from bot.core.agencies import AgencyCutoff
from bot.core.agency_cutoff import Preview, Receipt
from bot.core.agency_messages import NAMES_SHOWN
from bot.core.models import Contractor


def print_requested(cutoff: AgencyCutoff, found: Preview, channel: str, console: Console) -> None:
    """What was asked and who it would affect; nothing has changed yet."""
    console.print(
        f"Cut-off of {cutoff.domain} requested ({cutoff.id}): {len(found.with_access)} "
        f"contractor(s) with access would be revoked, {len(found.onboarding)} onboarding "
        "request(s) rejected:"
    )
    people = found.with_access + found.onboarding
    for contractor in people[:NAMES_SHOWN]:
        console.print(f"  {_name(contractor)}", highlight=False)
    if len(people) > NAMES_SHOWN:
        console.print(f"  … and {len(people) - NAMES_SHOWN} more")
    console.print(
        f"Nothing has changed yet: a second admin must confirm on the card posted to {channel} "
        "in Slack (you cannot confirm your own request)."
    )


def print_receipt(receipt: Receipt, console: Console) -> None:
    """The receipt: revoked (with Vault's proof), rejected, and who is still pending, by
    name."""
    domain = receipt.cutoff.domain
    console.print(
        f"{domain} cut off: {len(receipt.revoked)} revoked (Vault proved each account gone), "
        f"{len(receipt.rejected)} onboarding request(s) rejected."
    )
    for contractor, why in receipt.pending:
        console.print(f"[yellow]still pending:[/] {_name(contractor)}: {why}", highlight=False)
    if receipt.complete:
        console.print(f"[green]Nobody at {domain} holds or awaits access.[/]")
    console.print(f"New requests for {domain} are refused until `credbot unblock`.")


def _name(contractor: Contractor) -> str:
    return f"{contractor.display_name or '(erased)'} <{contractor.email}> {contractor.id}"
