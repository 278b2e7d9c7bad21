"""Reading a stored link back, as the pages do (with its contractor), for assertions."""

from __future__ import annotations

from bot.core.models import LinkRecord
from bot.core.stores import Store


def stored_link(store: Store, link_hash: str) -> LinkRecord | None:
    """The link with this hash as the store has it now, if any."""
    found = store.get_link_with_contractor(link_hash)
    return None if found is None else found[0]
