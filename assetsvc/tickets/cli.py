"""`assetsvc tickets` and `assetsvc contracts`: fault tickets (工单) and contract SLA terms from the shell.

Registered in assetsvc/cli.py with main.add_command(tickets) and main.add_command(contracts). The
shell user acts as the video office (cli_actor). `run` and `cli_actor` come from
assetsvc.cli_shell (core), never from the root CLI. Times are shown in the office's time zone (ASSETSVC_TIMEZONE); --json prints Unix seconds as stored.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import sys
import unicodedata
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import click

from assetsvc.cli_shell import cli_actor, run
from assetsvc.runtime import settings
from assetsvc.tickets.paper.replay import KINDS

STAGES = ("respond", "arrive", "restore")
# CLI verb -> (service action, help). One command is made per entry by _action_command.
ACTIONS = {
    "ack": ("acknowledge", "Acknowledge a ticket (响应): the contractor has taken it."),
    "arrive": ("arrive", "Record that the contractor is on site (到场)."),
    "resolve": ("resolve", "Mark a ticket fixed; the system's next check closes it as verified or reopens it."),
    "cancel": ("cancel", "Cancel a ticket opened in error (office only; a reason is required)."),
    "close": ("close", "Close a ticket on the office's word, e.g. a device that cannot be probed (note required)."),
    "reopen": ("reopen", "Reopen a closed ticket (office only; note required)."),
}


def _call(make: Callable[[Any], Any]) -> Any:
    """Run one service call as the office; a rules-file error becomes a one-line exit too."""
    from assetsvc.tickets.calendar import DataError

    actor = cli_actor()
    try:
        return run(lambda: make(actor))
    except DataError as exc:  # tickets.toml, ASSETSVC_CALENDAR_DIR or a terms file
        raise click.ClickException(str(exc)) from None


def _json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def _when(at: float | None) -> str:
    if at is None:
        return "-"
    return dt.datetime.fromtimestamp(at, settings().zone).strftime("%Y-%m-%d %H:%M")


def _span(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.0f}s"
    hours, minutes = divmod(round(seconds / 60), 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m"


def _width(text: str) -> int:
    # Chinese names take two columns in a terminal.
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    cells = [[str(c) for c in row] for row in [headers, *rows]]
    widths = [max(_width(row[i]) for row in cells) for i in range(len(headers))]
    return ["  ".join(c + " " * (w - _width(c)) for c, w in zip(row, widths)).rstrip() for row in cells]


def _flags(ticket: Mapping[str, Any]) -> str:
    marks = [s for s in STAGES if ticket.get(f"{s}_breached_at") is not None]
    if ticket.get("escalated_at") is not None:
        marks.append("escalated")
    if ticket.get("verify_overdue_at") is not None:
        marks.append("verify-overdue")
    return ",".join(marks) or "-"


# ---- tickets -----------------------------------------------------------------------------------

@click.group()
def tickets() -> None:
    """Fault tickets (工单): list, show, open, act on them, and run the ticket jobs once."""


@tickets.command("list")
@click.option("--state", default=None, help="One or more states, comma-separated, or 'active'.")
@click.option("--severity", default=None, help="One or more severities, comma-separated (P1,P2).")
@click.option("--fault", default=None, help="One or more fault kinds, comma-separated (down,stream).")
@click.option("--contractor", default=None, type=int, help="A contractor id.")
@click.option("--source", default=None, help="auto, manual or paper (paper work orders), comma-separated.")
@click.option("--breached/--not-breached", default=None, help="Only tickets with (or without) a breached stage.")
@click.option("--region", default=None, help="A region code or prefix (330106, 3301).")
@click.option("--min-age-h", default=None, type=float, help="Only tickets opened at least this many hours ago.")
@click.option("--sort", default=None, help="-opened (default), opened, restore_due, severity, id, -id.")
@click.option("--page", default=1, show_default=True, type=int)
@click.option("--per-page", default=50, show_default=True, type=int)
@click.option("--json", "as_json", is_flag=True, help="Print the page as JSON.")
def list_(state: str | None, severity: str | None, fault: str | None, contractor: int | None, source: str | None,
          breached: bool | None, region: str | None, min_age_h: float | None, sort: str | None, page: int,
          per_page: int, as_json: bool) -> None:
    """Tickets, newest first, with their SLA breach flags."""
    from assetsvc.tickets import views

    query = {"state": state, "severity": severity, "fault": fault, "contractor": contractor, "source": source,
             "breached": None if breached is None else str(breached).lower(), "region": region,
             "min_age_h": min_age_h, "sort": sort, "page": page, "per_page": per_page}
    found = _call(lambda actor: views.list_tickets(actor, {k: v for k, v in query.items() if v is not None}))
    if as_json:
        _json(found)
        return
    rows = [(t["id"], t["state"], t["severity"], t["fault"], f"{t['subject_type']} {t['subject_id']}",
             t["contractor_name"] or "-", _when(t["opened_at"]), _when(t["restore_due"]), _flags(t), t["title"])
            for t in found["items"]]
    click.echo(f"{found['total']} ticket(s); page {found['page']}, {found['per_page']} per page; "
               f"times in {settings().timezone}")
    if rows:
        headers = ("id", "state", "severity", "fault", "device", "contractor", "opened", "restore due",
                   "breached", "title")
        click.echo("\n".join(_table(headers, rows)))


@tickets.command("show")
@click.argument("ticket_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print the ticket as JSON.")
def show(ticket_id: int, as_json: bool) -> None:
    """One ticket: SLA stages, timeline, pauses, linked cameras, attachments, disputes, evidence frames."""
    from assetsvc.registry import crud
    from assetsvc.registry.entities import CONTRACTOR
    from assetsvc.tickets import views

    async def go(actor: Any) -> dict[str, Any]:
        found = await views.detail(actor, ticket_id)
        if found["contractor_id"] is not None and found["contractor_name"] is None:
            found["contractor_name"] = (await crud.get_record(CONTRACTOR, actor, found["contractor_id"]))["name"]
        return found

    found = _call(go)
    click.echo(json.dumps(found, ensure_ascii=False, indent=2, default=str) if as_json else "\n".join(_detail(found)))


def _detail(t: Mapping[str, Any]) -> list[str]:
    device = t["device"] or {}
    lines = [
        f"ticket {t['id']}: {t['title']}",
        f"state       {t['state']}" + (f" ({t['close_reason']})" if t["close_reason"] else "")
        + (f", reopened {t['reopen_count']} time(s)" if t["reopen_count"] else ""),
        f"device      {t['subject_type']} {t['subject_id']} {device.get('name', '(deleted)')} "
        f"gb_id {device.get('gb_id') or '-'} ip {device.get('ipv4') or '-'} region {t['region_code'] or '-'}",
        f"fault       {t['fault']} ({t['cause'] or '-'}), source {t['source']}, since {_when(t['fault_since'])}"
        + (f", cleared {_when(t['fault_cleared_at'])}" if t["fault_cleared_at"] else ""),
        f"severity    {t['severity']}, area {t['area']}"
        + (f", {t['affected_count']} camera(s) affected" if t["affected_count"] else ""),
        f"contractor  {t['contractor_name'] or '-'}" + (f" (#{t['contractor_id']})" if t["contractor_id"] else "")
        + (f", contract #{t['contract_id']}" if t["contract_id"] else ", no contract"),
        f"opened      {_when(t['opened_at'])}; acknowledged {_when(t['acknowledged_at'])}; on site "
        f"{_when(t['on_site_at'])}; resolved {_when(t['resolved_at'])}; restored {_when(t['restored_at'])}; "
        f"closed {_when(t['closed_at'])}",
    ]
    flags = _flags(t)
    if flags != "-":
        lines.append(f"flags       {flags}")
    lines += _sla_lines(t["sla"])
    if t.get("downtime"):
        d = t["downtime"]
        lines.append(f"downtime    {d['seconds'] / 3600:.2f} h ({', '.join(d['counts'])}; maintenance excluded) "
                     f"from {_when(d['from'])} to {_when(d['until'])}")
    lines.append(f"timeline ({settings().timezone})")
    for e in t["timeline"]:
        lines.append(_timeline_line(e))
    if t["suspensions"]:
        lines.append("pauses (挂起)")
        for s in t["suspensions"]:
            decided = f", {s['status']} by {s['decided_by']} {_when(s['decided_at'])}" if s["decided_by"] else ""
            ended = f", ended by {s['ended_by']} {_when(s['ended_at'])}" if s["ended_by"] else ""
            lines.append(f"  #{s['id']} {s['reason']} ({s['status']}) asked by {s['requested_by']} "
                         f"{_when(s['requested_at'])}{decided}{ended}: {s['note']}")
    if t["cameras"]:
        lines.append(f"cameras down behind the device ({len(t['cameras'])})")
        for c in t["cameras"]:
            back = f", back {_when(c['recovered_at'])}" if c["recovered_at"] else ""
            lines.append(f"  camera {c['camera_id']} {c['gb_id'] or ''} {c['name'] or ''} linked "
                         f"{_when(c['linked_at'])}{back}")
    if t["attachments"]:
        lines.append("attachments")
        for a in t["attachments"]:
            lines.append(f"  #{a['id']} {a['filename']} {a['content_type']} {a['size']} bytes by "
                         f"{a['uploaded_by']} {_when(a['uploaded_at'])}")
    for d in t.get("disputes") or []:
        lines.append(f"dispute #{d['id']} {d['status']} by {d['raised_by']} {_when(d['raised_at'])}: {d['reason']} "
                     f"(attachments {', '.join(map(str, d['attachments']))})"
                     + (f"; {d['decided_by']}: {d['decision_note']}" if d["decided_by"] else ""))
    for f in t.get("evidence") or []:
        lines.append(f"evidence {f['role']} frame {f['id']} at {f['at']}: {f['verdict']} ({f['size']} bytes)")
    return lines


def _timeline_line(e: Mapping[str, Any]) -> str:
    """`#12 2026-11-03 10:15  admin  accepted open->acknowledged (entered 2026-11-05 09:00) VOIDED by #14`."""
    move = f" {e['from_state'] or ''}->{e['to_state']}" if e["to_state"] else ""
    late = e.get("entered_at") is not None and abs(e["entered_at"] - e["at"]) >= 60  # entered afterwards
    entered = f" (entered {_when(e['entered_at'])})" if late else ""
    voids = f" #{e['voids']}" if e.get("voids") is not None else ""
    mark = f" VOIDED by #{e['voided_by']}" if e.get("voided_by") is not None else ""
    return (f"  #{e.get('id', '-')} {_when(e['at'])}  {e['actor']}  {e['kind']}{voids}{move}{entered}{mark}"
            + (f": {e['note']}" if e["note"] else ""))


def _sla_lines(sla: Mapping[str, Any]) -> list[str]:
    if not sla["available"]:
        return [f"SLA         no clocks: {sla['note']}"]
    head = f"SLA         as of {_when(sla['as_of'])}" + (" (paused)" if sla["paused"] else "") \
        + (f", paused for {_span(sla['suspended_s'])} of service time" if sla["suspended_s"] else "")
    rows = []
    for name, s in sla["stages"].items():
        if s["status"] == "not_applicable":  # the fault cleared by itself before anyone had to act
            rows.append((name, _span(s["limit_s"]), "-", "-", s["status"]))
            continue
        deadline = _when(s["deadline"]) if s["deadline"] is not None else f"unknown (no {s['missing_year']} calendar)"
        rows.append((name, _span(s["limit_s"]), deadline, _span(s["elapsed_s"]),
                     s["status"] + (f", late {_span(s['late_s'])}" if s["late_s"] else "")))
    return [head, *("  " + line for line in _table(("stage", "limit", "deadline", "elapsed", "status"), rows))]


@tickets.command("open")
@click.option("--camera", "camera", type=int, default=None, help="A camera id.")
@click.option("--upstream", type=int, default=None, help="An upstream device id.")
@click.option("--note", required=True, help="What is wrong (kept in the timeline).")
@click.option("--severity", default=None, help="Override the severity rules (P1, P2, ...).")
@click.option("--fault", default=None, help="down, stream, picture, clock, reboot_loop, drift (default manual).")
@click.option("--opened-at", default=None, metavar="TIME",
              help="A paper work order: when it was opened, e.g. '2026-11-03 09:30' (office time) or ISO 8601 "
                   "with a zone; record its later events with `tickets record`.")
def open_(camera: int | None, upstream: int | None, note: str, severity: str | None, fault: str | None,
          opened_at: str | None) -> None:
    """Open a ticket by hand against exactly one of --camera or --upstream."""
    from assetsvc.tickets import lifecycle

    if (camera is None) == (upstream is None):
        raise click.UsageError("give exactly one of --camera or --upstream")
    body: dict[str, Any] = {"subject_type": "camera" if camera is not None else "upstream",
                            "subject_id": camera if camera is not None else upstream, "note": note}
    body.update({k: v for k, v in (("severity", severity), ("fault", fault), ("opened_at", opened_at))
                 if v is not None})
    opened = _call(lambda actor: lifecycle.open_manual(actor, body))
    click.echo(f"opened ticket {opened['id']}" + (" (a paper work order)" if opened_at else ""))


@tickets.command("record")
@click.argument("ticket_id", type=int)
@click.argument("kind", type=click.Choice(list(KINDS)))
@click.option("--at", "at", required=True, metavar="TIME",
              help="When it happened: '2026-11-03 10:15' (office time) or ISO 8601 with a zone; never in the future.")
@click.option("--reason", default=None, help="A pause request's reason (one the contract allows).")
@click.option("--note", default=None, help="What the paper says (kept in the timeline).")
def record(ticket_id: int, kind: str, at: str, reason: str | None, note: str | None) -> None:
    """Record a paper work order's event with the time it happened (office only; audited)."""
    from assetsvc.tickets.paper import service as paper

    body = {k: v for k, v in (("kind", kind), ("at", at), ("reason", reason), ("note", note)) if v is not None}
    done = _call(lambda actor: paper.record(actor, ticket_id, body))
    click.echo(f"ticket {ticket_id}: event {done['id']} {kind} at {_when(done['at'])} recorded; "
               f"the ticket is {done['state']}")


@tickets.command("void")
@click.argument("ticket_id", type=int)
@click.argument("event_id", type=int)
@click.option("--reason", required=True, help="Why the entry is wrong (kept in the timeline).")
def void(ticket_id: int, event_id: int, reason: str) -> None:
    """Void a wrong entry of a paper work order; it stays in the timeline, marked, and no longer counts."""
    from assetsvc.tickets.paper import service as paper

    done = _call(lambda actor: paper.void(actor, ticket_id, event_id, {"reason": reason}))
    click.echo(f"ticket {ticket_id}: event {event_id} voided by event {done['id']}; the ticket is {done['state']}")


def _action_command(verb: str, action: str, help_text: str) -> None:
    @tickets.command(verb, help=help_text)
    @click.argument("ticket_id", type=int)
    @click.option("--note", "--reason", "note", default=None, help="Why (kept in the timeline).")
    def command(ticket_id: int, note: str | None) -> None:
        from assetsvc.tickets import lifecycle

        done = _call(lambda actor: lifecycle.act(actor, ticket_id, action, {"note": note}))
        click.echo(f"ticket {done['id']} is now {done['state']}")


for _verb, (_action, _help) in ACTIONS.items():
    _action_command(_verb, _action, _help)


@tickets.command("note")
@click.argument("ticket_id", type=int)
@click.argument("text")
def note_(ticket_id: int, text: str) -> None:
    """Add a note to a ticket's timeline."""
    from assetsvc.tickets import lifecycle

    _call(lambda actor: lifecycle.add_note(actor, ticket_id, {"note": text}))
    click.echo(f"noted on ticket {ticket_id}")


def _pause_command(verb: str, decision: str, help_text: str) -> None:
    @tickets.command(verb, help=help_text)
    @click.argument("ticket_id", type=int)
    @click.argument("suspension_id", type=int)
    @click.option("--note", default=None, help="The office's reason (required to reject).")
    def command(ticket_id: int, suspension_id: int, note: str | None) -> None:
        from assetsvc.tickets import lifecycle

        done = _call(lambda actor: lifecycle.decide_suspension(actor, ticket_id, suspension_id, decision,
                                                                {"note": note}))
        click.echo(f"pause {done['id']} of ticket {ticket_id} is now {done['status']}")


_pause_command("approve-pause", "approve", "Approve a requested pause: the clocks stop from the request.")
_pause_command("reject-pause", "reject", "Reject a requested pause (a note is required).")
_pause_command("end-pause", "end", "End a running pause: the ticket returns to its state and the clocks run.")


@tickets.command("false-alarm")
@click.argument("ticket_id", type=int)
@click.option("--note", required=True, help="Why the picture verdict is wrong.")
def false_alarm(ticket_id: int, note: str) -> None:
    """Mark a picture ticket a false alarm: cancelled without penalty, its frame joins the camera's baseline."""
    from assetsvc.tickets import disputes

    done = _call(lambda actor: disputes.false_alarm(actor, ticket_id, {"note": note}))
    click.echo(f"ticket {ticket_id} cancelled as a false alarm; "
               + (f"frame {done['frame_id']} joined the camera's baseline" if done["baseline_updated"]
                  else "no evidence frame to learn from (the baseline is unchanged)"))


@tickets.command("dispute")
@click.argument("ticket_id", type=int)
@click.option("--reason", required=True, help="Why the contractor disputes the ticket.")
@click.option("--attachment", "attachments", type=int, multiple=True, required=True,
              help="An attachment of the ticket given as evidence (repeat for several).")
def dispute(ticket_id: int, reason: str, attachments: tuple[int, ...]) -> None:
    """Record a contractor's dispute (申诉) of a ticket, with the ticket's attachments as evidence."""
    from assetsvc.tickets import disputes

    done = _call(lambda actor: disputes.dispute(actor, ticket_id, {"reason": reason,
                                                                    "attachments": list(attachments)}))
    click.echo(f"dispute {done['id']} of ticket {ticket_id} waits for the office's decision")


def _dispute_command(verb: str, decision: str, help_text: str) -> None:
    @tickets.command(verb, help=help_text)
    @click.argument("ticket_id", type=int)
    @click.argument("dispute_id", type=int)
    @click.option("--note", required=True, help="The office's reasons.")
    def command(ticket_id: int, dispute_id: int, note: str) -> None:
        from assetsvc.tickets import disputes

        done = _call(lambda actor: disputes.decide_dispute(actor, ticket_id, dispute_id, decision, {"note": note}))
        click.echo(f"dispute {done['id']} of ticket {ticket_id} is {done['status']}"
                   + ("; the ticket is cancelled without penalty" if done["status"] == "upheld" else
                      "; the ticket goes on"))


_dispute_command("uphold-dispute", "uphold", "Uphold a dispute: the ticket is cancelled without penalty.")
_dispute_command("reject-dispute", "reject", "Reject a dispute: the ticket goes on as before.")


@tickets.command("evidence")
@click.argument("ticket_id", type=int)
@click.option("--save", "folder", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Write the frames as JPEG files into this folder.")
@click.option("--json", "as_json", is_flag=True)
def evidence(ticket_id: int, folder: Path | None, as_json: bool) -> None:
    """A picture ticket's evidence frames: the frame that showed the fault and the camera's last good one."""
    from assetsvc.tickets import views

    frames = _call(lambda actor: views.evidence(actor, ticket_id))
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        for frame in frames:
            data = _call(lambda actor, f=frame: views.evidence_jpeg(actor, ticket_id, f["id"]))
            (folder / f"ticket{ticket_id}-{frame['role']}-{frame['id']}.jpg").write_bytes(data)
    if as_json:
        _json(frames)
        return
    if not frames:
        click.echo(f"ticket {ticket_id} has no evidence frames")
    for f in frames:
        click.echo(f"{f['role']:5}  frame {f['id']}  {f['at']}  {f['verdict']}  {f['width']}x{f['height']}  "
                   f"{f['size']} bytes")


def _show_progress(progress: Any) -> None:
    of = f" of {progress.total}" if progress.total else ""
    click.echo(f"\r{progress.stage} {progress.done}{of} rows\x1b[K", err=True, nl=False)


@tickets.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check every row and report what would be written; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--progress/--no-progress", default=None, help="Count rows on stderr (default: on a terminal).")
def import_(file: Path, dry_run: bool, as_json: bool, progress: bool | None) -> None:
    """Import closed work orders of past months (.xlsx or .csv) as one batch; exits 1 when a row is rejected."""
    from assetsvc.registry.importer import Progress
    from assetsvc.tickets.paper import importer

    limit = settings().import_max_mb * 2**20
    if file.stat().st_size > limit:
        raise click.ClickException(f"{file} is larger than ASSETSVC_IMPORT_MAX_MB ({settings().import_max_mb} MB)")
    data = file.read_bytes()
    shown = sys.stderr.isatty() if progress is None else progress
    counter = Progress(listener=_show_progress if shown else None)
    report = _call(lambda actor: importer.import_orders(data, file.name, actor, dry_run=dry_run, max_bytes=limit,
                                                        source="cli", progress=counter))
    if shown:
        click.echo(err=True)
    body = report.to_json()
    if as_json:
        _json(body)
    else:
        for row in body["rows"]:
            for error in row.get("errors", []):
                click.echo(f"row {row['row']}: REJECTED {error['field']}: {error['reason']}")
            if row["action"] == "already_imported":
                click.echo(f"row {row['row']}: work order {row['order_no']} already imported (batch {row['batch']})")
        s = body["summary"]
        if s["rejected"]:
            click.echo(f"{s['rejected']} of {s['rows']} row(s) rejected: nothing written")
        else:
            verb = "would import" if s["dry_run"] else "imported"
            click.echo(f"{s['rows']} row(s): {verb} {s['import']}, {s['already_imported']} already imported"
                       + (f"; batch {body['batch']}" if body["batch"] else ""))
    if report.rejected:
        sys.exit(1)


@tickets.command("import-batches")
@click.option("--limit", type=int, default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the batches as JSON.")
def import_batches(limit: int, as_json: bool) -> None:
    """Work-order import batches, newest first (undone ones marked)."""
    from assetsvc.tickets.paper import batches

    found = _call(lambda actor: batches.list_batches(actor, limit))
    if as_json:
        _json(found)
        return
    for b in found:
        state = f"undone {_when(b['undone_at'])} by {b['undone_by']}" if b["undone_at"] else "standing"
        click.echo(f"{b['id']}\t{b['filename']}\t{b['rows']} rows, {b['written']} tickets\t"
                   f"{_when(b['created_at'])} by {b['created_by']}\t{state}")


@tickets.command("undo-import")
@click.argument("batch_id", type=int)
def undo_import(batch_id: int) -> None:
    """Undo a work-order import batch: delete the tickets it made (other tickets stay)."""
    from assetsvc.tickets.paper import batches

    b = _call(lambda actor: batches.undo(actor, batch_id, source="cli"))
    click.echo(f"batch {b['id']} undone: {b['written']} ticket(s) of {b['filename']} deleted")


@tickets.command("run-jobs")
@click.option("--now", "now", type=float, default=None, help="Run as of this Unix time (default: now).")
@click.option("--json", "as_json", is_flag=True, help="Print the outcomes as JSON.")
def run_jobs(now: float | None, as_json: bool) -> None:
    """Run open_tickets, verify_tickets and sla_sweep once, in that order, and print what each did."""
    import time

    from assetsvc.tickets import opener, sweep, verify

    at = time.time() if now is None else now

    async def go(actor: Any) -> dict[str, dict[str, Any]]:
        return {"open_tickets": (await opener.run(at)).describe(), "verify_tickets": (await verify.run(at)).describe(),
                "sla_sweep": (await sweep.run(at)).describe()}

    outcomes = _call(go)
    if as_json:
        _json(outcomes)
    else:
        for job, outcome in outcomes.items():
            text = ", ".join(f"{k} {v}" for k, v in outcome.items() if k != "errors") or "nothing to do"
            click.echo(f"{job}: {text}")
            for error in outcome.get("errors", []):
                click.echo(f"{job}: ERROR {error}", err=True)
    if any(o.get("errors") for o in outcomes.values()):
        sys.exit(1)


# ---- contracts ---------------------------------------------------------------------------------

@click.group()
def contracts() -> None:
    """Maintenance contracts: SLA terms (docs/sla.md) and the monthly score (考核)."""


@contracts.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def contracts_list(as_json: bool) -> None:
    """Contracts with their contractor, regions, validity and SLA terms version."""
    from assetsvc.registry import crud
    from assetsvc.registry.entities import CONTRACT
    from assetsvc.tickets import contracts as service

    async def go(actor: Any) -> list[dict[str, Any]]:
        found, page = [], 1
        while True:
            batch = await crud.list_records(CONTRACT, actor, {}, sort="code", page=page, per_page=crud.MAX_PAGE)
            found += batch["items"]
            if len(found) >= batch["total"] or not batch["items"]:
                break
            page += 1
        for row in found:
            row["terms_version"] = (await service.get_terms(actor, row["id"]))["version"]
        return found

    found = _call(go)
    if as_json:
        _json(found)
        return
    if not found:
        click.echo("no contracts")
        return
    rows = [(c["id"], c["code"], c["contractor_name"] or c["contractor"], ",".join(c["region_codes"]) or "-",
             ",".join(c["owner_classes"]) or "all", f"{c['starts_on']} .. {c['ends_on']}",
             f"v{c['terms_version']}" if c["terms_version"] else "not set") for c in found]
    click.echo("\n".join(_table(("id", "code", "contractor", "regions", "owners", "valid", "SLA terms"), rows)))


@contracts.command("sla-show")
@click.argument("contract_id", type=int)
@click.option("--json", "fmt", flag_value="json", help="Print the stored document as JSON.")
@click.option("--toml", "fmt", flag_value="toml", help="Print the stored document as TOML (edit it, then sla-set).")
def sla_show(contract_id: int, fmt: str | None) -> None:
    """A contract's SLA terms: a summary, or the document itself with --json or --toml."""
    from assetsvc.tickets import contracts as service

    found = _call(lambda actor: service.get_terms(actor, contract_id))
    document = found["document"]
    if fmt and document is None:
        raise click.ClickException(f"contract {contract_id} ({found['code']}) has no SLA terms")
    if fmt == "json":
        _json(document)
    elif fmt == "toml":
        try:
            click.echo(to_toml(document), nl=False)
        except ValueError as exc:
            raise click.ClickException(f"{exc}; show it with --json") from None
    else:
        click.echo("\n".join(_terms_summary(found)))


def _terms_summary(found: Mapping[str, Any]) -> list[str]:
    head = f"contract {found['contract_id']} ({found['code']})"
    document = found["document"]
    if document is None:
        return [f"{head}: no SLA terms (set them with: assetsvc contracts sla-set {found['contract_id']} FILE)"]
    lines = [f"{head}: SLA terms v{found['version']}, set by {found['updated_by']} {_when(found['updated_at'])}"]
    rows = [(t.get("severity"), t.get("area"), t.get("calendar"), t.get("respond"), t.get("arrive", "-"),
             t.get("restore")) for t in document.get("terms", [])]
    lines += ["  " + line for line in _table(("severity", "area", "calendar", "respond", "arrive", "restore"), rows)]
    for name, cal in (document.get("calendars") or {}).items():
        windows = ", ".join(cal.get("windows", [])) if isinstance(cal, Mapping) else ""
        lines.append(f"calendar {name}: {cal.get('kind') if isinstance(cal, Mapping) else cal}"
                     + (f" {windows}" if windows else ""))
    areas = document.get("areas") or {}
    if areas:
        lines.append("areas: " + "; ".join(f"{k} = {v if isinstance(v, str) else ', '.join(map(str, v))}"
                                            for k, v in areas.items()))
    reasons = document.get("suspension_reasons") or {}
    lines.append("pause reasons: " + ("; ".join(f"{k} ({v})" for k, v in reasons.items()) or "none (no pauses)"))
    rules = document.get("suspension_rules") or {}  # absent: the defaults (docs/sla.md, "Contract data")
    lines.append(f"pauses: the clock stops at the {rules.get('from', 'approval')}; stages stopped: "
                 f"{', '.join(map(str, rules.get('stops', ['restore'])))}")
    for rule in document.get("penalties", []):
        lines.append(f"penalty: {rule.get('name')} ({rule.get('kind')})")
    return lines


_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.match(key) else _toml_string(key)


def _toml_string(text: str) -> str:
    # A JSON string is a TOML basic string, except that TOML also wants DEL escaped.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007F")


def _toml_value(value: Any, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else str(value)  # nan, inf, -inf are TOML too
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v, f"{where}[{n}]") for n, v in enumerate(value)) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(v, f'{where}.{k}')}" for k, v in value.items()) + " }"
    raise ValueError(f"{where} is {value!r}, which TOML cannot hold")


def _is_tables(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, Mapping) for v in value)


def _toml_table(table: Mapping[str, Any], path: list[str], out: list[str]) -> None:
    where = ".".join(path) or "document"
    for key, value in table.items():
        if not isinstance(value, Mapping) and not _is_tables(value):
            out.append(f"{_toml_key(key)} = {_toml_value(value, f'{where}.{key}')}")
    for key, value in table.items():
        name = [*path, _toml_key(key)]
        if isinstance(value, Mapping):
            # A table holding only tables needs no header of its own ([calendars.office] implies it).
            if not value or any(not isinstance(v, Mapping) and not _is_tables(v) for v in value.values()):
                out += ["", f"[{'.'.join(name)}]"]
            _toml_table(value, name, out)
        elif _is_tables(value):
            for item in value:
                out += ["", f"[[{'.'.join(name)}]]"]
                _toml_table(item, name, out)


def to_toml(document: Mapping[str, Any]) -> str:
    """A JSON-shaped document as TOML text that tomllib reads back to the same document."""
    out: list[str] = []
    _toml_table(document, [], out)
    return "\n".join(out).lstrip("\n") + "\n"


@contracts.command("sla-set")
@click.argument("contract_id", type=int)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def sla_set(contract_id: int, file: Path) -> None:
    """Replace a contract's SLA terms with a .toml or .json file (validated in full first; audited)."""
    from assetsvc.tickets import contracts as service
    from assetsvc.tickets.calendar import DataError, read_document

    if file.suffix not in (".toml", ".json"):
        raise click.ClickException(f"{file}: expected a .toml or .json file")
    if file.stat().st_size > service.MAX_DOCUMENT:
        raise click.ClickException(f"{file} is larger than {service.MAX_DOCUMENT} bytes")
    try:
        # TOML goes to the service as text (it parses it); JSON is read here, refusing duplicate keys.
        raw: Any = file.read_text("utf-8") if file.suffix == ".toml" else read_document(file)
    except (DataError, OSError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{file}: {exc}" if not isinstance(exc, DataError) else str(exc)) from None
    stored = _call(lambda actor: service.put_terms(actor, contract_id, raw))
    click.echo(f"contract {contract_id} ({stored['code']}): SLA terms v{stored['version']} stored; "
               f"open tickets of the contract take them at their next change or sweep")


@contracts.command("score")
@click.argument("contract_id", type=int)
@click.option("--month", required=True, help="The month, e.g. 2026-11 (local time).")
@click.option("--count", "counts", multiple=True, metavar="NAME=N",
              help="A count the office keeps, e.g. missed_inspection=2; repeatable.")
@click.option("--json", "as_json", is_flag=True, help="Print the assessment as JSON.")
def score(contract_id: int, month: str, counts: tuple[str, ...], as_json: bool) -> None:
    """A contract's monthly assessment (考核): score, grade, money, and each deduction."""
    from assetsvc.tickets import contracts as service

    named: dict[str, str] = {}
    for pair in counts:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise click.UsageError(f"--count {pair!r}: write NAME=N, e.g. missed_inspection=2")
        if name.strip() in named:
            raise click.UsageError(f"--count {name.strip()} is given twice")
        named[name.strip()] = value.strip()
    found = _call(lambda actor: service.score(actor, contract_id, month, named))
    if as_json:
        _json(found)
        return
    click.echo(f"contract {found['contract_id']} ({found['code']}), {found['month']}: {found['tickets']} ticket(s)")
    click.echo(f"score {found['score']} ({found['grade']}), {found['points']} point(s) deducted, "
               f"amount {found['amount']}" + (" (capped at the contract's maximum)" if found["amount_capped"] else ""))
    for d in found["deductions"]:
        shown = ", ".join(map(str, d["items"][:20])) + (" ..." if len(d["items"]) > 20 else "")
        items = f" [{shown}]" if d["items"] else ""
        counted = f" (counts {', '.join(d['counts'])})" if d.get("counts") else ""
        click.echo(f"  {d['rule']}{counted}: {d['units']} unit(s), -{d['points']} point(s), amount {d['amount']}"
                   + (" (capped)" if d["capped"] else "") + items)
    if not found["deductions"]:
        click.echo("  no deductions")
    click.echo("on time (met of met + breached; not applicable left out): "
               + (", ".join(_on_time(stage, r) for stage, r in found["on_time"].items()) or "no stages"))
    waived, disputed = found["waived"], found["waived"]["disputes"]
    click.echo(f"without penalty: {waived['false_alarms']} false alarm(s); disputes upheld {disputed['upheld']}, "
               f"rejected {disputed['rejected']}, waiting {disputed['open']}")


def _on_time(stage: str, rate: Mapping[str, Any]) -> str:
    """'respond 4/5 (1 n/a)': met of decided, and the stages no one had to meet."""
    shown = f"{stage} {rate['met']}/{rate['met'] + rate['breached']}"
    return shown + (f" ({rate['not_applicable']} n/a)" if rate["not_applicable"] else "")


if __name__ == "__main__":  # for tests before registration: python -m assetsvc.tickets.cli
    @click.group()
    def _main() -> None:
        """tickets and contracts commands."""

    _main.add_command(tickets)
    _main.add_command(contracts)
    _main()
