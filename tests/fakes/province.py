"""A fake provincial platform (省级平台): a real HTTPS server on loopback with a test CA (trustme).

It honours the idempotency key (a key seen before gets its first receipt again and changes
nothing), checks the HMAC-SHA256 signature over "<timestamp>." + body, and records every request.
Scenario flags, changed between rounds by the test:
  down              nothing listens on the port (stop()/start() on the same port)
  slow_s            wait this long before answering (within the client's time limit)
  fail_500          answer 500 to this many more requests (the body is not taken)
  hang_after_body   take the body into effect, then never answer (the client times out)
  wrong key         a request signed with another key is refused with 401
  require_client_cert  the TLS handshake refuses a client without a certificate from the CA
"""

from __future__ import annotations

import hashlib
import hmac
import json
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import trustme


@dataclass
class Platform:
    """The platform's state and flags; start() serves it on 127.0.0.1."""

    key: str
    folder: Path
    slow_s: float = 0.0
    fail_500: int = 0
    hang_after_body: bool = False
    require_client_cert: bool = False
    in_effect: dict[str, dict] = field(default_factory=dict)  # idempotency key -> the body taken
    requests: list[dict] = field(default_factory=list)
    port: int = 0
    release: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.ca = trustme.CA()
        self.server_cert = self.ca.issue_cert("127.0.0.1")
        self.client_cert = self.ca.issue_cert("assetsvc-office@example.invalid")
        self.ca_pem = self.folder / "province-ca.pem"
        self.ca.cert_pem.write_to_path(str(self.ca_pem))
        self.client_pem = self.folder / "office-client.pem"
        self.client_cert.private_key_and_cert_chain_pem.write_to_path(str(self.client_pem))
        self.other_ca = trustme.CA()  # a CA the platform does not trust: its client certificate is refused
        self.stranger_pem = self.folder / "stranger-client.pem"
        self.other_ca.issue_cert("stranger@example.invalid").private_key_and_cert_chain_pem.write_to_path(
            str(self.stranger_pem))
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}/api/reports"

    @property
    def distinct_keys(self) -> int:
        return len(self.in_effect)

    def _context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.server_cert.configure_cert(context)
        if self.require_client_cert:
            self.ca.configure_trust(context)
            context.verify_mode = ssl.CERT_REQUIRED
        return context

    def start(self) -> None:
        """Listen (again) on the same port."""
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                platform.requests.append({"headers": dict(self.headers), "body": body})
                try:
                    platform.answer(self, body)
                except OSError:  # the client gave up (timed out)
                    pass

            def log_message(self, *args) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        server.socket = self._context().wrap_socket(server.socket, server_side=True)
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Be down: nothing listens (connections are refused)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def close(self) -> None:
        self.release.set()
        self.stop()

    def _send(self, handler: BaseHTTPRequestHandler, status: int, answer: dict) -> None:
        data = json.dumps(answer).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def answer(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        stamp = handler.headers.get("X-Assetsvc-Timestamp", "")
        expected = "sha256=" + hmac.new(self.key.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, handler.headers.get("X-Assetsvc-Signature", "")):
            self._send(handler, 401, {"error": "signature does not verify"})
            return
        if self.slow_s:
            time.sleep(self.slow_s)
        if self.fail_500 > 0:
            self.fail_500 -= 1
            self._send(handler, 500, {"error": "internal error"})
            return
        key = handler.headers.get("Idempotency-Key", "")
        document = json.loads(body)
        if document.get("idempotency_key") != key:
            self._send(handler, 400, {"error": "the key in the header and the body differ"})
            return
        first = key not in self.in_effect
        if first:
            self.in_effect[key] = document | {"receipt": f"SJ-{len(self.in_effect) + 1:04d}"}
        if self.hang_after_body:
            self.release.wait(30)  # taken into effect, never answered
            return
        self._send(handler, 200, {"receipt": self.in_effect[key]["receipt"], "duplicate": not first})
