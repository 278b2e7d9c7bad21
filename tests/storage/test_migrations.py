"""The migrations are what builds the schema, so they are what is tested against the tables."""

from __future__ import annotations

import importlib.util
import warnings

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from bot.core.audit import verify_chain
from bot.storage.audit_log import append_events
from bot.storage.engine import make_engine
from bot.storage.migrate import MIGRATIONS_DIR, current_revision, head_revision, upgrade
from bot.storage.store import SqlStore
from bot.storage.tables import LIVE_PREDICATE, metadata
from tests.storage import factories
from tests.storage.test_concurrency import run_two_appenders
from tests.support.links import stored_link


def test_upgrade_is_idempotent_and_reports_head(empty_database_url: str) -> None:
    assert current_revision(empty_database_url) is None
    assert upgrade(empty_database_url) == head_revision()
    assert upgrade(empty_database_url) == head_revision()
    assert current_revision(empty_database_url) == head_revision() == "0011"


def test_migrations_match_the_tables(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection, warnings.catch_warnings():
            warnings.simplefilter("error")  # a skipped comparison must not pass silently
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diff = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    assert diff == []


def test_initial_migration_live_predicate_is_current() -> None:
    """Autogenerate cannot compare partial-index predicates; this pins them instead."""
    spec = importlib.util.spec_from_file_location(
        "migration_0001", MIGRATIONS_DIR / "versions" / "0001_initial.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.LIVE_PREDICATE == LIVE_PREDICATE


def test_accounts_and_links_from_before_login_mfa_are_marked_as_such(
    empty_database_url: str,
) -> None:
    """0006: every account that existed was issued with a key in the old TOTP engine (the sweep
    moves its contractor over by a reissue), and a link made then can no longer be revealed."""
    upgrade(empty_database_url, "0005")
    engine = make_engine(empty_database_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO contractors (id, slack_user_id, email, display_name, country,"
                    " role, end_date, justification, requested_by, state, created_at,"
                    " updated_at, failed_totp_attempts, version)"
                    " VALUES ('c-1', 'U1', 'a@b.example', 'A', 'DE', 'reviewer', '2027-01-01',"
                    " '', 'UM', 'issued', :t, :t, 0, 1)"
                ),
                {"t": "2026-11-01 00:00:00+00:00"},
            )
            connection.execute(
                sa.text(
                    "INSERT INTO vault_accounts (username, contractor_id, created_at)"
                    " VALUES ('ctr-old', 'c-1', :t)"
                ),
                {"t": "2026-11-01 00:00:00+00:00"},
            )
            connection.execute(
                sa.text(
                    "INSERT INTO links (link_hash, contractor_id, username, sealed_wrapping_token,"
                    " wrapping_accessor, creation_path, confirmation_digest, created_at,"
                    " expires_at) VALUES ('h', 'c-1', 'ctr-old', 'sealed', 'acc',"
                    " 'credbot-pending/data/ctr-old', 'd', :t, :t)"
                ),
                {"t": "2026-11-01 00:00:00+00:00"},
            )
        assert upgrade(empty_database_url) == head_revision()
        store = SqlStore(engine=engine)
        (account,) = store.unrevoked_accounts("c-1")
        assert account.second_factor == "totp_engine"
        link = stored_link(store, "h")
        assert link is not None
        assert (link.sealed_delivery, link.mfa_wrapping_accessor) == ("sealed", None)
        assert link.wrapping_accessors == ("acc",)
    finally:
        engine.dispose()


@pytest.mark.server  # starts two Python processes
def test_appenders_after_0011_continue_the_chain_written_before_it(
    empty_database_url: str,
) -> None:
    """0011: on a log that already has events, two processes appending at once after the
    upgrade chain onto its newest event, without a single retry, and the whole chain
    verifies as ``credbot audit verify`` checks it."""
    upgrade(empty_database_url, "0010")
    engine = make_engine(empty_database_url)
    try:
        with engine.begin() as connection:  # as the code of 0010 appended (its lock aside)
            before = append_events(
                connection,
                [factories.entry(actor=f"before-{n}") for n in range(3)],
                serialize=False,
            )
        assert upgrade(empty_database_url) == head_revision()
        assert run_two_appenders(empty_database_url, serialize=True, per_process=50) == 0
        events = list(SqlStore(engine=engine).audit_events())
    finally:
        engine.dispose()
    assert events[:3] == before
    assert [event.seq for event in events] == list(range(1, 104))
    assert verify_chain(events) == []
