"""The ``agency_cutoffs`` table: the open-cut-off predicate the migration wrote is the one the
tables declare (autogenerate cannot compare partial-index predicates), and the index holds
one open cut-off per domain on both databases even when the check before it is skipped."""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.storage.migrate import MIGRATIONS_DIR
from bot.storage.tables import OPEN_CUTOFF_PREDICATE, agency_cutoffs


def test_the_migration_predicate_is_current() -> None:
    spec = importlib.util.spec_from_file_location(
        "migration_0009", MIGRATIONS_DIR / "versions" / "0009_agency_cutoffs.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.OPEN_CUTOFF_PREDICATE == OPEN_CUTOFF_PREDICATE


def row(cutoff_id: str, status: str) -> dict[str, object]:
    return {
        "id": cutoff_id,
        "domain": "agency.example",
        "reason": "x",
        "requested_by": "UADMIN1",
        "requested_at": datetime.now(UTC),
        "status": status,
    }


def test_one_open_cutoff_per_domain_closed_ones_do_not_count(engine: Engine) -> None:
    with engine.begin() as connection:
        for n, status in enumerate(("cancelled", "lifted", "lifted", "pending")):
            connection.execute(sa.insert(agency_cutoffs).values(row(f"c{n}", status)))
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(sa.insert(agency_cutoffs).values(row("c9", "blocking")))
