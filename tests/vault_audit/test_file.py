"""``AuditLogFile``: whole lines from a stored position, across restarts, rotation and
truncation, never a line twice."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.core.sharing import LogPosition
from bot.vault_audit.file import AuditLogFile, AuditLogUnreadable


def append(path: Path, *lines: bytes) -> None:
    with path.open("ab") as log:
        for line in lines:
            log.write(line)


def read_all(
    reader: AuditLogFile, position: LogPosition | None
) -> tuple[list[bytes], LogPosition | None]:
    """Every whole line available from ``position``, as the job reads them slice by slice."""
    lines: list[bytes] = []
    while (chunk := reader.read(position)) is not None:
        lines += chunk.lines
        position = chunk.end
        if not chunk.more:
            break
    return lines, position


@pytest.fixture
def log(tmp_path: Path) -> Path:
    return tmp_path / "audit.log"


def test_nothing_to_read_before_the_file_exists_or_has_a_whole_line(log: Path) -> None:
    reader = AuditLogFile(log)
    assert reader.read(None) is None
    append(log, b'{"first": ')
    assert reader.read(None) is None


def test_a_line_vault_is_still_writing_waits_for_its_newline(log: Path) -> None:
    append(log, b"one\n", b"tw")
    reader = AuditLogFile(log)
    lines, position = read_all(reader, None)
    assert lines == [b"one"]
    append(log, b"o\n")
    assert read_all(reader, position)[0] == [b"two"]


def test_a_restart_resumes_where_it_stopped_and_reads_no_line_twice(log: Path) -> None:
    append(log, b"one\n", b"two\n")
    lines, position = read_all(AuditLogFile(log), None)
    assert lines == [b"one", b"two"]
    append(log, b"three\n")
    restarted = AuditLogFile(log)  # a new process: only the stored position survives
    lines, position = read_all(restarted, position)
    assert lines == [b"three"]
    assert restarted.read(position) is None


def test_a_backlog_is_read_in_slices_without_losing_a_line(log: Path) -> None:
    append(log, *(f"line {n:04d}\n".encode() for n in range(500)))
    reader = AuditLogFile(log, max_read=1000)
    lines, _ = read_all(reader, None)
    assert lines == [f"line {n:04d}".encode() for n in range(500)]


def test_rotation_by_rename_reads_the_rest_of_the_old_file_then_the_new_one(
    log: Path, tmp_path: Path
) -> None:
    append(log, b"old 1\n")
    reader = AuditLogFile(log)
    _, position = read_all(reader, None)
    append(log, b"old 2\n")  # written before the rename, not read yet
    os.rename(log, tmp_path / "audit.log.1")
    append(log, b"new 1\n")
    chunk = reader.read(position)
    assert chunk is not None and chunk.lines == [b"old 2"]
    rest, position = read_all(reader, chunk.end)
    assert rest == [b"new 1"]
    assert reader.read(position) is None


def test_a_rotated_file_found_after_a_restart_is_read_from_its_start(log: Path) -> None:
    append(log, b"old 1\n")
    _, position = read_all(AuditLogFile(log), None)
    log.unlink()
    append(log, b"new 1\n", b"new 2\n")
    chunk = AuditLogFile(log).read(position)
    assert chunk is not None and chunk.note is not None and "rotated" in chunk.note
    assert chunk.lines == [b"new 1", b"new 2"]


def test_truncation_under_the_reader_reads_nothing_again_and_goes_on(log: Path) -> None:
    append(log, b"first\n", b"second\n", b"third\n")
    reader = AuditLogFile(log)
    _, position = read_all(reader, None)
    with log.open("r+b") as handle:  # logrotate's copytruncate, cut to the first line
        handle.truncate(len(b"first\n"))
    chunk = reader.read(position)
    assert chunk is not None and chunk.lines == []
    assert chunk.note is not None and "truncated" in chunk.note
    append(log, b"fourth\n")
    assert read_all(reader, chunk.end)[0] == [b"fourth"]


def test_a_line_longer_than_anything_vault_writes_is_skipped_and_counted(log: Path) -> None:
    append(log, b"ok\n", b"x" * 5000 + b"\n", b"after\n")
    reader = AuditLogFile(log, max_read=1000)
    skipped = 0
    lines: list[bytes] = []
    position = None
    while (chunk := reader.read(position)) is not None:
        lines += chunk.lines
        skipped += chunk.skipped
        position = chunk.end
    assert b"ok" in lines and b"after" in lines
    assert skipped >= 1


def test_an_unreadable_path_is_named_in_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(AuditLogUnreadable, match=str(tmp_path)):
        AuditLogFile(tmp_path).read(None)  # a directory, not a log
