"""PostgreSQL: a result's column description is built only when something reads it.

SQLAlchemy asks the cursor for its ``description`` after every statement, and psycopg builds
it then: one ``Column`` object per column, its name decoded and its type looked up. For a
statement it has run before, SQLAlchemy reuses the result's metadata
(``Compiled._cached_metadata``) and only checks that there is a description, so those objects
are built for nobody: a contractor row has 19 columns, and an offboard built some 80 of them.
``LazyDescriptionCursor`` answers with a sequence that knows its length at once and builds the
columns the first time it is read. SQLAlchemy reads it, when it does, before the cursor runs
anything else (the columns are those of the cursor's result at that moment).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, overload

import psycopg
from psycopg.pq import ExecStatus

_RETURNS_ROWS = frozenset({ExecStatus.TUPLES_OK, ExecStatus.SINGLE_TUPLE, ExecStatus.TUPLES_CHUNK})


class LazyDescriptionCursor(psycopg.Cursor[Any]):
    """psycopg's cursor with a ``description`` built on first read (``connect_args``'
    ``cursor_factory``; see the module doc)."""

    @property
    def description(self) -> Sequence[psycopg.Column] | None:  # type: ignore[override]
        """Like psycopg's: ``None`` when the current result has no rows (not even ``SELECT ;``),
        else its columns."""
        result = self.pgresult
        if result and (result.nfields or result.status in _RETURNS_ROWS):
            return _Description(self, result.nfields)
        return None


class _Description(Sequence[psycopg.Column]):
    """The ``count`` columns of ``cursor``'s current result, built on first read."""

    def __init__(self, cursor: psycopg.Cursor[Any], count: int) -> None:
        self._cursor = cursor
        self._count = count
        self._columns: list[psycopg.Column] | None = None

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> psycopg.Column: ...

    @overload
    def __getitem__(self, index: slice) -> list[psycopg.Column]: ...

    def __getitem__(self, index: int | slice) -> psycopg.Column | list[psycopg.Column]:
        if self._columns is None:
            self._columns = [psycopg.Column(self._cursor, i) for i in range(self._count)]
        return self._columns[index]
