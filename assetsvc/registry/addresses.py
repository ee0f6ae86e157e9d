"""The device addresses the registry knows (for discovery and sweep diffs)."""

from __future__ import annotations

from assetsvc.registry.tables import Camera, UpstreamDevice


async def registered_addresses() -> list[str]:
    """Every IPv4/IPv6 address a camera or upstream device of the registry carries."""
    found: list[str] = []
    for row in await Camera.select(Camera.ipv4, Camera.ipv6).run():
        found += [a for a in (row["ipv4"], row["ipv6"]) if a]
    for row in await UpstreamDevice.select(UpstreamDevice.ipv4).run():
        if row["ipv4"]:
            found.append(row["ipv4"])
    return list(dict.fromkeys(found))
