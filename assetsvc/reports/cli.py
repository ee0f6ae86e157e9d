"""`assetsvc report`: generate, show, versions, approve, export (the same services as the API)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from assetsvc.cli_shell import cli_actor, run


def _json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def _progress(message: str) -> None:
    click.echo(message, err=True)


@click.group("report")
def report() -> None:
    """The monthly report (月报): versions, approval (审核) and exports (docs/reports.md)."""


@report.command("generate")
@click.option("--month", required=True, help="A month that has ended, e.g. 2026-11 (office time zone).")
def generate(month: str) -> None:
    """Build the month's report; a new draft when the figures differ from the latest version."""
    from assetsvc.reports import versions

    found = run(lambda: versions.generate(cli_actor(), month, progress=_progress))
    state = "new draft" if found["created"] else "unchanged: same content as"
    click.echo(f"{state} {found['month']} v{found['version']} ({found['status']}) sha256 {found['content_hash']}"
               + (f"; {found['changes']} change(s) against approved v{found['based_on']}" if found["based_on"] else ""))


@report.command("versions")
@click.option("--month", required=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_versions(month: str, as_json: bool) -> None:
    """The month's versions: status, hash, who created and approved them."""
    from assetsvc.reports import versions

    found = run(lambda: versions.versions(cli_actor(), month))
    if as_json:
        _json(found)
        return
    for row in found:
        click.echo(f"v{row['version']}  {row['status']:<10} {row['content_hash'][:12]}  by {row['created_by']}"
                   + (f"  approved by {row['approved_by']}" if row["approved_by"] else "")
                   + (f"  {row['changes']} change(s) vs v{row['based_on']}" if row["based_on"] else ""))
    if not found:
        click.echo(f"no report for {month} yet")


@report.command("show")
@click.option("--month", required=True)
@click.option("--version", type=int, default=None, help="A version number (default: the approved one).")
@click.option("--scope", default=None, help="Only this scope's rows: city, district:330106, station:3, ...")
@click.option("--section", default=None, help="Only this section.")
def show(month: str, version: int | None, scope: str | None, section: str | None) -> None:
    """Print a version as JSON (its record, what changed, and the content)."""
    from assetsvc.reports import service

    _json(run(lambda: service.show(cli_actor(), month, version, scope, section)))


@report.command("approve")
@click.option("--month", required=True)
@click.option("--version", type=int, required=True)
def approve(month: str, version: int) -> None:
    """Approve (审核) a draft: it becomes the month's report of record."""
    from assetsvc.reports import versions

    found = run(lambda: versions.approve(cli_actor(), month, version))
    click.echo(f"approved {found['month']} v{found['version']} sha256 {found['content_hash']}")


@report.command("export")
@click.option("--month", required=True)
@click.option("--format", "fmt", type=click.Choice(["xlsx", "json", "csv", "pdf"]), required=True)
@click.option("--version", type=int, default=None, help="A version number (default: the approved one).")
@click.option("--table", default=None, help="CSV: the table (registry, uptime, tickets, long_standing, "
                                            "contractors, worst_cameras); none: every table into --out (a folder).")
@click.option("--out", "out", type=click.Path(path_type=Path), required=True, help="File (or folder for all CSVs).")
def export(month: str, fmt: str, version: int | None, table: str | None, out: Path) -> None:
    """Write a version as XLSX (one sheet per section), JSON, CSV or PDF."""
    from assetsvc.reports import export as exporter
    from assetsvc.reports.tables_out import NAMES

    if fmt == "csv" and table is None:
        async def every() -> list[tuple[str, str, bytes]]:
            found = []
            for name in NAMES:
                try:
                    found.append(await exporter.export(cli_actor(), month, fmt, version, name))
                except Exception:  # noqa: BLE001 - a table the content lacks is skipped
                    continue
            return found
        files = run(every)
        out.mkdir(parents=True, exist_ok=True)
        for name, _, body in files:
            (out / name).write_bytes(body)
            click.echo(str(out / name))
        return
    name, _, body = run(lambda: exporter.export(cli_actor(), month, fmt, version, table))
    out.write_bytes(body)
    click.echo(f"{out} ({name}, {len(body)} bytes)")


@report.group("league-rules")
def league_rules() -> None:
    """The league rules (考核办法): figures, weights, thresholds, bonus and penalty points (docs/reports.md)."""


@league_rules.command("show")
def league_show() -> None:
    """Print the rules in force (the shipped example until the office sets its own)."""
    from assetsvc.reports import rules

    _json(run(lambda: rules.get_rules(cli_actor())))


@league_rules.command("set")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def league_set(path: Path) -> None:
    """Replace the rules with a TOML file (checked in full first: nothing is stored when it is wrong)."""
    from assetsvc.reports import rules

    found = run(lambda: rules.put_rules(cli_actor(), path.read_bytes()))
    click.echo(f"league rules v{found['version']}: {found['rules']['name']}")


@report.group("coverage-plan")
def coverage_plan() -> None:
    """The coverage plan (应覆盖目标): planned points per key-site category per district (API: /coverage-plans)."""


@coverage_plan.command("set")
@click.argument("region")
@click.argument("category")
@click.argument("planned", type=int)
def coverage_set(region: str, category: str, planned: int) -> None:
    """Set the planned points of a category in a district (adds the row, or changes it)."""
    from assetsvc.registry import crud
    from assetsvc.registry.entities import COVERAGE_PLAN

    async def go() -> dict[str, Any]:
        actor = cli_actor()
        found = await crud.list_records(COVERAGE_PLAN, actor, {"region": region, "category": category.strip()},
                                        sort="id", page=1, per_page=1)
        if found["items"]:
            return await crud.update_record(COVERAGE_PLAN, actor, found["items"][0]["id"], {"planned": planned}, "cli")
        return await crud.create_record(COVERAGE_PLAN, actor, {"region_code": region, "category": category,
                                                                "planned": planned}, "cli")

    row = run(go)
    click.echo(f"{row['region_code']} {row['category']}: {row['planned']} planned")


@coverage_plan.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def coverage_list(as_json: bool) -> None:
    """The plan, by district and category."""
    from assetsvc.registry import crud
    from assetsvc.registry.entities import COVERAGE_PLAN

    found = run(lambda: crud.list_records(COVERAGE_PLAN, cli_actor(), {}, sort="region_code", page=1,
                                          per_page=crud.MAX_PAGE))["items"]
    if as_json:
        _json(found)
        return
    for row in found:
        click.echo(f"{row['region_code']}  {row['category']:<20} {row['planned']}")


def _province() -> None:
    from assetsvc.reports.province.cli import COMMANDS

    for command in COMMANDS:
        report.add_command(command)


_province()
