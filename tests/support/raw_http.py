"""HTTP/1.1 by hand, for requests no well-behaved client sends: bodies of hundreds of MiB,
bodies that lie about their length, headers or bodies that stop half-way."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

MIB = 1024 * 1024


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    closed: bool
    """Whether the server closed the connection after answering."""


def head(path: str, headers: dict[str, str], *, method: str = "POST") -> bytes:
    """A request line and headers, ready to send."""
    lines = [
        f"{method} {path} HTTP/1.1",
        "Host: credbot.test",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def repeated(chunk: bytes, total: int) -> Iterator[bytes]:
    """``total`` bytes made of ``chunk`` (the client never holds more than one chunk)."""
    sent = 0
    while sent < total:
        part = chunk[: total - sent]
        sent += len(part)
        yield part


def chunked(parts: Iterable[bytes]) -> Iterator[bytes]:
    """``parts`` in HTTP chunked transfer coding (no Content-Length: the size is unknown)."""
    for part in parts:
        yield b"%x\r\n" % len(part) + part + b"\r\n"
    yield b"0\r\n\r\n"


def exchange(
    port: int, request_head: bytes, body: Iterable[bytes] = (), *, timeout: float = 60
) -> Answer:
    """Send ``request_head``, then ``body`` from another thread (stopping when the server
    stops reading), and read the answer as the server sends it."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        sock.sendall(request_head)

        def send_body() -> None:
            try:
                for part in body:
                    sock.sendall(part)
            except OSError:
                pass  # the server answered and closed: the rest is not wanted

        sender = threading.Thread(target=send_body, daemon=True)
        sender.start()
        answer = read_answer(sock)
        sender.join(timeout=timeout)
        return answer
    finally:
        sock.close()


def read_answer(sock: socket.socket) -> Answer:
    """One HTTP response from ``sock``, and whether the server closed the connection after."""
    data = b""
    while b"\r\n\r\n" not in data:
        part = sock.recv(65536)
        if not part:
            raise ConnectionError(f"closed without an answer (got {data!r})")
        data += part
    raw_head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = raw_head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        part = sock.recv(65536)
        if not part:
            break
        body += part
    return Answer(
        status=int(status_line.split()[1]), headers=headers, body=body, closed=closed_soon(sock)
    )


def closed_soon(sock: socket.socket, within: float = 5.0) -> bool:
    """Whether the server closes ``sock`` (EOF or reset) within ``within`` seconds."""
    sock.settimeout(within)
    try:
        while sock.recv(65536):
            pass
    except TimeoutError:
        return False
    except OSError:
        return True
    return True
