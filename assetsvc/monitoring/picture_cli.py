"""`assetsvc picture-baseline`: show or reset a camera's picture baseline (画面基准) from the shell.

Registered in assetsvc/cli.py; `run` and `cli_actor` come from assetsvc.cli_shell (core), as in uptime_cli.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from assetsvc.cli_shell import cli_actor, run


@click.group("picture-baseline")
def picture_baseline() -> None:
    """Each camera's picture baseline: learned from its first good grabs, reset after re-aiming."""


def _echo(found, as_json: bool) -> None:
    doc = found.to_json()
    if as_json:
        click.echo(json.dumps(doc, ensure_ascii=False, indent=2))
        return
    click.echo(f"camera {doc['camera_id']}: day baseline {doc['day_learned'] or 'not learned'}, "
               f"night baseline {doc['night_learned'] or 'not learned'}"
               + (f"; reset {doc['reset_at']} by {doc['reset_by']}" if doc["reset_at"] else "")
               + "".join(f"; {mode} learned from grabs flagged {', '.join(faults)} at first sight: check the picture"
                         for mode, faults in doc["learned_despite"].items()))


@picture_baseline.command("show")
@click.argument("camera_id", type=int)
@click.option("--json", "as_json", is_flag=True)
def show(camera_id: int, as_json: bool) -> None:
    """When the camera's day and night baselines were learned, and its last reset."""
    from assetsvc.monitoring import picture_memory

    _echo(run(lambda: picture_memory.show(cli_actor(), camera_id)), as_json)


@picture_baseline.command("reset")
@click.argument("camera_id", type=int)
@click.option("--json", "as_json", is_flag=True)
def reset(camera_id: int, as_json: bool) -> None:
    """Forget the camera's baselines (after re-aiming): its next good grabs are learned again."""
    from assetsvc.monitoring import picture_memory

    _echo(run(lambda: picture_memory.reset(cli_actor(), camera_id, source="cli")), as_json)


@picture_baseline.command("frames")
@click.argument("camera_id", type=int)
@click.option("--save", "folder", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Write the frames as JPEG files into this folder.")
def frames(camera_id: int, folder: Path | None) -> None:
    """The camera's kept evidence frames (证据图), newest first."""
    from assetsvc.monitoring import evidence

    found = run(lambda: evidence.camera_frames(cli_actor(), camera_id))
    for frame in found:
        click.echo(f"frame {frame.id}  {frame.kind:5}  {frame.verdict:12}  {frame.width}x{frame.height}  "
                   f"{frame.size} bytes  at {frame.at:.0f}")
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)
            data = run(lambda f=frame: evidence.camera_jpeg(cli_actor(), camera_id, f.id))
            (folder / f"camera{camera_id}-{frame.kind}-{frame.id}.jpg").write_bytes(data)
    if not found:
        click.echo(f"camera {camera_id} has no evidence frames")
