"""Which stream a camera's checks use (取流地址), and the stream URIs cameras report through ONVIF.

In order: the URI or path the registry gives (Camera.stream_uri); the one ONVIF last reported
(stream_source, written by the deep and inventory checks); the class's vendor default
(`options.vendor_paths`, matched on the registered vendor); the class's `options.rtsp_path`.
A stream ONVIF reported comes with the frame rate its profile declares (FrameRateLimit): a cap,
which the continuity check measures against only where it is lower than the stream's own rate.
Only port, path and query are taken from a URI: the host is always the registry's
(probes.stream_uri). The deep continuity check asks for the sub stream (`options.stream = "sub"`)
and gets it where ONVIF reported one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from assetsvc import bulk
from assetsvc.monitoring.tables import StreamSource
from probes.stream_uri import stream_location

URI_MAX = 1024  # width of the stream_source columns


@dataclass(frozen=True)
class Reported:
    """The URIs a camera reported (login removed), the rates its profiles declare, and when read (Unix s)."""

    main: str
    sub: str
    snapshot: str
    read_at: float
    main_fps: float | None = None  # the profile's RateControl/FrameRateLimit
    sub_fps: float | None = None


@dataclass(frozen=True)
class StreamChoice:
    """The stream a check uses: port (None: the URI names none), path with query, and where it came from."""

    port: int | None
    path: str
    source: str  # registry | onvif | vendor | class
    declared_fps: float | None = None  # the frame rate ONVIF declares for this stream, if it came from ONVIF


def _fps(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value <= 1000 \
        else None


def reported_from(profiles: Any, at: float) -> Reported | None:
    """Main (first profile with a stream URI), sub (the next one) and snapshot URI of onvif_deep's profiles."""
    if not isinstance(profiles, list):
        return None
    streams = [p for p in profiles if isinstance(p, Mapping)
               and isinstance(p.get("stream_uri"), str) and stream_location(p["stream_uri"]) is not None]
    snapshots = [p["snapshot_uri"] for p in profiles if isinstance(p, Mapping)
                 and isinstance(p.get("snapshot_uri"), str) and p["snapshot_uri"]]
    if not streams and not snapshots:
        return None
    main, sub = (streams + [{}, {}])[:2]
    return Reported(main.get("stream_uri", "")[:URI_MAX], sub.get("stream_uri", "")[:URI_MAX],
                    snapshots[0][:URI_MAX] if snapshots else "", at, _fps(main.get("fps")), _fps(sub.get("fps")))


def _vendor_path(options: Mapping[str, Any], vendor: str) -> str | None:
    table = options.get("vendor_paths")
    if not isinstance(table, Mapping) or not vendor:
        return None
    folded = vendor.casefold()
    for name, path in table.items():  # first match in the file's order
        if isinstance(name, str) and isinstance(path, str) and name.casefold() in folded:
            return path
    return None


def choose(registry_uri: str, reported: Reported | None, options: Mapping[str, Any], vendor: str) -> StreamChoice:
    """The stream to check: the registry's, ONVIF's (sub stream if options say so), vendor, class default."""
    found = stream_location(registry_uri)
    if found is not None:
        return StreamChoice(found.port, found.path, "registry")
    if reported is not None:
        sub = options.get("stream") == "sub" and bool(reported.sub)
        found = stream_location(reported.sub if sub else reported.main)
        if found is not None:
            return StreamChoice(found.port, found.path, "onvif", reported.sub_fps if sub else reported.main_fps)
    found = stream_location(_vendor_path(options, vendor))
    if found is not None:
        return StreamChoice(found.port, found.path, "vendor")
    found = stream_location(str(options.get("rtsp_path", "/")))
    return StreamChoice(found.port if found else None, found.path if found else "/", "class")


async def load(camera_ids: Iterable[int]) -> dict[int, Reported]:
    """The last reported URIs of these cameras."""
    rows = await bulk.fetch_in(StreamSource, "SELECT camera_id, main_uri, sub_uri, snapshot_uri, read_at, main_fps, "
                               "sub_fps FROM stream_source WHERE camera_id IN ({in})", list(camera_ids))
    return {r["camera_id"]: Reported(r["main_uri"], r["sub_uri"], r["snapshot_uri"], r["read_at"], r["main_fps"],
                                     r["sub_fps"]) for r in rows}


async def record(items: Sequence[tuple[int, Mapping[str, Any], float]]) -> int:
    """(camera_id, onvif_deep facts, at): store the URIs of results that read profiles; returns how many.

    A deep check whose GetProfiles or GetStreamUri failed reports nothing: the last URIs read stay.
    """
    rows = []
    for camera_id, facts, at in items:
        found = reported_from(facts.get("profiles"), at)
        if found is not None:
            rows.append([camera_id, found.main, found.sub, found.snapshot, found.main_fps, found.sub_fps,
                         found.read_at])
    newest = {row[0]: row for row in rows}  # one row per camera (the latest result in the batch)
    await bulk.execute_many(StreamSource, "INSERT INTO stream_source (camera_id, main_uri, sub_uri, snapshot_uri, "
                            "main_fps, sub_fps, read_at) VALUES (?,?,?,?,?,?,?) ON CONFLICT (camera_id) DO UPDATE "
                            "SET main_uri = excluded.main_uri, sub_uri = excluded.sub_uri, "
                            "snapshot_uri = excluded.snapshot_uri, main_fps = excluded.main_fps, "
                            "sub_fps = excluded.sub_fps, read_at = excluded.read_at "
                            "WHERE stream_source.read_at <= excluded.read_at", list(newest.values()))
    return len(newest)
