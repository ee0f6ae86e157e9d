"""`assetsvc serve` as a real process on loopback, for the tests that need a server of their own
(schemathesis, the browser tests): API only, no worker and no scheduler, so nothing is probed."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from typing import Iterator

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def served(env: dict[str, str] | None = None) -> Iterator[str]:
    """Start the server on the test database, wait for /healthz, yield its base URL, stop it.

    Its output goes to a file, never to a pipe nobody reads: a full pipe would block the server."""
    port = free_port()
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen([sys.executable, "-m", "assetsvc.cli", "serve", "--no-worker", "--no-scheduler",
                                    "--port", str(port)], env={**os.environ, **(env or {})},
                                   stdout=subprocess.DEVNULL, stderr=log)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(150):  # bounded: at most ~30 s of polling
                if process.poll() is not None:
                    break
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            else:
                process.kill()
            if process.poll() is not None or httpx.get(f"{base}/healthz", timeout=2).status_code != 200:
                log.seek(0)
                pytest.fail(f"the server did not start:\n{log.read()[-3000:].decode(errors='replace')}")
            yield base
        finally:
            process.terminate()
            process.wait(timeout=30)
