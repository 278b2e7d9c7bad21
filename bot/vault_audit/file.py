"""``AuditLogFile``: whole lines of Vault's file audit device, from a stored position on,
across rotation and truncation.

Why a file and not a socket device: Vault blocks every request when no audit device can
write (a socket device that credbot, down or restarting, does not accept would stop Vault),
and a socket loses whatever is sent while credbot is away. A file keeps every entry until
credbot reads it, so a restart resumes where it stopped (``LogPosition``) and nothing is lost.

A position names the file by the SHA-256 of its first line (every audit entry carries its
time and a request id, so a new file never starts with the same line) and the offset after
the last whole line taken in:

- the stored file is the current one: read on from the offset;
- another first line (the log was rotated, or replaced): read the new file from its start.
  While this process follows a file and the path is renamed away (``logrotate``'s default),
  the rest of the old file is read to its end first, so rotation loses nothing as long as
  Vault is told to reopen its file (``SIGHUP``) after the rename, as for any log shipper;
- the same file shorter than the offset (truncated under the reader, ``copytruncate``):
  nothing before the new end is read again; reading goes on from there.

A line is taken only once its newline is written, so a line Vault is still writing waits for
the next read. A line longer than ``max_line`` is skipped as unparseable.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from bot.core.sharing import LogPosition

log = logging.getLogger("credbot.vault_audit")

MAX_READ = 1 << 20
"""Bytes read per call (and the longest line credbot reads): a backlog is taken in slices."""


class AuditLogUnreadable(Exception):
    """The audit log cannot be opened or read; the message names the path and the reason."""


@dataclass(frozen=True)
class Lines:
    """Whole lines read from ``start`` (the caller's position) to ``end``; ``skipped`` lines
    too long to read; ``more``: the file holds more after ``end``; ``note``: what happened to
    the file (rotated, truncated), for the log."""

    start: LogPosition | None
    end: LogPosition
    lines: list[bytes]
    skipped: int = 0
    more: bool = False
    note: str | None = None


class AuditLogFile:
    """Reads the audit log at ``path``; keeps the file it follows open between calls."""

    def __init__(self, path: Path, *, max_read: int = MAX_READ) -> None:
        self._path = path
        self._max_read = max_read
        self._file: BinaryIO | None = None
        self._fingerprint = ""

    @property
    def path(self) -> Path:
        """The audit log's path (``CREDBOT_AUDIT_LOG``)."""
        return self._path

    def read(self, position: LogPosition | None) -> Lines | None:
        """The next whole lines after ``position``, or ``None`` when there is nothing new.
        Raises ``AuditLogUnreadable``."""
        try:
            if self._file is not None and self._replaced():
                drained = self._next_lines(position) if self._follows(position) else None
                if drained is not None:
                    return drained
                self.close()
            if self._file is None and not self._open():
                return None
            return self._next_lines(position)
        except OSError as exc:
            self.close()
            raise AuditLogUnreadable(
                f"cannot read the audit log {self._path}: {exc.strerror or exc}"
            ) from None

    def close(self) -> None:
        """Let go of the followed file."""
        if self._file is not None:
            self._file.close()
        self._file = None
        self._fingerprint = ""

    def _open(self) -> bool:
        """Open the path and read its fingerprint; ``False`` while it does not exist or has
        no whole first line yet."""
        try:
            handle = self._path.open("rb")
        except FileNotFoundError:
            return False
        first = handle.readline(self._max_read)
        if not first.endswith(b"\n"):
            handle.close()
            return False
        self._file = handle
        self._fingerprint = hashlib.sha256(first).hexdigest()
        return True

    def _replaced(self) -> bool:
        """Whether the path no longer names the followed file (renamed or deleted)."""
        assert self._file is not None
        try:
            current = os.stat(self._path)
        except FileNotFoundError:
            return True
        followed = os.fstat(self._file.fileno())
        return (current.st_dev, current.st_ino) != (followed.st_dev, followed.st_ino)

    def _follows(self, position: LogPosition | None) -> bool:
        return position is not None and position.fingerprint == self._fingerprint

    def _next_lines(self, position: LogPosition | None) -> Lines | None:
        assert self._file is not None
        size = os.fstat(self._file.fileno()).st_size
        offset, note = 0, None
        if self._follows(position):
            assert position is not None
            offset = position.offset
            if size < offset:
                note = f"the audit log was truncated to {size} bytes under the reader (at {offset})"
                offset = size
        elif position is not None:
            note = "the audit log was rotated or replaced: reading the new file from its start"
        if offset >= size and note is None:
            return None
        self._file.seek(offset)
        data = self._file.read(self._max_read)
        whole = data[: data.rfind(b"\n") + 1]
        skipped = 0
        if not whole and len(data) == self._max_read:
            whole, skipped = data, 1  # a line longer than anything Vault writes: skip it
        if not whole and note is None:
            return None  # only the start of a line Vault is still writing
        end = LogPosition(self._fingerprint, offset + len(whole))
        lines = [] if skipped else [line for line in whole.split(b"\n") if line.strip()]
        return Lines(
            start=position,
            end=end,
            lines=lines,
            skipped=skipped,
            more=end.offset < size,
            note=note,
        )
