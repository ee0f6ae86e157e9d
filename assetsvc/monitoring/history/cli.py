"""`assetsvc history`: import outage history and maintenance windows, list batches, undo one.

Registered in assetsvc/cli.py beside the other slices' groups; `run` and `cli_actor` come from core.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from assetsvc.cli_shell import cli_actor, run


@click.group()
def history() -> None:
    """History from the old platform (历史数据): import files as batches, list them, undo one."""


def _show_progress(progress: Any) -> None:
    of = f" of {progress.total}" if progress.total else ""
    click.echo(f"\r{progress.stage} {progress.done}{of} rows\x1b[K", err=True, nl=False)


@history.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--kind", type=click.Choice(["states", "maintenance"]), default="states", show_default=True,
              help="Outage history (camera, state, cause, from, to, source) or maintenance windows.")
@click.option("--dry-run", is_flag=True, help="Check, plan and report what would change; write nothing.")
@click.option("--tz", default=None, help="UTC offset of times without one (default: the office's).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--progress/--no-progress", default=None, help="Count rows on stderr (default: on a terminal).")
def import_(file: Path, kind: str, dry_run: bool, tz: str | None, as_json: bool, progress: bool | None) -> None:
    """Import a history file (.xlsx or .csv) as one batch; exits 1 when any row is rejected."""
    from assetsvc.monitoring.history.importer import import_history
    from assetsvc.registry.importer import Progress
    from assetsvc.runtime import settings

    shown = sys.stderr.isatty() if progress is None else progress
    counter = Progress(listener=_show_progress if shown else None)
    limit = settings().import_max_mb * 2**20
    if file.stat().st_size > limit:
        raise click.ClickException(f"{file} is larger than ASSETSVC_IMPORT_MAX_MB ({settings().import_max_mb} MB)")
    data = file.read_bytes()
    report = run(lambda: import_history(data, file.name, cli_actor(), kind=kind, dry_run=dry_run, tz=tz,
                                        max_bytes=limit, source="cli", progress=counter))
    if shown:
        click.echo(err=True)
    body = report.to_json()
    click.echo(json.dumps(body, ensure_ascii=False, indent=1) if as_json else _describe(body))
    if report.rejected:
        sys.exit(1)


def _describe(body: dict[str, Any]) -> str:
    lines = []
    for row in body["rows"]:
        n = row["row"]
        for err in row.get("errors", []):
            lines.append(f"row {n}: REJECTED {err['field']}: {err['reason']}")
        for clip in row.get("clips", []):
            lines.append(f"row {n}: clipped {clip['from']} .. {clip['to']} (held by {clip['by']})")
        if row.get("action") in ("already_imported", "duplicate", "drop") and "held_by" in row:
            lines.append(f"row {n}: {row['action']} ({row['held_by']})")
    s = body["summary"]
    if s["rejected"]:
        lines.append(f"{s['rejected']} of {s['rows']} rows rejected: nothing written")
    else:
        verb = "would write" if s["dry_run"] else "wrote"
        lines.append(f"{s['rows']} rows: {s['import']} imported whole, {s['clip']} clipped, {s['drop']} dropped, "
                     f"{s['already_imported']} already imported, {s['duplicate']} repeated in the file; "
                     f"{verb} {s['records']} records" + (f" as batch {body['batch']}" if body["batch"] else ""))
    return "\n".join(lines)


@history.command("batches")
@click.option("--kind", type=click.Choice(["states", "maintenance"]), default=None, help="Only batches of this kind.")
@click.option("--limit", type=int, default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the batches as JSON.")
def batches_(kind: str | None, limit: int, as_json: bool) -> None:
    """History batches, newest first (undone ones marked)."""
    from dataclasses import asdict

    from assetsvc.monitoring.history import batches

    found = run(lambda: batches.list_batches(cli_actor(), kind=kind, limit=limit))
    if as_json:
        click.echo(json.dumps([asdict(b) for b in found], ensure_ascii=False, indent=1))
        return
    for b in found:
        state = f"undone {b.undone_at} by {b.undone_by}" if b.undone_at else "standing"
        click.echo(f"{b.id}\t{b.kind}\t{b.file}\t{b.rows} rows, {b.written} records, {b.clipped} clipped\t"
                   f"{b.created_at} by {b.created_by}\t{state}")


@history.command("undo")
@click.argument("batch_id", type=int)
def undo(batch_id: int) -> None:
    """Undo a batch: delete every record it wrote (live history and other batches stay)."""
    from assetsvc.monitoring.history import batches

    b = run(lambda: batches.undo(cli_actor(), batch_id, source="cli"))
    click.echo(f"batch {b.id} undone: {b.written} records of {b.file} deleted")
