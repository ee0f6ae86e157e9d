"""Benchmark: import a 100,000-camera office sheet into an empty, freshly migrated database.

    python bench/import_100k.py --engine sqlite [--rows 100000] [--format xlsx|csv]
    python bench/import_100k.py --engine postgres

Prints figures; asserts nothing about time. The phases are timed around the importer's public
functions: read_sheet, validate_rows, then the whole import_sheet (write = import - read -
validate), then the same import again (every row "unchanged").
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import gc
import sys
import time
from pathlib import Path

import common

TARGET_S = 60.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--format", choices=("xlsx", "csv"), default="xlsx")
    args = parser.parse_args()

    # The environment first: assetsvc reads ASSETSVC_* when its modules are imported.
    bench = common.configure(args.engine)
    try:
        common.print_machine(args.engine)
        path, made_in = common.make_sheet_file(args.rows, args.format, bench.data_dir)
        print(f"\nsheet: {path.name}, {path.stat().st_size / 2**20:.1f} MB, {args.rows:,} rows "
              f"(generated in {made_in:.1f} s by a child process, not counted below)")
        asyncio.run(run(path, args.rows, args.engine))
    finally:
        common.drop(bench)


async def run(path: Path, rows: int, engine: str) -> None:
    from assetsvc.audit.tables import Change
    from assetsvc.registry import regions
    from assetsvc.registry.importer import import_sheet
    from assetsvc.registry.rules import camera_rules
    from assetsvc.registry.sheet import read_sheet
    from assetsvc.registry.tables import Camera
    from assetsvc.registry.validate import validate_rows

    started = time.perf_counter()
    await common.open_database()
    migrated_in = time.perf_counter() - started
    regions.regions()  # the GB/T 2260 table is read once per process; keep it out of the phases
    rules = camera_rules()
    actor = common.admin_actor()
    data = path.read_bytes()
    limit = max(len(data) * 2, 50 * 2**20)
    gc.collect()
    rss_start = common.rss_mb()

    t0 = time.perf_counter()
    sheet = read_sheet(data, path.name, max_bytes=limit)
    t_read = time.perf_counter() - t0
    rss_read = common.peak_rss_mb()

    t0 = time.perf_counter()
    verdicts = validate_rows(sheet.rows, rules=rules)
    t_validate = time.perf_counter() - t0
    rss_validate = common.peak_rss_mb()
    ok = sum(v.status == "ok" for v in verdicts)
    fixes = collections.Counter(f.kind for v in verdicts for f in v.fixes)
    del sheet, verdicts
    gc.collect()

    t0 = time.perf_counter()
    first = await import_sheet(data, path.name, actor, max_bytes=limit, source="bench")
    t_import = time.perf_counter() - t0
    rss_import = common.peak_rss_mb()
    cameras = await Camera.count().run()
    changes = await Change.count().where(Change.entity == "camera").run()
    del first.rows[:]  # the per-row report of 100,000 rows is not needed any more
    gc.collect()

    t0 = time.perf_counter()
    second = await import_sheet(data, path.name, actor, max_bytes=limit, source="bench")
    t_again = time.perf_counter() - t0
    rss_again = common.peak_rss_mb()
    changes_after = await Change.count().where(Change.entity == "camera").run()
    await common.close_database()

    problems = []
    if ok != rows or first.created != rows or first.rejected:
        problems.append(f"first import: {ok} valid, {first.created} created, {first.rejected} rejected")
    if cameras != rows or changes != rows:
        problems.append(f"database: {cameras} cameras, {changes} camera change rows (want {rows})")
    if second.unchanged != rows or second.created or second.updated or changes_after != changes:
        problems.append(f"re-import: {second.unchanged} unchanged, {second.created} created, "
                        f"{second.updated} updated, {changes_after - changes} new change rows")

    t_write = t_import - t_read - t_validate
    print_rows = [
        ("migrate empty database", migrated_in, "", ""),
        ("read_sheet", t_read, rows / t_read, rss_read),
        ("validate_rows", t_validate, rows / t_validate, rss_validate),
        ("write (import_sheet - read - validate)", t_write, rows / t_write, ""),
        ("import_sheet, empty database (total)", t_import, rows / t_import, rss_import),
        ("import_sheet again (all unchanged)", t_again, rows / t_again, rss_again),
    ]
    common.print_table(("phase", "seconds", "rows/s", "peak RSS MB"), print_rows,
                       title=f"Import of {rows:,} cameras ({path.suffix[1:]}) into {engine}")
    print(f"\nRSS before the first phase: {rss_start:.0f} MB; peak RSS is the process maximum so far.")
    print(f"fixes reported: {sum(fixes.values()):,} ({', '.join(f'{k} {n:,}' for k, n in fixes.most_common())})")
    print(f"rows: {first.created:,} created, change-log rows for cameras: {changes:,}; "
          f"re-import: {second.unchanged:,} unchanged, {second.updated} updated")
    print(f"load average at the end: {common.load_now()}")
    verdict = "met" if t_import <= TARGET_S else "MISSED"
    print(f"target: import <= {TARGET_S:.0f} s: {verdict} ({t_import:.1f} s)")
    if problems:
        print("\nPROBLEMS:\n  " + "\n  ".join(problems))
        sys.exit(1)


if __name__ == "__main__":
    main()
