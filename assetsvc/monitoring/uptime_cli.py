"""`assetsvc uptime` and `assetsvc maintenance`: the uptime figures and maintenance windows from the shell.

Registered in assetsvc/cli.py with main.add_command(uptime) and main.add_command(maintenance).
`run` and `cli_actor` come from assetsvc.cli_shell (core), never from the root CLI.
"""

from __future__ import annotations

import json
from typing import Any, Callable

import click

from assetsvc.cli_shell import cli_actor, run

SCOPE_OPTIONS = (("camera", "a camera id"), ("site", "a site id"), ("station", "a police station id"),
                 ("region", "a region code or prefix (330106, 3301)"),
                 ("owner-class", "police, government or social"), ("contractor", "a contractor id"))


def _scope_options(fn: Callable) -> Callable:
    for name, help_text in reversed(SCOPE_OPTIONS):
        fn = click.option(f"--{name}", "scope_" + name.replace("-", "_"), default=None,
                          help=f"Scope: {help_text}.")(fn)
    return fn


def _period_options(fn: Callable) -> Callable:
    fn = click.option("--tz", default=None, help="UTC offset for dates and output (default: the office's, ASSETSVC_TIMEZONE).")(fn)
    fn = click.option("--to", "end", default=None, help="Period end, exclusive (date or ISO 8601 time).")(fn)
    return click.option("--from", "start", default=None, help="Period start (date or ISO 8601 time).")(fn)


def _scope(options: dict[str, Any]) -> tuple[str, str | None]:
    chosen = [(k.removeprefix("scope_"), v) for k, v in options.items() if k.startswith("scope_") and v]
    if len(chosen) > 1:
        raise click.UsageError("give at most one scope option (--camera, --site, --region, ...)")
    return chosen[0] if chosen else ("all", None)


def _call(make: Callable[[Any], Any]) -> Any:
    actor = cli_actor()
    return run(lambda: make(actor))


def _pct(value: float | None) -> str:
    return "n/a (nothing observed)" if value is None else f"{value * 100:.3f}%"


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:,.1f} h"


@click.group(invoke_without_command=True)
@_scope_options
@_period_options
@click.option("--step", type=float, default=None, help="Seconds between sample instants (default 3600).")
@click.option("--hours", default=None,
              help="Times of day of the fixed-hour sampling, e.g. 02:00,08:00,14:00,20:00 (default: "
                   "ASSETSVC_SAMPLE_HOURS).")
@click.option("--causes", is_flag=True, help="Also break non-up time down by cause and root upstream device.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.pass_context
def uptime(ctx: click.Context, start: str | None, end: str | None, tz: str | None, step: float | None,
           hours: str | None, causes: bool, as_json: bool, **options: Any) -> None:
    """Uptime of a scope over a period: 在线率 (online), 完好率 (working), time per state.

    Example: assetsvc uptime --region 330106 --from 2026-11-01 --to 2026-12-01
    """
    if ctx.invoked_subcommand:
        return
    from assetsvc.monitoring import uptime_views

    scope, ref = _scope(options)
    body = _call(lambda actor: uptime_views.summary(actor, scope=scope, ref=ref, start=start, end=end,
                                                     step=step, tz=tz, causes=causes, hours=hours))
    click.echo(json.dumps(body, ensure_ascii=False, indent=2) if as_json else _describe(body))


def _describe(body: dict[str, Any]) -> str:
    s, p, sampled, at_hours = body["seconds"], body["period"], body["sampled"], body["sampled_hours"]
    lines = [
        f"scope {body['scope']['type']} {body['scope']['ref'] or ''}".rstrip()
        + f", {p['start']} .. {p['end']} (counted until {p['counted_until']})",
        f"cameras in service   {body['cameras']:,}",
        f"online rate 在线率    {_pct(body['online_rate'])}",
        f"working rate 完好率   {_pct(body['working_rate'])}",
        f"unknown share        {_pct(body['unknown_share'])}",
        f"sampled online rate  {_pct(sampled['online_rate'])} ({sampled['counted']} of {sampled['instants']} "
        f"instants every {sampled['step']:.0f} s had a known camera)",
        f"at {','.join(at_hours['hours'])}  {_pct(at_hours['online_rate'])} ({at_hours['counted']} of "
        f"{at_hours['instants']} spot checks had a known camera)",
        f"in service {_hours(s['in_service'])}, maintenance {_hours(s['maintenance'])}, "
        f"observed {_hours(s['observed'])}",
        f"up {_hours(s['up'])}, degraded {_hours(s['degraded'])}, down {_hours(s['down'])} "
        f"(own {_hours(body['down']['own'])}, upstream {_hours(body['down']['upstream'])}), "
        f"unknown {_hours(s['unknown'])}",
    ]
    for state, found in (body.get("causes") or {}).items():
        lines.append(f"{state} by cause: " + ", ".join(f"{c or '-'} {_hours(v)}" for c, v in
                                                       sorted(found.items(), key=lambda kv: -kv[1])))
    return "\n".join(lines)


@uptime.command("cameras")
@_scope_options
@_period_options
@click.option("--sort", default="online_rate", show_default=True,
              type=click.Choice(["online_rate", "working_rate", "unknown_share", "down"]))
@click.option("--limit", "per_page", type=int, default=20, show_default=True, help="Rows per page.")
@click.option("--page", type=int, default=1, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the page as JSON.")
def uptime_cameras(start: str | None, end: str | None, tz: str | None, sort: str, per_page: int, page: int,
                   as_json: bool, **options: Any) -> None:
    """Per-camera figures of a scope, worst first."""
    from assetsvc.monitoring import uptime_views

    scope, ref = _scope(options)
    found = _call(lambda actor: uptime_views.cameras(actor, scope=scope, ref=ref, start=start, end=end, tz=tz,
                                                      sort=sort, page=page, per_page=per_page))
    if as_json:
        click.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    click.echo(f"{found['total']:,} cameras; page {page}, worst {sort} first")
    for row in found["items"]:
        click.echo(f"{row['gb_id']}  {_pct(row['online_rate']):>8}  {_pct(row['working_rate']):>8}  "
                   f"down {_hours(row['down'])}  unknown {_hours(row['unknown'])}  {row['name']}")


@uptime.command("upstream")
@click.argument("device_id", type=int)
@_period_options
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def uptime_upstream(device_id: int, start: str | None, end: str | None, tz: str | None, as_json: bool) -> None:
    """An upstream device (switch, encoder, NVR): its own time per state and the cameras it took down."""
    from assetsvc.monitoring import uptime_views

    found = _call(lambda actor: uptime_views.upstream(actor, device_id, start=start, end=end, tz=tz))
    if as_json:
        click.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    d, s, down = found["device"], found["seconds"], found["cameras_down"]
    click.echo(f"{d['kind']} {d['name']} (id {d['id']}), {found['period']['start']} .. {found['period']['end']}")
    click.echo(f"online rate {_pct(found['online_rate'])}; up {_hours(s['up'])}, degraded {_hours(s['degraded'])}, "
               f"down {_hours(s['down'])}, unknown {_hours(s['unknown'])}, maintenance {_hours(s['maintenance'])}")
    click.echo(f"took down {down['cameras']} cameras for {_hours(down['seconds'])} in all")
    for row in down["items"]:
        click.echo(f"  {row['gb_id']}  {_hours(row['seconds'])}  {row['name']}")


@uptime.command("rollup")
@click.option("--days", type=click.IntRange(1, 400), default=None,
              help="Closed days to roll up, counting back from today (default: the nightly job's 31).")
def uptime_rollup(days: int | None) -> None:
    """Roll up closed days now, as the nightly job does (after a deploy, before the first dashboard load).

    Each camera's closed days are computed by the uptime service and stored (docs/monitoring.md, "The
    daily uptime rollup"); days already stored are kept; days older than ASSETSVC_UPTIME_ROLLUP_DAYS go.
    """
    import time

    from assetsvc.monitoring import uptime_series
    from assetsvc.runtime import settings

    cli_actor()  # the operator of this host (the job's own rights: every camera)
    back = uptime_series.ROLL_UP_DAYS if days is None else days
    click.echo(run(lambda: uptime_series.roll_up(time.time(), settings().uptime_rollup_days, back)))


@click.group()
def maintenance() -> None:
    """Maintenance windows (计划维护): time in them is not counted against uptime."""


@maintenance.command("add")
@click.option("--camera", "camera", default=None, help="A camera id.")
@click.option("--site", default=None, help="A site id.")
@click.option("--region", default=None, help="A region code or prefix.")
@click.option("--upstream", default=None, help="An upstream device id (its cameras and those below it).")
@_period_options
@click.option("--reason", required=True, help="The work planned.")
@click.option("--json", "as_json", is_flag=True)
def maintenance_add(camera: str | None, site: str | None, region: str | None, upstream: str | None,
                    start: str | None, end: str | None, tz: str | None, reason: str, as_json: bool) -> None:
    """Plan a window: exactly one of --camera, --site, --region, --upstream, with --from and --to."""
    from assetsvc.monitoring import maintenance as service

    chosen = [(k, v) for k, v in (("camera", camera), ("site", site), ("region", region),
                                  ("upstream", upstream)) if v]
    if len(chosen) != 1:
        raise click.UsageError("give exactly one of --camera, --site, --region, --upstream")
    values = {"scope": chosen[0][0], "ref": chosen[0][1], "starts_at": start, "ends_at": end, "reason": reason}
    window = _call(lambda actor: service.create(actor, values, tz=tz, source="cli"))
    click.echo(json.dumps(window, ensure_ascii=False, indent=2) if as_json else f"created {_line(window)}")


def _line(window: dict[str, Any]) -> str:
    state = " (active)" if window["active"] else ""
    return (f"window {window['id']}: {window['scope']} {window['ref']} {window['starts_at']} .. "
            f"{window['ends_at']}{state} by {window['created_by']}: {window['reason']}")


@maintenance.command("list")
@click.option("--active-at", default=None, help="Only windows running at this time (date or ISO 8601).")
@click.option("--scope", default=None, type=click.Choice(["camera", "site", "region", "upstream"]))
@click.option("--ref", default=None, help="With --scope: the id or region code.")
@click.option("--tz", default=None, help="UTC offset for input and output (default: the office's, ASSETSVC_TIMEZONE).")
@click.option("--limit", type=int, default=200, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def maintenance_list(active_at: str | None, scope: str | None, ref: str | None, tz: str | None, limit: int,
                     as_json: bool) -> None:
    """Windows, newest start first."""
    from assetsvc.monitoring import maintenance as service

    found = _call(lambda actor: service.list_windows(actor, active_at=active_at, scope=scope, ref=ref, tz=tz,
                                                      limit=limit))
    if as_json:
        click.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    for window in found:
        click.echo(_line(window))
    if not found:
        click.echo("no maintenance windows")


@maintenance.command("end")
@click.argument("window_id", type=int)
@click.option("--tz", default=None, help="UTC offset for output (default: the office's, ASSETSVC_TIMEZONE).")
def maintenance_end(window_id: int, tz: str | None) -> None:
    """End a window now: one not yet started is deleted, a running one ends now."""
    from assetsvc.monitoring import maintenance as service

    done = _call(lambda actor: service.end(actor, window_id, tz=tz, source="cli"))
    click.echo(f"{done['action']} {_line(done['window'])}")


if __name__ == "__main__":  # for tests before registration: python -m assetsvc.monitoring.uptime_cli
    @click.group()
    def _main() -> None:
        """uptime and maintenance commands."""

    _main.add_command(uptime)
    _main.add_command(maintenance)
    _main()
