"""Evidence frames (证据图): picture grabs kept as small JPEGs so the office and the contractor look at
the same picture (docs/probes-iq.md, "Evidence frames").

- The writer keeps a camera's grab when its verdict differs from the last kept frame's, or the last
  kept frame of its kind (fault, good) is older than ASSETSVC_EVIDENCE_EVERY_S: the first grab of a
  fault is always kept, and the camera's last good frame before it.
- A picture ticket holds the fault frame and the last good frame before it (picture_frame_link,
  asked through monitoring/service.py): held frames are never evicted; when the ticket finishes the
  hold becomes a keep-until (ASSETSVC_EVIDENCE_KEEP_DAYS after closing); a reopening or a dispute
  holds them again.
- Bounded: the newest ASSETSVC_EVIDENCE_PER_CAMERA frames per camera (and its newest good frame
  beside them) at each write, and ASSETSVC_EVIDENCE_MAX_MB in total (the oldest frames no
  ticket keeps go first) by the `evidence_evict` job.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from assetsvc import bulk
from assetsvc.actor import Actor
from assetsvc.errors import Forbidden, NotFound
from assetsvc.monitoring.tables import PictureFrame, PictureFrameLink
from assetsvc.monitoring.uptime_input import iso
from assetsvc.runtime import settings
from probes.iq_evidence import Evidence

COLUMNS = "f.id, f.camera_id, f.kind, f.at, f.width, f.height, f.size, f.verdict, f.faults"
# A frame some ticket keeps: held (active or disputed ticket), or within its keep-until.
KEPT = ("SELECT frame_id FROM picture_frame_link WHERE held = ? OR keep_until > ?")
# A streak's `since` is the `at` of its first failing check, and the worker keeps that grab's frame
# with the same `at` (worker.py); the slack only absorbs a float's round trip through the database.
STREAK_SLACK_S = 1.0


@dataclass(frozen=True)
class Frame:
    """An evidence frame's description (the JPEG is read apart: frame_jpeg)."""

    id: int
    camera_id: int
    kind: str  # fault | good
    at: float
    width: int
    height: int
    size: int
    verdict: str
    faults: tuple[str, ...]
    role: str = ""  # for a ticket: fault | good

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Frame:
        return cls(row["id"], row["camera_id"], row["kind"], row["at"], row["width"], row["height"], row["size"],
                   row["verdict"], tuple(bulk.json_column(row["faults"], [])), row.get("role") or "")

    def to_json(self, url: str) -> dict[str, Any]:
        return {"id": self.id, "camera_id": self.camera_id, "kind": self.kind, "at": iso(self.at),
                "width": self.width, "height": self.height, "size": self.size, "verdict": self.verdict,
                "faults": list(self.faults), **({"role": self.role} if self.role else {}),
                "url": f"{url}/{self.id}"}


def _kind(shown: Evidence) -> str:
    return "good" if shown.verdict == "ok" else "fault"


async def record(grabs: Sequence[tuple[int, Evidence, float]], now: float) -> int:
    """Keep the grabs worth keeping (camera id, evidence, at) in the caller's write transaction, then
    trim those cameras to their newest frames. Returns how many were kept."""
    if not grabs:
        return 0
    conf = settings()
    cameras = sorted({c for c, _, _ in grabs})
    newest = await bulk.fetch_in(PictureFrame, "SELECT camera_id, kind, verdict, at FROM picture_frame WHERE "
                                 "camera_id IN ({in}) ORDER BY at", cameras)
    last: dict[int, tuple[str, float]] = {}  # camera -> (verdict, at) of its newest frame
    last_of: dict[tuple[int, str], float] = {}  # (camera, kind) -> at of its newest frame of that kind
    for row in newest:
        last[row["camera_id"]] = (row["verdict"], row["at"])
        last_of[(row["camera_id"], row["kind"])] = row["at"]
    rows = []
    for camera_id, shown, at in sorted(grabs, key=lambda g: g[2]):
        kind, before = _kind(shown), last.get(camera_id)
        stale = at - last_of.get((camera_id, kind), float("-inf")) >= conf.evidence_every_s
        if before is not None and before[0] == shown.verdict and not stale:
            continue
        rows.append([camera_id, kind, at, shown.width, shown.height, len(shown.jpeg), shown.verdict,
                     json.dumps(list(shown.faults)), json.dumps(shown.stats_json()), shown.jpeg])
        last[camera_id], last_of[(camera_id, kind)] = (shown.verdict, at), at
    await bulk.execute_many(PictureFrame, "INSERT INTO picture_frame (camera_id, kind, at, width, height, size, "
                            "verdict, faults, stats, jpeg) VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
    if rows:
        await trim(sorted({r[0] for r in rows}), now)
    return len(rows)


async def trim(cameras: Iterable[int], now: float) -> None:
    """Keep each camera's newest frames (ASSETSVC_EVIDENCE_PER_CAMERA), its newest good frame (when
    older than those) and every frame a ticket keeps."""
    per_camera = settings().evidence_per_camera
    await bulk.execute_many(PictureFrame, f"""DELETE FROM picture_frame WHERE camera_id = ?
        AND id NOT IN (SELECT id FROM picture_frame WHERE camera_id = ? ORDER BY at DESC, id DESC LIMIT ?)
        AND id NOT IN (SELECT id FROM picture_frame WHERE camera_id = ? AND kind = 'good'
                       ORDER BY at DESC, id DESC LIMIT 1)
        AND id NOT IN ({KEPT})""", [[c, c, per_camera, c, True, now] for c in cameras])


async def evict(now: float | None = None) -> dict[str, int]:
    """The total cap (ASSETSVC_EVIDENCE_MAX_MB): delete the oldest frames no ticket keeps until the rest
    fit, and links whose keep-until passed. Runs as a scheduled job in its own transaction."""
    from assetsvc import db

    now = time.time() if now is None else now
    cap = settings().evidence_max_mb * 2**20
    deleted = 0
    async with db.write_transaction():
        await bulk.execute_many(PictureFrameLink, "DELETE FROM picture_frame_link WHERE held = ? AND "
                                "keep_until IS NOT NULL AND keep_until <= ?", [[False, now]])
        total = (await bulk.fetch(PictureFrame, "SELECT COALESCE(SUM(size), 0) AS total FROM picture_frame"))[0]
        over = int(total["total"]) - cap
        if over > 0:
            oldest = await bulk.fetch(PictureFrame, f"SELECT id, size FROM picture_frame WHERE id NOT IN ({KEPT}) "
                                      f"ORDER BY at, id LIMIT 10000", [True, now])
            doomed = []
            for row in oldest:
                if over <= 0:
                    break
                doomed.append([row["id"]])
                over -= row["size"]
            await bulk.execute_many(PictureFrame, "DELETE FROM picture_frame WHERE id = ?", doomed)
            deleted = len(doomed)
        await bulk.execute_many(PictureFrameLink, "DELETE FROM picture_frame_link WHERE frame_id NOT IN "
                                "(SELECT id FROM picture_frame)", [[]] if deleted else [])
    return {"deleted": deleted}


async def forget(camera_ids: Iterable[int], now: float) -> None:
    """A camera that left service: its frames go, except those a ticket keeps (caller's transaction)."""
    await bulk.execute_many(PictureFrame, f"DELETE FROM picture_frame WHERE camera_id = ? AND id NOT IN ({KEPT})",
                            [[c, True, now] for c in camera_ids])


# ---- tickets' evidence (asked through monitoring/service.py) ---------------------------------------

async def hold(camera_id: int, ticket_id: int, since: float, cause: str = "") -> list[Frame]:
    """Link a picture ticket to its evidence and hold it: the frame that showed the fault and the
    camera's last good frame before that one. Caller's transaction; nothing to link is no error.

    The fault frame shows the ticket's own fault (`cause` picture:<fault>: the frame's verdict or one
    of its faults; any fault when no cause is given) and belongs to its streak: the first such frame
    grabbed at `since` (when the streak's first failing check ran) or later; else, when the writer
    kept none then because the newest kept frame already showed that verdict (the streak began again
    after a gap, within ASSETSVC_EVIDENCE_EVERY_S), that frame, if no good frame was kept after it.
    A frame of an earlier fault or of another fault is never linked: a frozen found by the stream
    continuity check alone grabs no picture, and its ticket has no fault frame rather than a dark one."""
    fault = cause.partition(":")[2] if cause.startswith("picture:") else ""
    rows = await bulk.fetch(PictureFrame, "SELECT id, at, kind, verdict, faults FROM picture_frame WHERE "
                            "camera_id = ? ORDER BY at, id", [camera_id])
    shows = [r for r in rows if r["kind"] == "fault" and (not fault or r["verdict"] == fault
                                                          or fault in bulk.json_column(r["faults"], []))]
    found = next((r for r in shows if r["at"] >= since - STREAK_SLACK_S), None)
    if found is None:  # the writer kept no grab at `since`: the newest frame before it showed this
        # fault, and recently enough that the writer would have kept a new grab otherwise
        before = [r for r in rows if r["at"] < since - STREAK_SLACK_S]
        if before and before[-1] in shows and since - before[-1]["at"] < settings().evidence_every_s:
            found = before[-1]
    if found is None:
        return []
    good = [r for r in rows if r["kind"] == "good" and r["at"] < found["at"]]
    links = [[found["id"], ticket_id, "fault"]] + ([[good[-1]["id"], ticket_id, "good"]] if good else [])
    await bulk.execute_many(PictureFrameLink, "INSERT INTO picture_frame_link (frame_id, ticket_id, role, held, "
                            "keep_until) VALUES (?,?,?,?,NULL)", [[*link, True] for link in links])
    return await of_ticket(ticket_id)


async def set_hold(ticket_id: int, held: bool, keep_until: float | None) -> None:
    """Hold a ticket's evidence (active again, disputed), or release it to be kept until `keep_until`."""
    await bulk.execute_many(PictureFrameLink, "UPDATE picture_frame_link SET held = ?, keep_until = ? WHERE "
                            "ticket_id = ?", [[held, None if held else keep_until, ticket_id]])


async def of_ticket(ticket_id: int) -> list[Frame]:
    rows = await bulk.fetch(PictureFrame, f"SELECT {COLUMNS}, l.role FROM picture_frame f JOIN picture_frame_link l "
                            f"ON l.frame_id = f.id WHERE l.ticket_id = ? ORDER BY f.at, f.id", [ticket_id])
    return [Frame.from_row(r) for r in rows]


async def ticket_jpeg(ticket_id: int, frame_id: int) -> bytes | None:
    rows = await bulk.fetch(PictureFrame, "SELECT f.jpeg FROM picture_frame f JOIN picture_frame_link l ON "
                            "l.frame_id = f.id WHERE l.ticket_id = ? AND f.id = ?", [ticket_id, frame_id])
    return bytes(rows[0]["jpeg"]) if rows else None


async def ticket_grab(ticket_id: int) -> tuple[int, Evidence] | None:
    """(camera id, the fault frame as Evidence) of a ticket: what a false alarm teaches the baseline."""
    rows = await bulk.fetch(PictureFrame, "SELECT f.* FROM picture_frame f JOIN picture_frame_link l ON "
                            "l.frame_id = f.id WHERE l.ticket_id = ? AND l.role = 'fault'", [ticket_id])
    if not rows:
        return None
    row = rows[0]
    doc = bulk.json_column(row["stats"], {})
    return row["camera_id"], Evidence(bytes(row["jpeg"]), row["width"], row["height"], row["verdict"],
                                      tuple(bulk.json_column(row["faults"], [])), str(doc.get("mode") or "day"),
                                      dict(doc.get("stats") or {}))


# ---- people reading a camera's frames ---------------------------------------------------------------

async def _visible_camera(actor: Actor, camera_id: int) -> None:
    """The camera's scoping: the office and auditors see every camera, a contractor those it maintains."""
    if actor.role not in ("admin", "auditor", "contractor"):
        raise Forbidden("this account may not read evidence frames")
    where, args = (" AND contractor = ?", [actor.contractor_id]) if actor.is_contractor else ("", [])
    if not await bulk.fetch(PictureFrame, f"SELECT id FROM camera WHERE id = ?{where}", [camera_id, *args]):
        raise NotFound(f"no camera {camera_id}")


async def camera_frames(actor: Actor, camera_id: int) -> list[Frame]:
    """A camera's kept frames, newest first."""
    await _visible_camera(actor, camera_id)
    return await of_camera(camera_id)


async def of_camera(camera_id: int) -> list[Frame]:
    rows = await bulk.fetch(PictureFrame, f"SELECT {COLUMNS} FROM picture_frame f WHERE f.camera_id = ? "
                            f"ORDER BY f.at DESC, f.id DESC", [camera_id])
    return [Frame.from_row(r) for r in rows]


async def camera_jpeg(actor: Actor, camera_id: int, frame_id: int) -> bytes:
    await _visible_camera(actor, camera_id)
    rows = await bulk.fetch(PictureFrame, "SELECT jpeg FROM picture_frame WHERE id = ? AND camera_id = ?",
                            [frame_id, camera_id])
    if not rows:
        raise NotFound(f"camera {camera_id} has no evidence frame {frame_id}")
    return bytes(rows[0]["jpeg"])
