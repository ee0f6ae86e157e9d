"""The `assetsvc` command: serve, migrate, keys, users, import, export, demo."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
from pathlib import Path
from typing import Any, Callable

import click

from assetsvc.accounts.service import ROLES
from assetsvc.cli_shell import cli_actor, run
from assetsvc.monitoring.history.cli import history
from assetsvc.monitoring.picture_cli import picture_baseline
from assetsvc.monitoring.uptime_cli import maintenance, uptime
from assetsvc.registry.outlines.cli import outlines
from assetsvc.reports.cli import report
from assetsvc.settings import SettingsError, settings_table
from assetsvc.storage import StorageFailure
from assetsvc.tickets.cli import contracts, tickets
from assetsvc.webhooks.cli import webhooks


class Main(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (SettingsError, StorageFailure) as exc:
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

    count = run(go, schema=False)
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


@main.group()
def keys() -> None:
    """Rotate the credential key: `rotate`, then `reencrypt`, then `retire` (docs/operations.md)."""


def _key_command(call: Callable[[], Any]) -> Any:
    from assetsvc.secrets import KeyError_

    try:
        return call()
    except (KeyError_, OSError) as exc:
        raise click.ClickException(str(exc)) from None


@keys.command("rotate")
def keys_rotate() -> None:
    """Add a new key at the head of the key file (the old ones stay, so every stored secret still opens)."""
    from assetsvc.app import keys as rotation
    from assetsvc.runtime import settings

    path = settings().secret_key_file
    count = _key_command(lambda: rotation.rotate(settings()))
    click.echo(f"added a new key at the head of {path} (mode 600, or 640 as before for the same group; it holds {count} keys, newest first). "
               "Copy this file to every machine that runs assetsvc on this database, then run "
               "`assetsvc keys reencrypt`")


@keys.command("reencrypt")
def keys_reencrypt() -> None:
    """Seal every stored secret again with the newest key (one transaction; running it again re-seals nothing)."""
    from assetsvc.app import keys as rotation
    from assetsvc.runtime import settings

    done = run(lambda: rotation.reencrypt(settings(), cli_actor()))
    for item in done:
        click.echo(f"{item.kind}: {item.resealed} re-encrypted, {item.current} already with the newest key")
    click.echo("every stored secret is sealed with the newest key; the older keys can go: `assetsvc keys retire`")


@keys.command("retire")
def keys_retire() -> None:
    """Remove the older keys from the key file once the newest alone opens every stored secret."""
    from assetsvc.app import keys as rotation
    from assetsvc.runtime import settings

    path = settings().secret_key_file
    gone = _key_command(lambda: run(lambda: rotation.retire(settings())))
    if not gone:
        click.echo("the credential key is a single key: nothing to retire")
        return
    click.echo(f"removed {gone} older key(s) from {path}; copy it to every machine that runs assetsvc on this "
               "database. Backups made before the rotation still need the key file saved with them")


@main.command()
@click.option("--host", default=None, help="Listen address (default ASSETSVC_HOST).")
@click.option("--port", default=None, type=int, help="Listen port (default ASSETSVC_PORT).")
@click.option("--no-worker", is_flag=True, help="Do not probe in this process (API and scheduler only).")
@click.option("--no-scheduler", is_flag=True, help="Never run the scheduled jobs in this process.")
def serve(host: str | None, port: int | None, no_worker: bool, no_scheduler: bool) -> None:
    """Run the API, the scheduler (when this node is leader) and a probe worker.

    Pending migrations are applied first.
    """
    from assetsvc.app import process, startup
    from assetsvc.runtime import settings

    run(lambda: startup.prepare(create_key=True), schema=False)
    process.serve(host or settings().host, port or settings().port, worker=not no_worker,
                  scheduler=not no_scheduler)


@main.command()
@click.option("--scheduler", is_flag=True, help="Also contend for scheduler leadership (run the jobs when leader).")
@click.option("--once", is_flag=True, help="Probe what is due now, write it, and exit.")
def worker(scheduler: bool, once: bool) -> None:
    """Run a probe worker: claim due probe tasks (leases), probe, record states; stop with Ctrl-C."""
    from assetsvc.app import process, startup

    config = startup.begin(ticket_rules=scheduler)
    click.echo(run(lambda: process.work(config, scheduler=scheduler, once=once), schema=False))


@main.command()
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
def backup(dest: Path) -> None:
    """Back up the SQLite database (online, while the service runs) and the key into the new folder DEST.

    Keep DEST/secret.key apart from the database copy (docs/operations.md). PostgreSQL: pg_dump."""
    from assetsvc.app import backup as backups
    from assetsvc.runtime import settings

    try:
        made = backups.backup(settings(), dest)
    except (backups.BackupError, sqlite3.Error, OSError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"backed up {made.database_bytes} bytes to {made.folder / backups.DATABASE}")
    if made.key_file:
        click.echo(f"the key is in {made.key_file}: store it apart from the database copy (another medium, "
                   "another safe); without it the device passwords and webhook secrets in the copy are lost")


@main.command()
@click.argument("src", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--key", "key_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The backup's key file, kept apart [default: SRC/secret.key].")
def restore(src: Path, key_file: Path | None) -> None:
    """Restore a backup folder into a data folder that has no database yet (the service stopped).

    The key is checked against the backup's stored key check before anything is written; then
    migrations are applied and the restored secrets are opened with the installed key."""
    from assetsvc.app import backup as backups, startup
    from assetsvc.runtime import settings
    from assetsvc.secrets import KeyError_

    try:
        target = backups.restore(settings(), src, key_file)
    except (backups.BackupError, KeyError_, sqlite3.Error, OSError) as exc:
        raise click.ClickException(str(exc)) from None
    run(lambda: startup.prepare(create_key=False), schema=False)
    click.echo(f"restored {target}; migrations applied and the key opens the stored secrets")


@main.group()
def user() -> None:
    """Manage users and API tokens."""


def _password(prompt: bool) -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    return click.prompt("password", hide_input=True, confirmation_prompt=prompt)


@user.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(list(ROLES)), required=True)
@click.option("--contractor", default=None, help="Contractor name (role contractor only).")
@click.option("--scope", "scope", multiple=True, metavar="KIND=VALUE",
              help="Platform accounts: cameras it may report on (owner=NAME, owner_class=social, region=4502).")
@click.option("--temporary", is_flag=True, help="The user must change this password at the first login.")
def user_add(username: str, role: str, contractor: str | None, scope: tuple[str, ...], temporary: bool) -> None:
    """Add a user; the password is read from the terminal or standard input."""
    from assetsvc import db
    from assetsvc.accounts.service import add_user
    from assetsvc.monitoring.passive_scope import parse_rule, set_scope

    if scope and role != "platform":
        raise click.UsageError("--scope is for platform accounts")
    password = _password(True)

    async def go() -> None:
        rules = [parse_rule(s) for s in scope]  # their form checked before the user is created
        # One transaction: a rule set_scope refuses (an owner that does not exist) leaves no user
        # behind (add_user's and set_scope's own transactions join this one).
        async with db.write_transaction():
            await add_user(username, password, role, contractor, by=cli_actor().username, temporary=temporary)
            if role == "platform":
                await set_scope(username, rules)

    run(go)
    click.echo(f"added {role} {username}")


@user.command("scope")
@click.argument("username")
@click.option("--scope", "scope", multiple=True, metavar="KIND=VALUE",
              help="A rule (repeatable): owner=NAME, owner_class=police|government|social, region=CODE.")
@click.option("--clear", is_flag=True, help="Remove every rule: the account may report on nothing.")
def user_scope(username: str, scope: tuple[str, ...], clear: bool) -> None:
    """Show or replace the cameras a platform account may report passive status on."""
    from assetsvc.monitoring.passive_scope import get_scope, parse_rule, set_scope

    if scope or clear:
        rules = run(lambda: set_scope(username, [parse_rule(s) for s in scope]))
    else:
        rules = run(lambda: get_scope(username))
    click.echo(" ".join(f"{r['kind']}={r['value']}" for r in rules) or "(no scope: reports on nothing)")


@user.command("passwd")
@click.argument("username")
@click.option("--temporary", is_flag=True, help="The user must change this password at the next login.")
def user_passwd(username: str, temporary: bool) -> None:
    """Set a user's password; every session and API token of the user ends."""
    from assetsvc.accounts.service import set_password

    password = _password(True)
    ended = run(lambda: set_password(username, password, by=cli_actor().username, temporary=temporary))
    click.echo(f"password of {username} changed; {ended} session(s) and token(s) ended")


@user.command("role")
@click.argument("username")
@click.argument("role", type=click.Choice(list(ROLES)))
@click.option("--contractor", default=None, help="Contractor name (role contractor only).")
def user_role(username: str, role: str, contractor: str | None) -> None:
    """Give a user another role; it holds from the user's next request."""
    from assetsvc.accounts.service import set_role

    run(lambda: set_role(username, role, contractor, by=cli_actor().username))
    click.echo(f"{username} is now {role}")


@user.command("token")
@click.argument("username")
@click.option("--name", default="", help="What the token is for (shown in listings).")
@click.option("--hours", default=None, type=click.IntRange(1), help="Expire after this many hours.")
@click.option("--days", default=None, type=click.IntRange(1),
              help="Expire after this many days (default ASSETSVC_API_TOKEN_DAYS; at most 365 in all).")
def user_token(username: str, name: str, hours: int | None, days: int | None) -> None:
    """Issue an API token for a machine client; it is printed once and stored only as a hash."""
    from assetsvc.accounts.service import issue_token

    click.echo(run(lambda: issue_token(username, "api", name=name, hours=hours, days=days,
                                       by=cli_actor().username)))


@user.command("list")
def user_list() -> None:
    """Every user with role and whether enabled."""
    from assetsvc.accounts.tokens import list_users

    for u in run(lambda: list_users(cli_actor())):
        click.echo(f"{u['id']:>5}  {u['username']:<24} {u['role']:<10} "
                   f"{'enabled' if u['active'] else 'DISABLED'}")


def _set_active(username: str, active: bool) -> int:
    from assetsvc.accounts.service import set_active

    return run(lambda: set_active(username, active, by=cli_actor().username))


@user.command("disable")
@click.argument("username")
def user_disable(username: str) -> None:
    """Disable a user: every session and API token of the user ends at once."""
    click.echo(f"disabled {username}; {_set_active(username, False)} session(s) and token(s) ended")


@user.command("enable")
@click.argument("username")
def user_enable(username: str) -> None:
    """Enable a disabled user again (ended tokens stay ended)."""
    _set_active(username, True)
    click.echo(f"enabled {username}")


@user.command("tokens")
@click.argument("username")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def user_tokens(username: str, as_json: bool) -> None:
    """A user's sessions and API tokens: id, kind, name, created, expires, last used."""
    from assetsvc.accounts.tokens import list_tokens, user_id_of

    async def go() -> list:
        return await list_tokens(cli_actor(), await user_id_of(username))

    found = run(go)
    if as_json:
        click.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    for t in found:
        click.echo(f"{t['id']:>6}  {t['kind']:<7} {t['name'] or '-':<20} created {t['created_at']}  "
                   f"expires {t['expires_at'] or 'never'}  last used {t['last_used_at'] or 'never'}")
    if not found:
        click.echo(f"{username} has no sessions or tokens")


@user.command("revoke")
@click.argument("token_id", type=int)
def user_revoke(token_id: int) -> None:
    """Revoke one token or session by its id (from `assetsvc user tokens NAME`)."""
    from assetsvc.accounts.tokens import revoke_token

    run(lambda: revoke_token(cli_actor(), token_id, source="cli"))
    click.echo(f"token {token_id} revoked")


@main.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Validate and report; write nothing.")
@click.option("--skip-invalid", is_flag=True, help="Write the valid rows even when some are invalid.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--progress/--no-progress", default=None,
              help="Count rows on stderr as they are read, validated and written (default: on a terminal).")
def import_(file: Path, dry_run: bool, skip_invalid: bool, as_json: bool, progress: bool | None) -> None:
    """Import an office sheet (.xlsx or .csv) into the registry, upserting by 设备编码."""
    from assetsvc.registry.importer import Progress, import_sheet
    from assetsvc.runtime import settings

    counter = Progress(listener=_show_progress)
    if not (sys.stderr.isatty() if progress is None else progress):
        counter = Progress()

    limit = settings().import_max_mb * 2**20
    if file.stat().st_size > limit:
        raise click.ClickException(f"{file} is larger than ASSETSVC_IMPORT_MAX_MB ({settings().import_max_mb} MB)")
    data = file.read_bytes()
    report = run(lambda: import_sheet(data, file.name, cli_actor(), dry_run=dry_run,
                                      skip_invalid=skip_invalid, max_bytes=limit, source="cli",
                                      progress=counter))
    if counter.listener is not None:
        click.echo(err=True)  # end the counter's line
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=1))
    else:
        _print_report(report)
    if report.rejected and not skip_invalid:
        sys.exit(1)


def _show_progress(progress) -> None:
    """One stderr line rewritten in place: the stage and the rows through it."""
    of = f" of {progress.total}" if progress.total else ""
    click.echo(f"\r{progress.stage} {progress.done}{of} rows\x1b[K", err=True, nl=False)


def _print_report(report) -> None:
    for note in report.custom_columns:
        click.echo(note["message"])
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
@click.argument("host")
@click.option("--tcp", "kinds", flag_value="tcp", multiple=True, help="TCP connect to the ONVIF and RTSP ports.")
@click.option("--onvif", "kinds", flag_value="onvif_deep", multiple=True,
              help="ONVIF: date/time, device info, interfaces, profiles, stream and snapshot URIs, a snapshot.")
@click.option("--onvif-light", "kinds", flag_value="onvif_light", multiple=True,
              help="ONVIF date/time only (no login needed): the cheap check.")
@click.option("--snmp", "kinds", flag_value="snmp", multiple=True, help="SNMP system group (and interfaces with --interfaces).")
@click.option("--rtsp", "kinds", flag_value="rtsp", multiple=True, help="RTSP OPTIONS + DESCRIBE, SDP parsed.")
@click.option("--frame", "kinds", flag_value="rtsp_frame", multiple=True, help="Decode one RTSP video frame.")
@click.option("--continuity", "kinds", flag_value="rtsp_continuity", multiple=True,
              help="Read the RTSP stream for 10 s: stalled, frozen or low frame rate (its own time limit, ~22 s).")
@click.option("--user", default=None, help="Device user name (the password is prompted or read with --password-stdin).")
@click.option("--password-stdin", is_flag=True, help="Read the device password from standard input.")
@click.option("--community", default="public", show_default=True, help="SNMP v2c community.")
@click.option("--snmp-user", default=None, help="SNMP v3 user (authPriv).")
@click.option("--snmp-auth-key", default=None, help="SNMP v3 authentication key.")
@click.option("--snmp-priv-key", default=None, help="SNMP v3 privacy key.")
@click.option("--snmp-auth-proto", default="sha", show_default=True)
@click.option("--snmp-priv-proto", default="aes", show_default=True)
@click.option("--interfaces", is_flag=True, help="With --snmp: walk the interface table.")
@click.option("--onvif-port", default=80, show_default=True, type=int)
@click.option("--rtsp-port", default=None, type=int, help="RTSP port [default: 554, or the port ONVIF reports].")
@click.option("--rtsp-path", default=None,
              help="Stream path, e.g. /Streaming/Channels/101 [default: the stream ONVIF reports with --onvif, else /].")
@click.option("--snmp-port", default=161, show_default=True, type=int)
@click.option("--timeout", "timeout_s", default=5.0, show_default=True, type=float, help="Seconds per probe.")
@click.option("--snapshot", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Save the ONVIF snapshot (or the decoded RTSP frame) to this file.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
def probe(host: str, kinds: tuple[str, ...], user: str | None, password_stdin: bool, community: str,
          snmp_user: str | None, snmp_auth_key: str | None, snmp_priv_key: str | None,
          snmp_auth_proto: str, snmp_priv_proto: str, interfaces: bool, onvif_port: int, rtsp_port: int | None,
          rtsp_path: str | None, snmp_port: int, timeout_s: float, snapshot: Path | None, as_json: bool) -> None:
    """Probe one device and explain the outcome (default: --tcp --onvif-light)."""
    from assetsvc.probing.oneoff import Plan, report_lines, run as run_probes
    from probes.types import Credentials, ProbeTarget

    credentials = None
    if user is not None:
        password = sys.stdin.readline().rstrip("\n") if password_stdin else click.prompt(
            "device password", hide_input=True, default="", show_default=False)
        credentials = Credentials(user, password)
    v3 = None
    if snmp_user:
        v3 = {"user": snmp_user, "auth_key": snmp_auth_key or "", "priv_key": snmp_priv_key or "",
              "auth_proto": snmp_auth_proto, "priv_proto": snmp_priv_proto}
    target = ProbeTarget(host, onvif_port=onvif_port, rtsp_port=rtsp_port or 554, snmp_port=snmp_port,
                         http_port=onvif_port, credentials=credentials, snmp_community=community,
                         snmp_v3=v3, rtsp_path=rtsp_path or "/",
                         # The probes' own limits sit inside the runner's, so they end first and
                         # report what they saw rather than being cut off.
                         options={"interfaces": interfaces, "frame_timeout_s": timeout_s * 0.9,
                                  "soap_timeout_s": timeout_s * 0.9,
                                  "rtsp_reply_timeout_s": timeout_s * 0.8,
                                  # one try per half of the time, so the hint survives the limit
                                  "snmp_timeout_s": max(0.2, (timeout_s - 0.5) / 2), "snmp_retries": 1})
    chosen = tuple(dict.fromkeys(kinds)) or ("tcp", "onvif_light")
    try:
        # With --onvif the stream checks follow the URI the camera reports, unless a path is given.
        results = run_probes(target, Plan(chosen, timeout_s, follow_onvif=rtsp_path is None and "onvif_deep" in chosen,
                                          keep_port=rtsp_port is not None))
    except KeyError as exc:
        raise click.ClickException(str(exc.args[0])) from None
    if snapshot is not None:
        _save_snapshot(results, snapshot)
    if as_json:
        click.echo(json.dumps([r.to_json() for r in results], ensure_ascii=False, indent=1))
    else:
        click.echo("\n".join(report_lines(results)))
    if not all(r.ok for r in results):
        sys.exit(1)


def _save_snapshot(results, path: Path) -> None:
    import cv2

    for result in results:
        if isinstance(result.facts.get("snapshot"), bytes):
            path.write_bytes(result.facts["snapshot"])
            click.echo(f"saved the ONVIF snapshot to {path}", err=True)
            return
        frame = result.facts.get("frame")
        if frame is not None:
            ok, encoded = cv2.imencode(".jpg", frame)
            if ok:
                path.write_bytes(encoded.tobytes())
                click.echo(f"saved the decoded RTSP frame to {path}", err=True)
                return
    click.echo("no snapshot or frame to save (use --onvif or --frame)", err=True)


@main.command()
@click.argument("image", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--previous", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="The previous grab of the same camera (frozen-picture check).")
@click.option("--reference", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="The camera's reference picture (scene change / camera moved).")
@click.option("--json", "as_json", is_flag=True)
def iq(image: Path, previous: Path | None, reference: Path | None, as_json: bool) -> None:
    """Run the image-quality checks on a picture and print each value, verdict and threshold."""
    from probes import iq as checks

    def load(path: Path | None):
        if path is None:
            return None
        try:
            return checks.decode_image(path.read_bytes())
        except ValueError as exc:
            raise click.ClickException(f"{path}: {exc}") from None

    result = checks.diagnose(load(image), previous=load(previous), reference=load(reference))
    doc = {"image": str(image), "verdict": result.verdict, "faults": list(result.faults),
           "checks": [{"name": c.name, "value": c.value, "verdict": c.verdict, "threshold": c.threshold,
                       "detail": c.detail} for c in result.checks]}
    if as_json:
        click.echo(json.dumps(doc, ensure_ascii=False, indent=1, default=str))
    else:
        for check in doc["checks"]:
            click.echo(f"{check['name']:<14} {check['verdict']:<6} value={check['value']} "
                       f"threshold={check['threshold']}  {check['detail'] or ''}".rstrip())
        click.echo(f"overall: {', '.join(doc['faults']) if doc['faults'] else 'ok'}")
    if doc["faults"]:
        sys.exit(1)


MAX_SWEEP = 65536


def _expand(items: list[str]) -> list[str]:
    """Addresses and CIDR blocks (e.g. 127.0.0.0/29) to single addresses, bounded."""
    import ipaddress

    out: list[str] = []
    for item in items:
        try:
            if "/" in item:
                net = ipaddress.ip_network(item, strict=False)
                if net.num_addresses > MAX_SWEEP:
                    raise click.ClickException(f"{item} holds {net.num_addresses} addresses; at most {MAX_SWEEP}")
                out += [str(a) for a in (net.hosts() if net.num_addresses > 2 else net)]
            else:
                out.append(str(ipaddress.ip_address(item)))
        except ValueError:
            raise click.ClickException(f"{item!r} is not an IP address or CIDR block") from None
    if len(out) > MAX_SWEEP:
        raise click.ClickException(f"{len(out)} addresses; at most {MAX_SWEEP} per sweep")
    return out


async def _known(from_registry: bool, extra: Path | None) -> list[str] | None:
    if not (from_registry or extra):
        return None
    known: list[str] = []
    if extra:
        known += [line.strip() for line in extra.read_text().splitlines() if line.strip()]
    if from_registry:
        from assetsvc.registry.addresses import registered_addresses

        known += await registered_addresses()
    return known


@main.command()
@click.argument("addresses", nargs=-1)
@click.option("--file", "address_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="More addresses or CIDR blocks, one per line.")
@click.option("--community", default="public", show_default=True)
@click.option("--port", default=161, show_default=True, type=int)
@click.option("--concurrency", default=64, show_default=True, type=click.IntRange(1, 1024))
@click.option("--timeout", "timeout_s", default=2.0, show_default=True, type=float, help="Seconds per address.")
@click.option("--known-from-registry", is_flag=True, help="Diff the answers against the registry's addresses.")
@click.option("--known", "known_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Diff against the addresses in this file (one per line).")
@click.option("--json", "as_json", is_flag=True)
def sweep(addresses: tuple[str, ...], address_file: Path | None, community: str, port: int, concurrency: int,
          timeout_s: float, known_from_registry: bool, known_file: Path | None, as_json: bool) -> None:
    """SNMP-sweep a list of addresses; say which answer and which of those the registry lacks."""
    from probes.sweep import snmp_sweep
    from probes.types import ProbeTarget

    items = list(addresses)
    if address_file:
        items += [line.strip() for line in address_file.read_text().splitlines() if line.strip()]
    todo = _expand(items)
    if not todo:
        raise click.ClickException("give addresses, CIDR blocks or --file")

    async def go():
        known = await _known(known_from_registry, known_file)
        template = ProbeTarget("0.0.0.0", snmp_port=port, snmp_community=community)
        return known, await snmp_sweep(todo, template, concurrency=concurrency, timeout_s=timeout_s, known=known)

    known, result = run(go) if known_from_registry else asyncio.run(go())
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=1, default=str))
        return
    for address, facts in result.found.items():
        click.echo(f"{address:<16} answers  {facts.get('sys_name') or ''}  {(facts.get('sys_descr') or '')[:60]}")
    for address, why in result.failed.items():
        click.echo(f"{address:<16} fails    {why}")
    click.echo(f"{len(result.found)} answered, {len(result.failed)} failed, {len(result.silent)} silent, "
               f"{len(result.skipped)} not reached")
    if known is not None:
        click.echo("not in the registry: " + (", ".join(result.unknown) or "none"))


@main.command()
@click.option("--interface", "interface_address", required=True,
              help="Address of the local interface to send the WS-Discovery probe from.")
@click.option("--timeout", "timeout_s", default=3.0, show_default=True, type=float)
@click.option("--known-from-registry", is_flag=True, help="Diff the answers against the registry's addresses.")
@click.option("--known", "known_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True)
def discover(interface_address: str, timeout_s: float, known_from_registry: bool, known_file: Path | None,
             as_json: bool) -> None:
    """Find ONVIF devices by WS-Discovery on one interface; say which the registry lacks."""
    from probes.wsdiscovery import diff_against, ws_discover

    async def go():
        known = await _known(known_from_registry, known_file)
        return known, await ws_discover(interface_address, timeout_s=timeout_s)

    try:
        known, found = run(go) if known_from_registry else asyncio.run(go())
    except OSError as exc:
        raise click.ClickException(f"cannot send from {interface_address}: {exc.strerror or exc}") from None
    diff = diff_against(found, known) if known is not None else None
    if as_json:
        doc = {"found": [d.to_json() for d in found]}
        if diff is not None:
            doc.update(unknown=[d.address for d in diff.unknown], missing=diff.missing)
        click.echo(json.dumps(doc, ensure_ascii=False, indent=1))
        return
    for device in found:
        click.echo(f"{device.address:<16} {' '.join(device.xaddrs)}  {device.scope('name') or ''}")
    click.echo(f"{len(found)} device(s) answered")
    if diff is not None:
        click.echo("not in the registry: " + (", ".join(d.address for d in diff.unknown) or "none"))
        click.echo("registered but silent: " + (", ".join(diff.missing) or "none"))


@main.command()
@click.option("--cameras", default=200, show_default=True, help="How many simulated cameras to run and register.")
@click.option("--seed", "seed_", default=2026, show_default=True, help="Seed of identities and the fault script.")
@click.option("--host", default=None)
@click.option("--port", default=None, type=int)
def demo(cameras: int, seed_: int, host: str | None, port: int | None) -> None:
    """Run a simulated fleet on loopback, register it, and serve with monitoring on (SQLite default).

    The fleet answers ONVIF, RTSP and SNMP on 127.15.x.y / 127.16.x.y with a scripted mix of
    faults; probing runs every 15 s (assetsvc/demo_monitoring.toml), so states change within a minute.
    """
    from assetsvc.app import demo as demo_
    from assetsvc.runtime import settings

    if not 1 <= cameras <= 200_000:
        raise click.BadParameter("between 1 and 200000", param_hint="--cameras")
    devices = demo_.fleet(cameras, seed_)

    info = run(lambda: demo_.prepare(devices, cli_actor()), schema=False)
    click.echo(info["message"])
    demo_.serve(devices, host or settings().host, port or settings().port)


@main.group("status")
def status_() -> None:
    """Measured camera states (what the probes and passive reports say now)."""


@status_.command("summary")
@click.option("--region", default=None, help="A GB/T 2260 code: that region and everything below it.")
def status_summary(region: str | None) -> None:
    """Cameras per state and cause now."""
    from assetsvc.monitoring import status

    click.echo(json.dumps(run(lambda: status.state_counts(cli_actor(), region)), ensure_ascii=False, indent=2))


@status_.command("camera")
@click.argument("gb_id")
def status_camera(gb_id: str) -> None:
    """One camera's state, cause, latest results, recent intervals and drift flags."""
    from assetsvc.errors import NotFound
    from assetsvc.monitoring import status
    from assetsvc.registry.tables import Camera

    async def go() -> Any:
        row = await Camera.select(Camera.id).where(Camera.gb_id == gb_id).first().run()
        if row is None:
            raise NotFound(f"no camera {gb_id}")
        return await status.camera_status(row["id"], cli_actor())

    click.echo(json.dumps(run(go), ensure_ascii=False, indent=2, default=str))


@status_.command("nodes")
def status_nodes() -> None:
    """Workers and schedulers with their last heartbeat and the leader."""
    from assetsvc.monitoring import status

    for node in run(lambda: status.nodes(cli_actor())):
        mark = "LEADER" if node["leader"] else ("" if node["alive"] else "GONE")
        click.echo(f"{node['name']:<48} {node['role']:<9} {mark:<6} "
                   f"seen {node['seen_at']} probes {node['probes_done']}")


@status_.command("held")
@click.option("--status", "wanted", type=click.Choice(["held", "confirmed", "discarded"]), default="held")
def status_held(wanted: str) -> None:
    """Passive report batches held for the office (a platform taking down much of its fleet)."""
    from assetsvc.monitoring import passive_held

    for row in run(lambda: passive_held.list_batches(cli_actor(), wanted)):
        click.echo(f"{row['id']:>6} {row['username']:<24} {row['received_at']} {row['reports']} reports, "
                   f"{row['offline']} of {row['cameras']} cameras offline {row['decided_by']}")


@status_.command("confirm")
@click.argument("batch_id", type=int)
def status_confirm(batch_id: int) -> None:
    """Apply a held batch of passive reports."""
    import time

    from assetsvc.monitoring import passive_held
    from assetsvc.monitoring.config import current

    click.echo(json.dumps(run(lambda: passive_held.confirm(cli_actor(), batch_id, current(), time.time()))))


@status_.command("discard")
@click.argument("batch_id", type=int)
def status_discard(batch_id: int) -> None:
    """Drop a held batch of passive reports; nothing of it is applied."""
    import time

    from assetsvc.monitoring import passive_held

    click.echo(json.dumps(run(lambda: passive_held.discard(cli_actor(), batch_id, time.time()))))


for group in (uptime, maintenance, history, picture_baseline, tickets, contracts, webhooks, report, outlines):  # the slices' own command groups
    main.add_command(group)

if __name__ == "__main__":  # pragma: no cover
    main()
