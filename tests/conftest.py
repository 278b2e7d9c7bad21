"""Shared fixtures: real servers only (OpenBao dev server, SQLite, PostgreSQL)."""

pytest_plugins = [
    "tests.support.openbao",
    "tests.support.postgres",
    "tests.support.core",
    "tests.support.cli",
]
