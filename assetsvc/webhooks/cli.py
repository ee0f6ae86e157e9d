"""`assetsvc webhooks`: endpoints, deliveries, retry and an immediate delivery round from the shell.

Registered in assetsvc/cli.py with main.add_command(webhooks). `run` and `cli_actor` come from
assetsvc.cli_shell (core), never from the root CLI.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any, Callable

import click

from assetsvc.cli_shell import cli_actor, run


def _call(make: Callable[[Any], Any]) -> Any:
    actor = cli_actor()
    return run(lambda: make(actor))


def _json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2))


def _endpoint_line(e: dict[str, Any]) -> str:
    who = f"contractor {e['contractor']}" if e["contractor"] is not None else "office"
    events = ",".join(e["events"]) or "all events"
    counts = e.get("deliveries") or {}
    state = "" if e["active"] else " INACTIVE"
    return (f"{e['id']:>4}  {e['name']}  {e['url']}  ({who}; {events}){state}  "
            f"pending {counts.get('pending', 0)}, dead {counts.get('dead', 0)}, "
            f"delivered {counts.get('delivered', 0)}")


@click.group()
def webhooks() -> None:
    """Webhook endpoints (signed notifications to contractors and the office) and their outbox."""


@webhooks.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_endpoints(as_json: bool) -> None:
    """Endpoints with their deliveries per state (secrets are never shown)."""
    from assetsvc.webhooks import service

    found = _call(service.list_endpoints)
    if as_json:
        _json(found)
        return
    for endpoint in found:
        click.echo(_endpoint_line(endpoint))
    if not found:
        click.echo("no webhook endpoints")


@webhooks.command("add")
@click.argument("name")
@click.argument("url")
@click.option("--contractor", type=int, default=None, help="Contractor id: only events about it (default: office, all).")
@click.option("--event", "events", multiple=True, help="An event name it takes (repeat; default: all events).")
@click.option("--secret-stdin", is_flag=True, help="Read the signing secret from stdin (default: generate one).")
@click.option("--inactive", is_flag=True, help="Create it switched off.")
def add(name: str, url: str, contractor: int | None, events: tuple[str, ...], secret_stdin: bool,
        inactive: bool) -> None:
    """Add an endpoint; its secret is printed this once (give it to the receiver)."""
    from assetsvc.webhooks import service

    values: dict[str, Any] = {"name": name, "url": url, "contractor": contractor, "events": list(events),
                              "active": not inactive}
    if secret_stdin:
        values["secret"] = sys.stdin.readline().strip()
    made = _call(lambda actor: service.create_endpoint(actor, values, source="cli"))
    click.echo(_endpoint_line(made))
    click.echo(f"secret (shown once, store it with the receiver): {made['secret']}")


@webhooks.command("remove")
@click.argument("endpoint")
def remove(endpoint: str) -> None:
    """Remove an endpoint (by id or name) and its deliveries."""
    from assetsvc.webhooks import service

    async def go(actor: Any) -> dict[str, Any]:
        return await service.delete_endpoint(actor, await service.find_endpoint(actor, endpoint), source="cli")

    done = _call(go)
    click.echo(f"removed {done['name']} (id {done['deleted']}); {done['dropped_pending']} pending deliveries dropped")


@webhooks.command("deliveries")
@click.option("--state", type=click.Choice(["pending", "delivered", "dead"]), default=None)
@click.option("--endpoint", default=None, help="Endpoint id or name.")
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON (with the bodies).")
def deliveries(state: str | None, endpoint: str | None, limit: int, as_json: bool) -> None:
    """Deliveries, newest first."""
    from assetsvc.webhooks import service

    async def go(actor: Any) -> list[dict[str, Any]]:
        endpoint_id = await service.find_endpoint(actor, endpoint) if endpoint else None
        return await service.list_deliveries(actor, state=state, endpoint=endpoint_id, limit=limit)

    found = _call(go)
    if as_json:
        _json(found)
        return
    for d in found:
        when = f"next {d['next_at']}" if d["state"] == "pending" else (d["delivered_at"] or "")
        error = f"  last error: {d['last_error']}" if d["last_error"] else ""
        click.echo(f"{d['id']:>6}  {d['state']:<9} {d['event']:<20} -> {d['endpoint_name']}  "
                   f"attempts {d['attempts']}  {when}{error}")
    if not found:
        click.echo("no deliveries")


@webhooks.command("retry")
@click.argument("delivery_id", type=int)
def retry(delivery_id: int) -> None:
    """Send a dead delivery again (pending now, with fresh attempts)."""
    from assetsvc.webhooks import service

    done = _call(lambda actor: service.retry_delivery(actor, delivery_id, source="cli"))
    click.echo(f"delivery {done['id']} ({done['event']} -> {done['endpoint_name']}) is pending again")


@webhooks.command("deliver-now")
@click.option("--limit", type=click.IntRange(1, 1000), default=100, show_default=True)
def deliver_now(limit: int) -> None:
    """Send what is due now, once (the scheduler does this every few seconds anyway)."""
    from assetsvc.webhooks.delivery import deliver_due

    counts = run(lambda: deliver_due(time.time(), limit=limit))
    click.echo(", ".join(f"{k} {v}" for k, v in counts.items()))


if __name__ == "__main__":  # for tests before registration: python -m assetsvc.webhooks.cli
    webhooks()
