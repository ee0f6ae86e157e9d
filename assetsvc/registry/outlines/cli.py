"""`assetsvc outlines`: load, show or delete the district outlines (区划边界) from the shell.

Registered in assetsvc/cli.py; `run` and `cli_actor` come from assetsvc.cli_shell (core), as in uptime_cli.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from assetsvc.cli_shell import cli_actor, run
from assetsvc.registry.outlines.geojson import CODE_PROPERTIES, DATUMS


@click.group("outlines")
def outlines() -> None:
    """District outlines drawn under the cameras on the map (a GeoJSON FeatureCollection)."""


def _echo(stored, as_json: bool) -> None:
    doc = stored.to_json()
    if as_json:
        click.echo(json.dumps(doc, ensure_ascii=False, indent=2))
        return
    for region in doc["regions"]:
        click.echo(f"{region['region_code']}  {region['name']}  {region['geometry_type']}  {region['vertices']} vertices")
    click.echo(f"{len(doc['regions'])} districts, {doc['vertices']} vertices" +
               (f", datum {doc['datum']}" if doc["datum"] else ""))


@outlines.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--property", "code_property", default=None,
              help=f"The feature property holding the region code (default: the first of {', '.join(CODE_PROPERTIES)}).")
@click.option("--datum", type=click.Choice(DATUMS), default="wgs84", show_default=True,
              help="The file's datum; the public DataV/Amap files are gcj02.")
@click.option("--json", "as_json", is_flag=True)
def load(file: Path, code_property: str | None, datum: str, as_json: bool) -> None:
    """Replace the stored outlines with FILE (checked whole: one bad feature and nothing is stored)."""
    from assetsvc.registry.outlines import service
    from assetsvc.runtime import settings

    content = file.read_bytes()
    _echo(run(lambda: service.upload(cli_actor(), content, settings().outline_max_mb * 2**20,
                                     code_property=code_property, datum=datum, source="cli")), as_json)


@outlines.command("show")
@click.option("--json", "as_json", is_flag=True)
def show(as_json: bool) -> None:
    """The stored districts with their vertex counts."""
    from assetsvc.registry.outlines import service

    _echo(run(lambda: service.summary(cli_actor())), as_json)


@outlines.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def export(file: Path) -> None:
    """Write the stored outlines to FILE as GeoJSON (properties: code, name)."""
    from assetsvc.registry.outlines import service

    doc = run(lambda: service.feature_collection(cli_actor()))
    file.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    click.echo(f"{len(doc['features'])} districts written to {file}")


@outlines.command("delete")
@click.confirmation_option(prompt="Remove every district outline?")
def delete() -> None:
    """Remove every stored outline: the map shows its points on plain lon/lat axes again."""
    from assetsvc.registry.outlines import service

    click.echo(f"{run(lambda: service.delete(cli_actor(), source='cli'))} district outlines removed")
