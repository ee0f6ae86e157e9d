"""One signed POST of a webhook delivery, and what went wrong in words a person can act on.

httpx objects stay in this module: the caller gets an Outcome (ok, HTTP status, error text).
Receivers are untrusted: redirects are not followed, the whole exchange has a time limit, and at
most BODY_CAP bytes of an error answer are read (undecoded, for the error text).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import socket
import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from assetsvc.webhooks.targets import resolved_problem

TOTAL_S = 30.0  # the whole exchange, whatever the client's per-phase timeouts
BODY_CAP = 512  # bytes of a non-2xx answer kept for the error text
MAX_ERROR = 300  # the last_error column
USER_AGENT = "assetsvc-webhooks/1"


@dataclass(frozen=True)
class Outcome:
    """An attempt's result: ok on 2xx; `error` starts with its kind (http, timeout, refused, dns,
    tls, connect, protocol, url)."""

    ok: bool
    status: int | None = None
    error: str | None = None


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """sha256=<hex HMAC-SHA256(secret, b"<timestamp>." + body)>."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def headers(event: str, delivery: str, secret: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The request headers of one attempt (the timestamp and signature are new on every attempt)."""
    return {"Content-Type": "application/json", "User-Agent": USER_AGENT, "Accept-Encoding": "identity",
            "X-Assetsvc-Event": event, "X-Assetsvc-Delivery": delivery,
            "X-Assetsvc-Timestamp": str(timestamp),
            "X-Assetsvc-Signature": signature(secret, timestamp, body)}


def _short(text: str) -> str:
    flat = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return flat if len(flat) <= MAX_ERROR else flat[:MAX_ERROR - 3] + "..."


def _causes(exc: BaseException) -> list[BaseException]:
    chain, seen = [], set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _seconds(client: httpx.AsyncClient, phase: str) -> str:
    value = getattr(client.timeout, phase, None)
    return f"{value:g} s" if isinstance(value, (int, float)) else "the time limit"


def describe(exc: BaseException, client: httpx.AsyncClient) -> str:
    """A transport failure as '<kind>: <what happened>'."""
    if isinstance(exc, httpx.ConnectTimeout):
        return f"timeout: connecting (TCP or TLS handshake) took longer than {_seconds(client, 'connect')}"
    if isinstance(exc, httpx.ReadTimeout):
        return f"timeout: no answer within {_seconds(client, 'read')}"
    if isinstance(exc, (httpx.WriteTimeout, httpx.PoolTimeout)):
        return f"timeout: sending the request took longer than {_seconds(client, 'write')}"
    if isinstance(exc, (TimeoutError, asyncio.TimeoutError)):
        return f"timeout: the exchange took longer than {TOTAL_S:g} s in all"
    if isinstance(exc, (httpx.UnsupportedProtocol, httpx.InvalidURL)):
        return f"url: {exc}"
    chain = _causes(exc)
    for cause in chain:
        if isinstance(cause, ConnectionRefusedError):
            return "refused: connection refused (nothing listens on that port, or a firewall rejects it)"
        if isinstance(cause, socket.gaierror):
            return f"dns: the host name does not resolve ({cause.strerror or cause})"
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"tls: certificate not accepted ({cause.verify_message or cause.reason})"
        if isinstance(cause, ssl.SSLError):
            return f"tls: {cause.reason or cause}"
    if isinstance(exc, httpx.ConnectError):
        detail = next((str(c) for c in reversed(chain) if str(c)), type(exc).__name__)
        return f"connect: {detail}"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"protocol: {exc}"
    return f"http: {type(exc).__name__}: {exc}"


async def _exchange(client: httpx.AsyncClient, url: str, content: bytes, sent: dict[str, str]) -> Outcome:
    async with client.stream("POST", url, content=content, headers=sent, follow_redirects=False) as answer:
        if 200 <= answer.status_code < 300:
            return Outcome(True, answer.status_code)  # the body is never read
        kept = b""
        async for chunk in answer.aiter_raw():
            kept += chunk
            if len(kept) >= BODY_CAP:
                break
        text = kept[:BODY_CAP].decode("utf-8", "replace").strip()
        moved = answer.headers.get("location") if 300 <= answer.status_code < 400 else None
        reason = f" (redirects are not followed; Location: {moved})" if moved else ""
        return Outcome(False, answer.status_code,
                       _short(f"http: HTTP {answer.status_code}{reason}" + (f": {text}" if text else "")))


async def post(client: httpx.AsyncClient, url: str, secret: str, item: dict[str, Any], timestamp: int) -> Outcome:
    """POST one delivery's stored body, signed for `timestamp` (Unix seconds)."""
    content = item["payload"].encode("utf-8")
    sent = headers(item["event"], item["delivery"], secret, timestamp, content)
    try:
        async with asyncio.timeout(TOTAL_S):
            parts = urlsplit(url)
            refused = await resolved_problem(parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80))
            if refused:
                return Outcome(False, None, _short(f"refused: {refused}"))
            return await _exchange(client, url, content, sent)
    except (httpx.HTTPError, httpx.InvalidURL, OSError, TimeoutError) as exc:
        return Outcome(False, None, _short(describe(exc, client)))
