"""Camera types (摄像机类型) as other slices ask for them: which cameras people turn (球机, 遥控枪机).

The codes are the sheet's (fields.CODE_TABLES["camera_type"]); monitoring reads them here, not from
the camera table, to know whose view may change without a fault (docs/probes-iq.md, pan-tilt cameras).
"""

from __future__ import annotations

from typing import Iterable

from assetsvc import bulk
from assetsvc.registry.tables import Camera

PAN_TILT = frozenset({1, 4})
"""球机 (PTZ dome) and 遥控枪机 (remotely controlled bullet): an operator turns them and may leave them."""


def turns(camera_type: int | None) -> bool:
    """Whether a camera of this type is turned by people (pan-tilt); unknown (None, 99) is not."""
    return camera_type in PAN_TILT


async def camera_types(camera_ids: Iterable[int]) -> dict[int, int | None]:
    """Each existing camera's registered type code (None when the record gives none)."""
    rows = await bulk.fetch_in(Camera, "SELECT id, camera_type FROM camera WHERE id IN ({in})",
                               [int(i) for i in camera_ids])
    return {row["id"]: row["camera_type"] for row in rows}
