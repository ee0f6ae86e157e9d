"""Keep the Region table holding every district in use and its city and province."""

from __future__ import annotations

from typing import Iterable

from assetsvc.registry import regions
from assetsvc.registry.tables import Region


async def ensure_regions(codes: Iterable[str | None]) -> None:
    """Insert the GB/T 2260 rows (with ancestors) for codes not yet in the Region table."""
    wanted: set[str] = set()
    for code in codes:
        while code:
            found = regions.region(code)
            if found is None or found.code in wanted:
                break
            wanted.add(found.code)
            code = found.parent_code
    if not wanted:
        return
    have = {r["code"] for r in await Region.select(Region.code).where(Region.code.is_in(sorted(wanted))).run()}
    rows = []
    for code in sorted(wanted - have):
        found = regions.region(code)
        rows.append(Region(code=found.code, name=found.name, level=found.level, parent_code=found.parent_code))
    if rows:
        await Region.insert(*rows).run()
