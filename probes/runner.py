"""The one place that owns a probe's timeout, timing and error classification."""

from __future__ import annotations

import asyncio
import errno
import logging
import ssl
import time
from typing import Any, Awaitable, Callable, Mapping

from probes.facts import typed
from probes.types import ErrorKind, ProbeError, ProbeResult, ProbeTarget

ProbeFn = Callable[[ProbeTarget], Awaitable[Mapping[str, Any]]]
log = logging.getLogger("probes")
_REFUSED = {errno.ECONNREFUSED, errno.ECONNRESET, errno.EHOSTUNREACH, errno.ENETUNREACH,
            errno.ECONNABORTED, errno.EPIPE, errno.EADDRNOTAVAIL}


def classify(exc: BaseException) -> tuple[ErrorKind, str]:
    """Map an exception that escaped a probe to an ErrorKind and a one-line message."""
    if isinstance(exc, ProbeError):
        return exc.kind, exc.message
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        return ErrorKind.TIMEOUT, "no answer in time"
    if isinstance(exc, ConnectionRefusedError):
        return ErrorKind.REFUSED, "connection refused"
    if isinstance(exc, (ConnectionResetError, ConnectionAbortedError, BrokenPipeError)):
        return ErrorKind.REFUSED, "connection closed by the device"
    if isinstance(exc, OSError) and exc.errno in _REFUSED:
        return ErrorKind.REFUSED, exc.strerror or str(exc)
    if isinstance(exc, OSError) and exc.errno is None and "getaddrinfo" in str(exc).lower():
        return ErrorKind.REFUSED, "host name does not resolve"
    if isinstance(exc, (ssl.SSLError, UnicodeError, ValueError, EOFError, asyncio.IncompleteReadError)):
        return ErrorKind.PROTOCOL, f"malformed reply ({type(exc).__name__})"
    return ErrorKind.PROTOCOL, f"unexpected failure ({type(exc).__name__})"


async def run_probe(kind: str, fn: ProbeFn, target: ProbeTarget, timeout_s: float) -> ProbeResult:
    """Run one probe function under a hard time limit and type its facts (probes.facts).

    Never raises, but for cancellation and for UnknownFact: a probe reporting a key its record
    does not declare is a programming error, not a device's failure.
    """
    start = time.perf_counter()
    try:
        async with asyncio.timeout(timeout_s):
            facts = await fn(target)
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # every failure becomes a classified result
        error, message = classify(exc)
        facts = typed(kind, exc.facts if isinstance(exc, ProbeError) else {})
        if error is ErrorKind.PROTOCOL and not isinstance(exc, ProbeError):
            log.debug("probe %s on %s failed: %r", kind, target.host, exc)
        return ProbeResult(kind, target.host, False, time.perf_counter() - start, error, message, facts)
    elapsed = time.perf_counter() - start
    return ProbeResult(kind, target.host, True, elapsed, None, "", typed(kind, facts))
