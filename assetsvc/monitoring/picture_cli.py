"""`assetsvc picture-baseline`: show or reset a camera's picture baseline (画面基准) from the shell.

Registered in assetsvc/cli.py; `run` and `cli_actor` come from assetsvc.cli_shell (core), as in uptime_cli.
"""

from __future__ import annotations

import json

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
