"""The caller's address, believing X-Forwarded-For only from configured proxies.

`assetsvc serve` starts uvicorn with proxy headers off, so the ASGI peer is the real TCP peer.
Only when that peer is in ASSETSVC_TRUSTED_PROXIES does the nearest X-Forwarded-For hop that is
not itself a trusted proxy count instead (read right to left: a client may write any hops it
likes on the left). Default: no proxy is trusted and the peer counts.
"""

from __future__ import annotations

import ipaddress

from litestar.connection import ASGIConnection

from assetsvc.runtime import settings
from assetsvc.settings import Network


def _trusted(address: str, proxies: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in proxies)


def _forwarded_hops(connection: ASGIConnection) -> list[str]:
    values = connection.headers.getall("x-forwarded-for", [])
    return [hop.strip() for value in values for hop in value.split(",") if hop.strip()]


def client_address(connection: ASGIConnection) -> str:
    """The address the login rate limit charges."""
    peer = connection.client.host if connection.client else "unknown"
    proxies = settings().trusted_proxies
    if not proxies or not _trusted(peer, proxies):
        return peer
    for hop in reversed(_forwarded_hops(connection)):
        if _trusted(hop, proxies):
            continue
        try:
            return str(ipaddress.ip_address(hop))
        except ValueError:  # garbage where an address should be: charge the proxy, not a made-up name
            return peer
    return peer
