"""Test the connection to the configured provincial platform (the office's "test" button).

One signed POST of a `ping` body (kind "ping", its own idempotency key `ping:<time>:<random>`, the
area and unit codes) with the stored endpoint, TLS files, signing key and time limit: exactly the
path a report takes, so a wrong CA, a refused client certificate, a wrong key (the platform's
401) or a platform that is down shows here before a month's report waits on it. Nothing is stored;
a platform that does not know `ping` answers with an error status, which still proves the network
and TLS path (`reached`).
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import time
from typing import Any

from assetsvc.actor import Actor
from assetsvc.errors import Conflict, Forbidden, NotFound
from assetsvc.reports.province import config
from assetsvc.reports.province.sending import send
from assetsvc.secrets import KeyError_


def ping_body(target: config.Target, key: str, at: float) -> str:
    sent = dt.datetime.fromtimestamp(at, dt.timezone.utc).isoformat(timespec="seconds")
    return json.dumps({"kind": "ping", "idempotency_key": key, "area_code": target.area_code,
                       "unit_code": target.unit_code, "mapping": target.mapping, "sent_at": sent},
                      ensure_ascii=False, separators=(",", ":"), sort_keys=True)


async def test_connection(actor: Actor) -> dict[str, Any]:
    """Send a signed ping to the configured platform: whether it answered, its status, error and answer."""
    if actor.role != "admin":
        raise Forbidden("only the video office (admin) tests the connection to the provincial platform")
    try:
        target = await config.target()
    except KeyError_ as exc:
        raise Conflict(f"the signing key cannot be opened with the credential key: {exc}") from None
    if target is None:
        raise NotFound("the provincial platform is not configured yet")
    at = time.time()
    key = f"ping:{int(at)}:{secrets.token_hex(4)}"
    started = time.perf_counter()
    outcome = await send(target, key, ping_body(target, key, at), int(at))
    return {"url": target.url, "ok": outcome.ok, "reached": outcome.status is not None, "status": outcome.status,
            "error": outcome.error, "answer": outcome.receipt, "idempotency_key": key,
            "elapsed_ms": round((time.perf_counter() - started) * 1000)}
