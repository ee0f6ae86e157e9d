"""`assetsvc report push|deliveries|retry-delivery` and `assetsvc report province show|set` (docs/province.md)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from assetsvc.cli_shell import cli_actor, run


def _json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def _line(row: dict[str, Any]) -> str:
    what = f"{row['month']} v{row['version']}" + (f" (correction of v{row['replaces']})" if row["replaces"] else "")
    state = row["state"] + (f", next try {row['next_at']}" if row["next_at"] else "")
    tail = f"  receipt {json.dumps(row['receipt'], ensure_ascii=False)}" if row["receipt"] is not None else \
        (f"  last error: {row['last_error']}" if row["last_error"] else "")
    return f"#{row['id']}  {what}  {state}  {row['attempts']} attempt(s){tail}"


@click.command("push")
@click.option("--month", default=None, help="Also queue this month's approved version if it is not yet (YYYY-MM).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def push(month: str | None, as_json: bool) -> None:
    """Send the approved reports due to the provincial platform now (admin)."""
    from assetsvc.reports.province import service

    found = run(lambda: service.push(cli_actor(), month, source="cli"))
    if as_json:
        _json(found)
        return
    click.echo(("queued; " if found["queued"] else "") + f"sent {found['sent']}: {found['delivered']} delivered, "
               f"{found['retrying']} to retry, {found['failed']} failed")
    for row in found["deliveries"]:
        click.echo(_line(row))


@click.command("deliveries")
@click.option("--month", default=None)
@click.option("--state", type=click.Choice(["pending", "delivered", "failed"]), default=None)
@click.option("--limit", type=click.IntRange(1, 500), default=100)
@click.option("--json", "as_json", is_flag=True, help="Print JSON (with every attempt).")
def deliveries(month: str | None, state: str | None, limit: int, as_json: bool) -> None:
    """Deliveries to the provincial platform, newest first: state, attempts, receipt or last error."""
    from assetsvc.reports.province import service

    found = run(lambda: service.list_deliveries(cli_actor(), month=month, state=state, limit=limit))
    if as_json:
        _json(found)
        return
    for row in found:
        click.echo(_line(row))
    if not found:
        click.echo("no deliveries to the provincial platform")


@click.command("retry-delivery")
@click.argument("delivery_id", type=click.IntRange(1, 2**31 - 1))
def retry_delivery(delivery_id: int) -> None:
    """A failed (or waiting) delivery is due now, with a fresh give-up window (admin)."""
    from assetsvc.reports.province import service

    click.echo(_line(run(lambda: service.retry(cli_actor(), delivery_id, source="cli"))))


@click.group("province")
def province() -> None:
    """The provincial platform reports are sent to (省级平台)."""


@province.command("show")
def show() -> None:
    """The configuration (never the signing key)."""
    from assetsvc.reports.province import config

    _json(run(lambda: config.show(cli_actor())))


@province.command("set")
@click.option("--url", default=None, help="https:// address of the platform's report endpoint.")
@click.option("--ca-bundle", type=click.Path(path_type=Path), default=None, help="PEM file of the CAs to trust.")
@click.option("--client-cert", type=click.Path(path_type=Path), default=None, help="PEM client certificate.")
@click.option("--client-key", type=click.Path(path_type=Path), default=None, help="Its key (if not in the cert file).")
@click.option("--mapping", default=None, help="A shipped mapping's name (province-v1) or a TOML file.")
@click.option("--area-code", default=None)
@click.option("--unit-code", default=None)
@click.option("--give-up-days", type=int, default=None, help="Days of failing before a delivery is failed (7).")
@click.option("--timeout", "timeout_s", type=float, default=None, help="Seconds per connect/write/read (30).")
@click.option("--key-stdin", is_flag=True, help="Read the HMAC signing key from standard input.")
def set_(key_stdin: bool, **options: Any) -> None:
    """Set the platform: only the options given change; the signing key comes from stdin."""
    from assetsvc.reports.province import config

    values = {k: (str(v.resolve()) if isinstance(v, Path) else v) for k, v in options.items() if v is not None}
    if key_stdin:
        values["secret"] = sys.stdin.readline().strip()
    _json(run(lambda: config.configure(cli_actor(), values, source="cli")))


COMMANDS = (push, deliveries, retry_delivery, province)
