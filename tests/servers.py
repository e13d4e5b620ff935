"""Real servers on loopback for the alert tests: SMTP (aiosmtpd) and HTTP (stdlib)."""

from __future__ import annotations

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
def smtp_server() -> Iterator[tuple[int, Mailbox]]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, mailbox
    finally:
        controller.stop()


@dataclass
class Capture:
    """Every POST the HTTP server received: path and decoded JSON body."""

    posts: list[tuple[str, dict]] = field(default_factory=list)

    def bodies(self, path_prefix: str) -> list[dict]:
        return [body for path, body in self.posts if path.startswith(path_prefix)]


@contextmanager
def http_server(port: int | None = None) -> Iterator[tuple[int, Capture]]:
    capture = Capture()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            raw = self.rfile.read(length)
            capture.posts.append((self.path, json.loads(raw or b"{}")))
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            """Quiet: the tests read `capture`, not the log."""

    server = ThreadingHTTPServer(("127.0.0.1", port or free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], capture
    finally:
        server.shutdown()
        server.server_close()
