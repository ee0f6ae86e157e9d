"""Ticket endpoints (工单): lists, queue, detail, actions, notes, pauses, attachments; contract SLA terms and score."""

# No `from __future__ import annotations`: litestar reads these signatures at runtime.
from typing import Annotated, Any, Awaitable
from urllib.parse import quote

from litestar import Request, Response, get, post, put
from litestar.params import FromQuery, PathParameter, QueryParameter
from multipart import MultipartSegment, ParserError, ParserLimitReached, PushMultipartParser

from assetsvc.api.auth import actor_of
from assetsvc.api.query import Id, Page, PerPage, only
from assetsvc.errors import ServiceError, ValidationFailed, field_error
from assetsvc.registry import import_jobs
from assetsvc.registry.import_jobs import ImportJobView
from assetsvc.registry.importer import Progress
from assetsvc.runtime import settings
from assetsvc.tickets import contracts, disputes, lifecycle, views
from assetsvc.tickets.contract_views import ScoreView, TermsVersionView, TermsView
from assetsvc.tickets.paper import batches, importer, service as paper

TAGS = ["tickets"]
TEXT_TYPES = ("application/toml", "text/plain")
UPLOAD_OVERHEAD = 64 * 1024  # multipart headers, boundaries and small form fields beside the file
MAX_PARTS = 8


class _NotJson:
    """An undecodable body: not a JSON object, so each service refuses it with its own precise 400."""

    def __repr__(self) -> str:
        return "<the body is not JSON>"


NOT_JSON = _NotJson()


class UploadTooLarge(ServiceError):
    """The attachment is over ASSETSVC_UPLOAD_MAX_MB (413, Content Too Large)."""

    status = 413


async def _body(request: Request) -> Any:
    """The JSON body; None when empty (actions take an optional note); NOT_JSON when undecodable."""
    try:
        return await request.json()
    except Exception:  # noqa: BLE001 - any undecodable body is the same client error
        return NOT_JSON


def _query(request: Request) -> dict[str, str]:
    # A repeated filter reads as a comma list (state=open&state=on_site), as views.FILTERS take.
    return {k: ",".join(request.query_params.getall(k)) for k in request.query_params}


# ---- tickets --------------------------------------------------------------------------------------

@get("/tickets", tags=TAGS, summary="Tickets, filtered (contractors: their own) and paged")
async def list_tickets(request: Request) -> dict[str, Any]:
    return await views.list_tickets(actor_of(request), _query(request))


@get("/tickets/queue", tags=TAGS, summary="Active tickets, soonest restore deadline first (contractors: their own)")
async def queue(request: Request, page: Page = 1, per_page: PerPage = 50) -> dict[str, Any]:
    only(request, "page", "per_page")
    return await views.list_tickets(actor_of(request), {"state": "active", "sort": "restore_due", "page": page,
                                                        "per_page": per_page})


@get("/tickets/{ticket_id:int}", tags=TAGS, summary="A ticket with timeline, SLA figures, pauses, cameras, files")
async def ticket_detail(request: Request, ticket_id: Id) -> dict[str, Any]:
    only(request)
    return await views.detail(actor_of(request), ticket_id)


@post("/tickets", tags=TAGS, status_code=201,
      summary="The office opens a ticket by hand; with opened_at (a past time) a paper work order")
async def open_ticket(request: Request) -> dict[str, Any]:
    only(request)
    actor = actor_of(request)
    opened = await lifecycle.open_manual(actor, await _body(request))
    return await views.detail(actor, opened["id"])


@post("/tickets/{ticket_id:int}/{action:str}", tags=TAGS, status_code=200,
      summary="acknowledge, arrive, resolve (contractor or office); cancel, close, reopen (office)")
async def act(request: Request, ticket_id: Id,
              action: Annotated[str, PathParameter(schema_extra={"enum": list(lifecycle.ACTIONS)})]) -> dict[str, Any]:
    only(request)
    return await lifecycle.act(actor_of(request), ticket_id, action, await _body(request))


@post("/tickets/{ticket_id:int}/notes", tags=TAGS, status_code=201, summary="Add a note to the timeline")
async def add_note(request: Request, ticket_id: Id) -> dict[str, Any]:
    only(request)
    return await lifecycle.add_note(actor_of(request), ticket_id, await _body(request))


@post("/tickets/{ticket_id:int}/suspensions", tags=TAGS, status_code=201,
      summary="The contractor asks to pause the clocks for a reason its contract allows")
async def request_suspension(request: Request, ticket_id: Id) -> dict[str, Any]:
    only(request)
    return await lifecycle.request_suspension(actor_of(request), ticket_id, await _body(request))


@post("/tickets/{ticket_id:int}/suspensions/{suspension_id:int}/{decision:str}", tags=TAGS, status_code=200,
      summary="approve or reject a pause (office); end a running pause (contractor or office)")
async def decide_suspension(request: Request, ticket_id: Id, suspension_id: Id,
                            decision: Annotated[str, PathParameter(schema_extra={"enum": list(lifecycle.DECISIONS)})],
                            ) -> dict[str, Any]:
    only(request)
    return await lifecycle.decide_suspension(actor_of(request), ticket_id, suspension_id, decision,
                                             await _body(request))


# ---- false alarms, disputes, evidence frames ----------------------------------------------------------

@post("/tickets/{ticket_id:int}/false-alarm", tags=TAGS, status_code=200,
      summary="The office marks a picture verdict a false alarm: cancelled without penalty, the frame joins "
              "the camera's baseline")
async def false_alarm(request: Request, ticket_id: Id) -> dict[str, Any]:
    only(request)
    return await disputes.false_alarm(actor_of(request), ticket_id, await _body(request))


@post("/tickets/{ticket_id:int}/disputes", tags=TAGS, status_code=201,
      summary="The contractor disputes a ticket with a reason and evidence (the ticket's attachment ids)")
async def raise_dispute(request: Request, ticket_id: Id) -> dict[str, Any]:
    only(request)
    return await disputes.dispute(actor_of(request), ticket_id, await _body(request))


@post("/tickets/{ticket_id:int}/disputes/{dispute_id:int}/{decision:str}", tags=TAGS, status_code=200,
      summary="uphold (the ticket is cancelled without penalty) or reject (it goes on) a dispute: the office")
async def decide_dispute(request: Request, ticket_id: Id, dispute_id: Id,
                         decision: Annotated[str, PathParameter(schema_extra={"enum": list(disputes.DISPUTE_DECISIONS)})],
                         ) -> dict[str, Any]:
    only(request)
    return await disputes.decide_dispute(actor_of(request), ticket_id, dispute_id, decision, await _body(request))


@get("/tickets/{ticket_id:int}/evidence", tags=TAGS,
     summary="A picture ticket's evidence frames: the frame that showed the fault and the last good one")
async def ticket_evidence(request: Request, ticket_id: Id) -> list[dict[str, Any]]:
    only(request)
    return await views.evidence(actor_of(request), ticket_id)


def jpeg_response(data: bytes) -> Response[bytes]:
    return Response(data, media_type="image/jpeg", headers={"X-Content-Type-Options": "nosniff",
                                                            "Cache-Control": "private, no-store"})


@get("/tickets/{ticket_id:int}/evidence/{frame_id:int}", tags=TAGS, summary="One evidence frame (JPEG)")
async def ticket_evidence_frame(request: Request, ticket_id: Id, frame_id: Id) -> Response[bytes]:
    only(request)
    return jpeg_response(await views.evidence_jpeg(actor_of(request), ticket_id, frame_id))
@post("/tickets/{ticket_id:int}/events", tags=TAGS, status_code=201,
      summary="The office records a paper work order's event with the time it happened (accepted, arrived, "
              "resolved, pause_requested, pause_approved, pause_ended, closed)")
async def record_event(request: Request, ticket_id: Id) -> dict[str, Any]:
    only(request)
    return await paper.record(actor_of(request), ticket_id, await _body(request))


@post("/tickets/{ticket_id:int}/events/{event_id:int}/void", tags=TAGS, status_code=201,
      summary="The office voids a wrong entry of a paper work order (a correcting line with a reason)")
async def void_event(request: Request, ticket_id: Id, event_id: Id) -> dict[str, Any]:
    only(request)
    return await paper.void(actor_of(request), ticket_id, event_id, await _body(request))


# ---- imports of closed work orders --------------------------------------------------------------

# Reads the upload itself (read_upload), bounded by ASSETSVC_UPLOAD_MAX_MB.
@post("/tickets/import", tags=TAGS, status_code=202, request_max_body_size=None,
      summary="Import closed work orders of past months (.xlsx or .csv, multipart part `file`) as one batch, "
              "as a job; poll GET /tickets/import/jobs/{job_id}; ?dry_run=true reports without writing")
async def import_orders(request: Request, dry_run: FromQuery[bool] = False) -> ImportJobView:
    only(request, "dry_run")
    actor = actor_of(request)
    batches.require_admin(actor)
    filename, data = await read_upload(request)
    name = filename or "upload.csv"

    def run(progress: Progress) -> Awaitable[importer.Report]:
        return importer.import_orders(data, name, actor, dry_run=dry_run, progress=progress)
    return await import_jobs.start(data, name, actor, dry_run=dry_run, run=run)


@get("/tickets/import/jobs/{job_id:int}", tags=TAGS,
     summary="A work-order import job: progress while it runs, then its report (done, rejected) or error (failed)")
async def import_orders_job(request: Request, job_id: Id) -> ImportJobView:
    only(request)
    return await import_jobs.get(actor_of(request), job_id)


@get("/tickets/import/batches", tags=TAGS, summary="Work-order import batches, newest first (undone ones marked)")
async def import_batches(request: Request, limit: Annotated[int, QueryParameter(ge=1, le=batches.MAX_LIST)] = 100,
                         ) -> list[dict[str, Any]]:
    only(request, "limit")
    return await batches.list_batches(actor_of(request), limit)


@post("/tickets/import/batches/{batch_id:int}/undo", tags=TAGS, status_code=200,
      summary="Undo a work-order import batch: the tickets it made are deleted, the batch stays marked undone")
async def undo_import(request: Request, batch_id: Id) -> dict[str, Any]:
    only(request)
    return await batches.undo(actor_of(request), batch_id)


# ---- attachments ----------------------------------------------------------------------------------

def _too_large(limit: int) -> UploadTooLarge:
    message = f"the file is over the limit of {limit} bytes ({limit // 2**20} MB, ASSETSVC_UPLOAD_MAX_MB)"
    return UploadTooLarge(message, [field_error("file", "too_large", message)])


def _not_multipart(message: str) -> ValidationFailed:
    return ValidationFailed(message, [field_error("file", "required", "send multipart/form-data with a part "
                                                                      "named file")])


async def read_upload(request: Request) -> tuple[str | None, bytes]:
    """(filename, bytes) of the `file` part, read as it streams: at most the limit is ever held, and
    reading stops at the first byte over it (the application-wide body limit does not apply here)."""
    kind, options = request.content_type
    if kind != "multipart/form-data":
        raise _not_multipart(f"send the file as multipart/form-data (got {kind or 'no content type'})")
    if not options.get("boundary"):
        raise _not_multipart("the multipart/form-data Content-Type has no boundary")
    limit = settings().upload_max_mb * 2**20
    if (request.content_length or 0) > limit + UPLOAD_OVERHEAD:
        raise _too_large(limit)
    streamed, other, segment = 0, 0, None
    filename, data, found = None, bytearray(), False
    try:
        with PushMultipartParser(options["boundary"], max_segment_count=MAX_PARTS) as parser:
            async for chunk in request.stream():
                streamed += len(chunk)
                if streamed > limit + UPLOAD_OVERHEAD:
                    raise _too_large(limit)
                for event in parser.parse(chunk):
                    if isinstance(event, MultipartSegment):
                        segment = event
                        if segment.name == "file":
                            if found:
                                raise _not_multipart("send one part named file, not several")
                            found, filename = True, segment.filename
                    elif event and segment is not None and segment.name == "file":
                        if len(data) + len(event) > limit:
                            raise _too_large(limit)
                        data += event
                    elif event:
                        other += len(event)
                        if other > UPLOAD_OVERHEAD:
                            raise _not_multipart("the form fields beside the file are too large")
                if parser.closed:
                    break
    except (ParserError, ParserLimitReached) as exc:
        raise _not_multipart(f"the multipart body is malformed: {exc}") from None
    if not found:
        raise _not_multipart("the multipart body has no part named file")
    return filename, bytes(data)


# The reader above enforces ASSETSVC_UPLOAD_MAX_MB itself, read at request time.
@post("/tickets/{ticket_id:int}/attachments", tags=TAGS, status_code=201, request_max_body_size=None,
      summary="Attach a photo (JPEG, PNG) or PDF: multipart/form-data with a part named file")
async def attach(request: Request, ticket_id: Id) -> dict[str, Any]:
    only(request)
    await views.may_attach(actor_of(request), ticket_id)  # before reading a byte of someone else's upload
    filename, data = await read_upload(request)
    return await views.attach(actor_of(request), ticket_id, filename, data)


def content_disposition(filename: str) -> str:
    """`attachment` with an ASCII fallback name and the exact name in RFC 5987 encoding (Chinese names)."""
    fallback = "".join(ch if 32 < ord(ch) < 127 and ch not in '"\\;%' else "_" for ch in filename) or "attachment"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


@get("/tickets/{ticket_id:int}/attachments/{attachment_id:int}", tags=TAGS,
     summary="Download an attachment (its stored, sniffed content type)")
async def download(request: Request, ticket_id: Id, attachment_id: Id) -> Response[bytes]:
    only(request)
    filename, content_type, data = await views.attachment(actor_of(request), ticket_id, attachment_id)
    return Response(data, media_type=content_type, headers={
        "Content-Disposition": content_disposition(filename), "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store"})


# ---- contract SLA terms and score -----------------------------------------------------------------

@get("/contracts/{contract_id:int}/sla", tags=TAGS, summary="A contract's SLA terms document and version")
async def get_terms(request: Request, contract_id: Id) -> TermsView:
    only(request)
    return await contracts.get_terms(actor_of(request), contract_id)


@put("/contracts/{contract_id:int}/sla", tags=TAGS, status_code=200,
     summary="Replace a contract's SLA terms: a JSON object, or TOML (Content-Type application/toml or text/plain)")
async def put_terms(request: Request, contract_id: Id) -> TermsView:
    only(request)
    if request.content_type[0] in TEXT_TYPES:
        raw: Any = await request.body()
    else:
        raw = await _body(request)
    return await contracts.put_terms(actor_of(request), contract_id, raw)


@get("/contracts/{contract_id:int}/sla/versions", tags=TAGS,
     summary="Every stored version of a contract's SLA terms, newest first (no documents)")
async def terms_versions(request: Request, contract_id: Id) -> list[TermsVersionView]:
    only(request)
    return await contracts.list_versions(actor_of(request), contract_id)


@get("/contracts/{contract_id:int}/sla/versions/{version:int}", tags=TAGS,
     summary="One stored version of a contract's SLA terms with its document")
async def terms_version(request: Request, contract_id: Id, version: Id) -> TermsVersionView:
    only(request)
    return await contracts.get_version(actor_of(request), contract_id, version)


def parse_counts(values: list[str]) -> dict[str, str]:
    """`count=missed_inspection:2` pairs as a mapping (the service checks the numbers); the CLI's
    `missed_inspection=2` spelling is taken too."""
    counts: dict[str, str] = {}
    for value in values:
        name, sep, number = value.partition(":" if ":" in value else "=")
        name = name.strip()
        problem = ("give count as name:number, e.g. missed_inspection:2" if not sep or not name
                   else f"count {name} given twice" if name in counts else None)
        if problem:
            raise ValidationFailed(f"count {value!r}: {problem}", [field_error("count", "invalid", problem)])
        counts[name] = number.strip()
    return counts


@get("/contracts/{contract_id:int}/score", tags=TAGS,
     summary="A contract's monthly assessment (考核): ?month=2026-11&count=missed_inspection:2")
async def score(request: Request, contract_id: Id, month: FromQuery[str]) -> ScoreView:
    only(request, "month", "count")
    counts = parse_counts(request.query_params.getall("count", []))
    return await contracts.score(actor_of(request), contract_id, month, counts)


HANDLERS = [list_tickets, queue, ticket_detail, open_ticket, act, add_note, request_suspension, decide_suspension,
            false_alarm, raise_dispute, decide_dispute, ticket_evidence, ticket_evidence_frame,
            record_event, void_event, import_orders, import_orders_job, import_batches, undo_import, attach, download, get_terms, put_terms,
            terms_versions, terms_version, score]
