"""One signed HTTPS POST of a delivery to the province, and its Outcome (ok, status, error, receipt).

The signature is the webhooks' one (webhooks/sending.py: HMAC-SHA256 over "<timestamp>." + body),
made anew on every attempt; the idempotency key goes in its own header and in the body. httpx
and ssl objects stay in this module. A 2xx answer's body is the platform's receipt (capped).
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass

import httpx

from assetsvc.reports.province.config import Target
from assetsvc.webhooks.sending import BODY_CAP, describe, signature

USER_AGENT = "assetsvc-province/1"
RECEIPT_CAP = 4000  # bytes of a 2xx answer kept as the receipt
MAX_ERROR = 300


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status: int | None = None
    error: str | None = None
    receipt: str | None = None


def tls_context(target: Target) -> ssl.SSLContext:
    """Server verification against the CA bundle (system store without one), and our client
    certificate when the platform asks for one. A file that cannot be read is an OSError/SSLError."""
    context = ssl.create_default_context(cafile=target.ca_bundle) if target.ca_bundle else \
        ssl.create_default_context()
    if target.client_cert:
        context.load_cert_chain(target.client_cert, target.client_key or None)
    return context


def new_client(target: Target) -> httpx.AsyncClient:
    """No redirects, no proxy from the environment (see webhooks.delivery.new_client), TLS as configured."""
    return httpx.AsyncClient(timeout=httpx.Timeout(target.timeout_s), follow_redirects=False, trust_env=False,
                             verify=tls_context(target))


def headers(target: Target, key: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {"Content-Type": "application/json", "User-Agent": USER_AGENT, "Accept-Encoding": "identity",
            "Idempotency-Key": key, "X-Assetsvc-Timestamp": str(timestamp),
            "X-Assetsvc-Signature": signature(target.secret, timestamp, body)}


def _short(text: str) -> str:
    flat = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return flat if len(flat) <= MAX_ERROR else flat[:MAX_ERROR - 3] + "..."


async def _read(answer: httpx.Response, cap: int) -> str:
    kept = b""
    async for chunk in answer.aiter_raw():
        kept += chunk
        if len(kept) >= cap:
            break
    return kept[:cap].decode("utf-8", "replace").strip()


async def post(client: httpx.AsyncClient, target: Target, key: str, payload: str, timestamp: int) -> Outcome:
    """POST the stored body, signed for `timestamp`; the whole exchange within 3 x the timeout."""
    content = payload.encode("utf-8")
    try:
        async with asyncio.timeout(target.timeout_s * 3):
            async with client.stream("POST", target.url, content=content, follow_redirects=False,
                                     headers=headers(target, key, timestamp, content)) as answer:
                if 200 <= answer.status_code < 300:
                    return Outcome(True, answer.status_code, receipt=await _read(answer, RECEIPT_CAP))
                text = await _read(answer, BODY_CAP)
                return Outcome(False, answer.status_code,
                               _short(f"http: HTTP {answer.status_code}" + (f": {text}" if text else "")))
    except (httpx.HTTPError, OSError, TimeoutError) as exc:
        return Outcome(False, None, _short(_broken_after_handshake(exc) or describe(exc, client)))


async def send(target: Target, key: str, payload: str, timestamp: int) -> Outcome:
    """One attempt with its own client: certificate files that cannot be read are the attempt's
    error (tls: ...), as the platform's answer or a broken connection is (post)."""
    try:
        client = new_client(target)
    except (OSError, ssl.SSLError) as exc:  # a CA bundle or client certificate that cannot be read
        return Outcome(False, None, f"tls: the configured certificate files cannot be used: {exc}"[:MAX_ERROR])
    async with client:
        return await post(client, target, key, payload, timestamp)


def _broken_after_handshake(exc: BaseException) -> str | None:
    """anyio quirk (anyio/streams/tls.py, _call_sslobject_method): with TLS 1.3 the server checks our
    client certificate after the handshake has completed on our side; its refusal (an alert, then
    the connection closed) breaks our write or read, and anyio raises BrokenResourceError, bare or
    from the socket's reset, so the alert's text is lost. When no TLS error is left in the chain,
    say what it most likely is."""
    chain, current = [], exc
    while current is not None and len(chain) < 10:
        chain.append(current)
        current = current.__cause__ or current.__context__
    if any(isinstance(c, ssl.SSLError) for c in chain):
        return None  # describe() names the TLS error itself
    if any(type(c).__name__ == "BrokenResourceError" for c in chain):
        return ("tls: the platform broke the connection after the TLS handshake (with TLS 1.3 this is how a "
                "refused or missing client certificate shows): check client_cert")
    return None
