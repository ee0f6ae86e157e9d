"""Where a camera's stream is (取流地址): the port, path and query of an RTSP URI, never its host.

A URI comes from a device (ONVIF GetStreamUri) or an office sheet. Devices report their LAN
address, or one behind NAT, and a device must not aim our requests at another machine, so the
host always comes from the registry (as the ONVIF probe does for service addresses) and only
port, path and query are taken from the URI. The login some firmwares embed is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_PATH = 512  # longer paths are not stream paths (and would not fit the record's column)


@dataclass(frozen=True)
class StreamLocation:
    """Port (None: the URI gives none) and path with its query, e.g. "/cam/realmonitor?channel=1"."""

    port: int | None
    path: str


def stream_location(uri: str | None) -> StreamLocation | None:
    """The location in an rtsp:// URI or a bare path ("/Streaming/Channels/101"); None if neither."""
    text = (uri or "").strip()
    if not text or any(ord(c) < 32 for c in text):
        return None
    if text.startswith("/"):
        return StreamLocation(None, text[:MAX_PATH])
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:  # a port that is not a number, or out of range
        return None
    if parts.scheme.lower() not in ("rtsp", "rtsps", "rtspt") or not parts.hostname:
        return None
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return StreamLocation(port, path[:MAX_PATH])
