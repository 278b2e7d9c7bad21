"""Pytest plugin: the suite's layers, and which databases each test runs on.

**The fast layer** (``-m fast``, ``bash tests/run.sh --fast``): every test that needs no
server. A test belongs to it unless it asks, directly or through its fixtures, for one of
``SERVER_FIXTURES`` (OpenBao, PostgreSQL, the Slack stand-ins, uvicorn, Chromium), runs on
PostgreSQL, or is marked ``server`` (it starts a process or a server itself). Such a test is
marked ``fast`` at collection. Under ``-m fast`` the server fixtures refuse to start, so a
test put in the layer by mistake fails at once instead of making the layer slow.

**Databases**: ``db_backend`` (under ``empty_database_url``, ``database_url``, ``engine``,
``store``) runs on SQLite and PostgreSQL where the backend matters: ``tests/storage``,
``tests/faults``, and tests marked ``both_databases`` (races, replicas, schema checks).
Elsewhere the code under test is the same on both, so those run on SQLite, unless
``--all-databases`` is given (every database test on both, as before the suite was layered).
"""

from __future__ import annotations

from pathlib import Path

import pytest

SERVER_FIXTURES = frozenset(
    {
        "openbao",  # the shared OpenBao dev server (tests.support.openbao)
        "throwaway_openbao",
        "postgres_server",  # the session's PostgreSQL (tests.support.postgres)
        "standin",  # the Slack Web API stand-in (tests.support.slack)
        "socket_standin",
        "slack",  # the stand-in of tests/checks
        "server",  # uvicorn serving the web app (tests/web)
        "https_server",
        "browser",  # Chromium (tests/web/test_browser.py)
    }
)
"""Fixtures that start a server (or need one that is running)."""

BOTH_DATABASE_DIRS = ("storage", "faults")
"""Directories under ``tests/`` whose database tests all run on both backends."""

TESTS_DIR = Path(__file__).resolve().parent.parent


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--all-databases",
        action="store_true",
        help="run every database test on SQLite and PostgreSQL (default: both only where "
        "the backend matters: tests/storage, tests/faults, tests marked both_databases)",
    )


def _runs_on_both(metafunc: pytest.Metafunc) -> bool:
    if metafunc.config.getoption("all_databases"):
        return True
    if metafunc.definition.get_closest_marker("both_databases") is not None:
        return True
    relative = Path(str(metafunc.definition.path)).resolve().relative_to(TESTS_DIR)
    return relative.parts[0] in BOTH_DATABASE_DIRS


def _parametrized_here(metafunc: pytest.Metafunc, name: str) -> bool:
    for marker in metafunc.definition.iter_markers("parametrize"):
        names = marker.args[0]
        if isinstance(names, str):
            names = [n.strip() for n in names.split(",")]
        if name in names:
            return True
    return False


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize ``db_backend`` (unless the test does it itself, as ``sqlite_only`` tests do)."""
    if "db_backend" not in metafunc.fixturenames or _parametrized_here(metafunc, "db_backend"):
        return
    backends: list[object] = ["sqlite"]
    if _runs_on_both(metafunc):
        backends.append(pytest.param("postgres", marks=pytest.mark.postgres))
    metafunc.parametrize("db_backend", backends, indirect=True)


def needs_a_server(item: pytest.Item) -> bool:
    """Whether ``item`` needs a server: a server fixture, PostgreSQL, or the ``server`` mark."""
    if item.get_closest_marker("server") or item.get_closest_marker("postgres"):
        return True
    return bool(SERVER_FIXTURES.intersection(getattr(item, "fixturenames", ())))


SLOWEST_FIRST = ("faults", "cli", "web", "web_ops", "scenario", "core")
"""Directories whose tests take longest (processes, sealed Vaults, Chromium, whole Slack
flows), run first: with ``--dist load`` the slow tests spread over the xdist workers instead
of one of them finishing alone at the end. Within a directory the order stays as collected."""


def _slowness_rank(item: pytest.Item) -> int:
    relative = Path(str(item.path)).resolve().relative_to(TESTS_DIR)
    top = relative.parts[0] if len(relative.parts) > 1 else ""
    return SLOWEST_FIRST.index(top) if top in SLOWEST_FIRST else len(SLOWEST_FIRST)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests of the fast layer (before ``-m`` selects); put the slowest first."""
    for item in items:
        if not needs_a_server(item):
            item.add_marker(pytest.mark.fast)
    items.sort(key=_slowness_rank)  # stable: the collected order within each rank


def fast_layer_only(config: pytest.Config) -> bool:
    """Whether this run selects the fast layer alone (``-m fast``)."""
    return str(config.getoption("markexpr", "")).strip() == "fast"


def refuse_in_fast_layer(request: pytest.FixtureRequest, what: str) -> None:
    """Fail at once when a server is asked for in a fast-layer run (a test misfiled)."""
    if fast_layer_only(request.config):
        pytest.fail(
            f"{what} was asked for in the fast layer (-m fast): mark the test that failed "
            "@pytest.mark.server, or add the fixture that starts it to SERVER_FIXTURES"
        )
