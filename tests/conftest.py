"""Shared fixtures: real servers only (OpenBao dev server, SQLite, PostgreSQL), and the
suite's layers (``tests.support.layers``: the fast layer, which databases a test runs on)."""

pytest_plugins = [
    "tests.support.layers",
    "tests.support.openbao",
    "tests.support.postgres",
    "tests.support.core",
    "tests.support.cli",
    "tests.support.reviews",
]
