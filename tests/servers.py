"""Real servers on loopback for the alert tests: SMTP (aiosmtpd) and HTTP (stdlib)."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Mailbox:
    """What the SMTP server received, parsed."""

    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def texts(self) -> list[str]:
        """Subject and plain body of every message."""
        out = []
        for message in self.messages:
            part = message.get_body(preferencelist=("plain", "html"))
            out.append(f"{message['subject']}\n{part.get_content() if part else ''}")
        return out


@contextmanager
def smtp_server(mailbox: Mailbox | None = None) -> Iterator[tuple[int, Mailbox]]:
    mailbox = mailbox or Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, mailbox
    finally:
        controller.stop()


@dataclass
class Capture:
    """Every POST the HTTP server answered: path and decoded JSON body. It answers each after
    `delay` seconds, and records it then (a slow endpoint is a `delay` away)."""

    posts: list[tuple[str, dict]] = field(default_factory=list)
    delay: float = 0.0

    def bodies(self, path_prefix: str) -> list[dict]:
        return [body for path, body in self.posts if path.startswith(path_prefix)]


class _QuietHTTPServer(ThreadingHTTPServer):
    """A client that gave up before its slow answer (a channel's timeout, by design) makes
    the answer fail in the server's thread; socketserver would print that traceback to
    stderr, into whichever test this process runs next."""

    def handle_error(self, request: object, client_address: object) -> None:
        """Quiet: the tests assert on what the server received, not on how it answered."""


@contextmanager
def http_server(port: int | None = None, delay: float = 0.0) -> Iterator[tuple[int, Capture]]:
    capture = Capture(delay=delay)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            body = json.loads(self.rfile.read(length) or b"{}")
            threading.Event().wait(capture.delay)
            capture.posts.append((self.path, body))
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            """Quiet: the tests read `capture`, not the log."""

    server = _QuietHTTPServer(("127.0.0.1", port or free_port()), Handler)
    server.daemon_threads = True  # a slow answer never holds the test's end
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], capture
    finally:
        server.shutdown()
        server.server_close()


class HangingMailbox(Mailbox):
    """An SMTP server that takes the connection and the message, then never answers, until
    `answering` is set; a message it hung on is never stored."""

    def __init__(self) -> None:
        super().__init__()
        self.answering = threading.Event()

    async def handle_DATA(self, server, session, envelope) -> str:
        if not self.answering.is_set():
            while True:
                await asyncio.sleep(1)
        return await super().handle_DATA(server, session, envelope)


@contextmanager
def silent_server() -> Iterator[int]:
    """A TCP server that accepts connections and never says a word: an SMTP server that hangs
    before its greeting, or any service that stopped answering."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        for connection in held:
            connection.close()
        listener.close()
