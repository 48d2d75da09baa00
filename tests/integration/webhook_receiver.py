"""A real HTTP server on loopback that records the webhook requests it receives."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Receiver:
    """A real HTTP server on loopback that records what it is sent."""

    def __init__(self, status: int = 200, statuses: Sequence[int] = ()) -> None:
        """Answer ``statuses`` in turn to the first requests, then ``status``."""
        self.statuses = list(statuses)
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else status)
                self.end_headers()
                with receiver.arrived:
                    receiver.received.append((dict(self.headers), body))
                    receiver.arrived.notify_all()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait(self, count: int, timeout: float = 10.0) -> bool:
        """Block until ``count`` requests have arrived (run it in a thread from async code)."""
        with self.arrived:
            return self.arrived.wait_for(lambda: len(self.received) >= count, timeout)

    def events(self, key: str) -> list[dict[str, Any]]:
        """The bodies received, each checked against its signature (a bad one raises)."""
        found = []
        for headers, body in list(self.received):
            expected = hmac.new(key.encode(), f"{headers['X-Timestamp']}.".encode() + body, hashlib.sha256).hexdigest()
            if not hmac.compare_digest(headers["X-Signature"], expected):
                raise AssertionError("bad webhook signature")
            found.append(json.loads(body))
        return found
