"""Where webhooks may go: never to this machine, link-local addresses or a cloud's metadata
service (SSRF), unless ASSETSVC_WEBHOOK_ALLOW_CIDRS allows it; ASSETSVC_WEBHOOK_DENY_CIDRS refuses
more. Private ranges stay allowed: office receivers live there.

Checked when an endpoint is saved (addresses written in the URL, `localhost`) and again before
every delivery, on every address the host name resolves to (a name can point anywhere later).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import Iterable

from assetsvc.runtime import settings
from assetsvc.settings import Network

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

REFUSED = tuple(ipaddress.ip_network(n) for n in (
    "0.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16",  # this host, loopback, link-local (AWS/Huawei/Tencent metadata)
    "100.100.100.200/32",  # Alibaba Cloud metadata
    "224.0.0.0/4", "255.255.255.255/32",  # multicast, broadcast
    "::/128", "::1/128", "fe80::/10", "ff00::/8", "fd00:ec2::254/128",  # ... and IPv6, AWS metadata
))
LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")


def address_problem(address: IPAddress, allow: Iterable[Network] = (), deny: Iterable[Network] = ()) -> str | None:
    """Why a webhook may not be sent to this address, or None."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if any(address in n for n in deny):
        return f"address {address} is in ASSETSVC_WEBHOOK_DENY_CIDRS"
    if any(address in n for n in allow):
        return None
    if any(address.version == n.version and address in n for n in REFUSED):
        return (f"address {address} is this machine, link-local or a cloud metadata service "
                "(ASSETSVC_WEBHOOK_ALLOW_CIDRS can allow it)")
    return None


def _limits() -> tuple[tuple[Network, ...], tuple[Network, ...]]:
    return settings().webhook_allow_cidrs, settings().webhook_deny_cidrs


def host_problem(host: str) -> str | None:
    """At registration: an address written in the URL, or a name for this machine."""
    allow, deny = _limits()
    name = host.strip("[]").lower().rstrip(".")
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        if name in LOCAL_NAMES or name.endswith(".localhost"):
            address = ipaddress.ip_address("127.0.0.1")
        else:
            return None  # a name: checked on its addresses at delivery time
    return address_problem(address, allow, deny)


async def resolved_problem(host: str, port: int) -> str | None:
    """Before a delivery: every address the host resolves to must be allowed."""
    allow, deny = _limits()
    name = host.strip("[]")
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(name, port, type=socket.SOCK_STREAM)
    except OSError:
        return None  # the send itself reports the DNS failure precisely
    for info in infos:
        problem = address_problem(ipaddress.ip_address(info[4][0].split("%")[0]), allow, deny)
        if problem:
            return f"{host} resolves to a refused address: {problem}"
    return None
