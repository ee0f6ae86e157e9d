"""The `assetsvc` command: serve, migrate, users, import, export, demo."""

from __future__ import annotations

import asyncio
import getpass
import json
import os
import sys
from pathlib import Path
from typing import Any, Awaitable, Callable

import click

from assetsvc.settings import SettingsError, settings_table


def run(coro_fn: Callable[[], Awaitable[Any]]) -> Any:
    """Run one async service call with the database open; service errors become clean exits."""
    from assetsvc import db
    from assetsvc.accounts.service import AccountError
    from assetsvc.errors import ServiceError
    from assetsvc.secrets import KeyError_

    async def main() -> Any:
        await db.start()
        try:
            return await coro_fn()
        finally:
            await db.stop()

    try:
        return asyncio.run(main())
    except ServiceError as exc:
        lines = [exc.message] + [f"  {e['field']}: {e['message']}" for e in exc.errors
                                 if e["message"] != exc.message]
        raise click.ClickException("\n".join(lines)) from None
    except (AccountError, KeyError_) as exc:
        raise click.ClickException(str(exc)) from None


def cli_actor():
    """The shell user acts as the video office; the change log names them as cli:<login>."""
    from assetsvc.accounts.service import Actor

    try:
        login = getpass.getuser()
    except (KeyError, OSError):
        login = str(os.getuid())
    return Actor(user_id=0, username=f"cli:{login}", role="admin", contractor_id=None)


class Main(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SettingsError as exc:
            raise click.ClickException(str(exc)) from None


@click.group(cls=Main)
def main() -> None:
    """Camera network inventory and maintenance (一机一档)."""


@main.command()
def config() -> None:
    """Print every ASSETSVC_* variable and its current value (secrets masked)."""
    from assetsvc.runtime import settings

    current = settings()
    for name, doc in settings_table():
        value = getattr(current, name.removeprefix("ASSETSVC_").lower())
        shown = "***" if "KEY" in name and name != "ASSETSVC_SECRET_KEY_FILE" and value else value
        click.echo(f"{name}={shown}\n    {doc}")


@main.command()
def migrate() -> None:
    """Apply pending database migrations."""
    from assetsvc.runtime import migrate as apply, pending_migrations

    async def go() -> int:
        count = await pending_migrations()
        await apply()
        return count

    count = run(go)
    click.echo(f"applied {count} migration(s); the database is up to date")


@main.command()
def keygen() -> None:
    """Create the credential key file (refuses to overwrite an existing one)."""
    from assetsvc.runtime import settings
    from assetsvc.secrets import write_key_file

    path = settings().secret_key_file
    if path.exists():
        raise click.ClickException(f"{path} exists; move it away first (stored credentials need it)")
    write_key_file(path)
    click.echo(f"wrote {path} (mode 600); back it up: without it stored device passwords are lost")


async def prepare(*, create_key: bool) -> None:
    """Start-up shared by serve and demo: migrations, then the credential key check."""
    from assetsvc.runtime import check_key, migrate as apply

    await apply()
    await check_key(create_if_unused=create_key)


@main.command()
@click.option("--host", default=None, help="Listen address (default ASSETSVC_HOST).")
@click.option("--port", default=None, type=int, help="Listen port (default ASSETSVC_PORT).")
def serve(host: str | None, port: int | None) -> None:
    """Run the API; pending migrations are applied first."""
    from assetsvc.runtime import settings

    run(lambda: prepare(create_key=True))
    _serve(host or settings().host, port or settings().port)


def _serve(host: str, port: int) -> None:
    import uvicorn

    from assetsvc.api.app import configure_logging, create_app

    configure_logging()
    click.echo(f"assetsvc API on http://{host}:{port}/api/v1 (OpenAPI at /api/v1/schema)")
    uvicorn.run(create_app(), host=host, port=port, log_level="warning")


@main.group()
def user() -> None:
    """Manage users and API tokens."""


def _password(prompt: bool) -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    return click.prompt("password", hide_input=True, confirmation_prompt=prompt)


@user.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(["admin", "auditor", "contractor"]), required=True)
@click.option("--contractor", default=None, help="Contractor name (role contractor only).")
def user_add(username: str, role: str, contractor: str | None) -> None:
    """Add a user; the password is read from the terminal or standard input."""
    from assetsvc.accounts.service import add_user

    password = _password(True)
    run(lambda: add_user(username, password, role, contractor))
    click.echo(f"added {role} {username}")


@user.command("passwd")
@click.argument("username")
def user_passwd(username: str) -> None:
    """Set a user's password (ends their sessions)."""
    from assetsvc.accounts.service import set_password

    password = _password(True)
    run(lambda: set_password(username, password))
    click.echo(f"password of {username} changed")


@user.command("token")
@click.argument("username")
@click.option("--name", default="", help="What the token is for (shown in listings).")
@click.option("--hours", default=None, type=int, help="Expire after this many hours (default never).")
def user_token(username: str, name: str, hours: int | None) -> None:
    """Issue an API token for a machine client; it is printed once and stored only as a hash."""
    from assetsvc.accounts.service import issue_token

    click.echo(run(lambda: issue_token(username, "api", name=name, hours=hours)))


@main.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Validate and report; write nothing.")
@click.option("--skip-invalid", is_flag=True, help="Write the valid rows even when some are invalid.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def import_(file: Path, dry_run: bool, skip_invalid: bool, as_json: bool) -> None:
    """Import an office sheet (.xlsx or .csv) into the registry, upserting by 设备编码."""
    from assetsvc.registry.importer import import_sheet
    from assetsvc.runtime import settings

    limit = settings().import_max_mb * 2**20
    if file.stat().st_size > limit:
        raise click.ClickException(f"{file} is larger than ASSETSVC_IMPORT_MAX_MB ({settings().import_max_mb} MB)")
    data = file.read_bytes()
    report = run(lambda: import_sheet(data, file.name, cli_actor(), dry_run=dry_run,
                                      skip_invalid=skip_invalid, max_bytes=limit, source="cli"))
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=1))
    else:
        _print_report(report)
    if report.rejected and not skip_invalid:
        sys.exit(1)


def _print_report(report) -> None:
    for row in report.rows:
        if row["status"] == "rejected":
            for err in row["errors"]:
                click.echo(f"row {row['row']}: REJECTED {err['header'] if 'header' in err else err['field']}: "
                           f"{err['reason']}")
        elif row.get("fixes"):
            fixes = ", ".join(f"{f.get('header', f['field'])} {f['before']!r}->{f['after']!r}"
                              for f in row["fixes"])
            click.echo(f"row {row['row']}: fixed {fixes}")
    click.echo(f"{report.file} [{report.sheet}]: {len(report.rows)} rows, {report.accepted} accepted, "
               f"{report.rejected} rejected")
    if report.rejected and not report.written and not report.dry_run and report.created + report.updated == 0:
        click.echo("nothing written: the import is atomic; fix the rows or use --skip-invalid")
    else:
        verb = "would create" if report.dry_run else "created"
        click.echo(f"{verb} {report.created}, updated {report.updated}, unchanged {report.unchanged}")


FILTERS = ("region", "station", "owner_class", "owner", "contractor", "camera_type", "status",
           "networked", "point_class", "site", "upstream")


@main.command()
@click.option("--format", "fmt", type=click.Choice(["xlsx", "csv", "geojson"]), default="xlsx")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--q", default=None, help="Free text on name, address or national ID.")
@click.option("--filter", "pairs", multiple=True, metavar="KEY=VALUE",
              help=f"Filter as in the API ({', '.join(FILTERS)}); repeatable.")
def export(fmt: str, output: Path, q: str | None, pairs: tuple[str, ...]) -> None:
    """Export the (filtered) registry as XLSX in the office layout, CSV or GeoJSON."""
    from assetsvc.registry.exporter import export_cameras

    filters = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise click.ClickException(f"--filter {pair!r}: write KEY=VALUE")
        filters[key] = value
    content = run(lambda: export_cameras(cli_actor(), fmt, filters, q))
    output.write_bytes(content)
    click.echo(f"wrote {output} ({len(content)} bytes)")


@main.command()
@click.option("--cameras", default=200, show_default=True, help="How many demo cameras to register.")
@click.option("--host", default=None)
@click.option("--port", default=None, type=int)
def demo(cameras: int, host: str | None, port: int | None) -> None:
    """Set up the embedded default with a demo registry and an admin login, then serve."""
    from assetsvc.demo import seed
    from assetsvc.runtime import settings

    async def go() -> dict[str, Any]:
        await prepare(create_key=True)
        return await seed(cameras, cli_actor())

    info = run(go)
    click.echo(info["message"])
    _serve(host or settings().host, port or settings().port)


if __name__ == "__main__":  # pragma: no cover
    main()
