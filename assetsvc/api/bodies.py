"""JSON Schemas of the bodies that handlers read themselves (request.json()) so that their services
can name every problem at once; the OpenAPI schema gets them from here (openapi.finish)."""

from __future__ import annotations

from typing import Any

from assetsvc.tickets.config import FAULTS
from assetsvc.tickets.instants import EARLIEST
from assetsvc.tickets.lifecycle import MAX_NOTE
from assetsvc.tickets.paper.replay import KINDS

TEXT = {"type": "string", "minLength": 1, "maxLength": MAX_NOTE}
ISO_TIME = {"type": "string", "format": "date-time",
            "description": "ISO 8601 with a zone (2026-11-24T10:00:00+08:00); the `tz` parameter reads zone-less ones"}

PAST_TIME = {"oneOf": [{"type": "string", "format": "date-time"}, {"type": "number", "minimum": EARLIEST}],
             "description": "when it happened, not in the future: ISO 8601 (zone-less: the office's time zone, "
                            "2026-11-03 09:30) or Unix seconds"}


def _object(properties: dict[str, Any], required: list[str], extra: bool = False) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": extra}


NOTE = _object({"note": TEXT, "reason": TEXT}, [])
WEBHOOK = {
    "name": {"type": "string", "minLength": 1, "maxLength": 100},
    "url": {"type": "string", "pattern": "^https?://", "maxLength": 2000},
    "contractor": {"type": ["integer", "null"], "minimum": 1, "maximum": 2**31 - 1},
    "events": {"type": ["array", "null"], "items": {"type": "string"}, "maxItems": 50},
    "active": {"type": "boolean"},
    "secret": {"type": ["string", "null"], "minLength": 16, "maxLength": 200},
}

BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("post", "/api/v1/status/passive"): _object({"reports": {
        "type": "array", "minItems": 1, "maxItems": 10_000,
        "items": _object({"gb_id": {"type": "string", "pattern": "^[0-9]{20}$"}, "online": {"type": "boolean"},
                          "at": ISO_TIME}, ["gb_id", "online"])}}, ["reports"]),
    ("post", "/api/v1/maintenance"): _object({
        "scope": {"type": "string", "enum": ["camera", "site", "region", "upstream"]},
        "ref": {"type": "string", "minLength": 1}, "starts_at": ISO_TIME, "ends_at": ISO_TIME, "reason": TEXT},
        ["scope", "ref", "starts_at", "ends_at", "reason"]),
    ("post", "/api/v1/maintenance/batch"): _object({
        "scope": {"type": "string", "enum": ["camera", "site", "region", "upstream"]},
        "refs": {"type": "array", "minItems": 1, "maxItems": 200, "uniqueItems": True,
                 "items": {"type": "string", "minLength": 1}},
        "starts_at": ISO_TIME, "ends_at": ISO_TIME, "reason": TEXT},
        ["scope", "refs", "starts_at", "ends_at", "reason"]),
    ("post", "/api/v1/tickets"): _object({
        "subject_type": {"type": "string", "enum": ["camera", "upstream"]},
        "subject_id": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}, "note": TEXT,
        "severity": {"type": "string"}, "fault": {"type": "string", "enum": ["manual", *FAULTS]},
        "opened_at": PAST_TIME}, ["subject_id", "note"]),
    ("post", "/api/v1/tickets/{ticket_id}/events"): _object({
        "kind": {"type": "string", "enum": list(KINDS)}, "at": PAST_TIME, "note": TEXT,
        "reason": {**TEXT, "description": "a pause_requested's reason, one the contract allows"}}, ["kind", "at"]),
    ("post", "/api/v1/tickets/{ticket_id}/events/{event_id}/void"): _object({"reason": TEXT}, ["reason"]),
    ("post", "/api/v1/tickets/{ticket_id}/{action}"): NOTE,
    ("post", "/api/v1/tickets/{ticket_id}/notes"): _object({"note": TEXT}, ["note"]),
    ("post", "/api/v1/tickets/{ticket_id}/suspensions"): _object({"reason": TEXT, "note": TEXT}, ["reason", "note"]),
    ("post", "/api/v1/tickets/{ticket_id}/suspensions/{suspension_id}/{decision}"): _object({"note": TEXT}, []),
    ("post", "/api/v1/tickets/{ticket_id}/false-alarm"): _object({"note": TEXT}, ["note"]),
    ("post", "/api/v1/tickets/{ticket_id}/disputes"): _object({
        "reason": TEXT, "attachments": {"type": "array", "minItems": 1, "maxItems": 20, "uniqueItems": True,
                                        "items": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}},
        ["reason", "attachments"]),
    ("post", "/api/v1/tickets/{ticket_id}/disputes/{dispute_id}/{decision}"): _object({"note": TEXT}, ["note"]),
    ("post", "/api/v1/webhooks"): _object(WEBHOOK, ["name", "url"]),
    ("patch", "/api/v1/webhooks/{endpoint_id}"): _object({**WEBHOOK, "rotate_secret": {"type": "boolean"}}, []),
    ("put", "/api/v1/province"): _object({
        # The https rule is checked by the service (a 400 naming it), not as a pattern: the docs page embeds
        # the schema and holds no URL text at all (test_api_hardening).
        "url": {"type": "string", "format": "uri", "maxLength": 2000,
                "description": "the platform's receiving address; https only"},
        "ca_bundle": {"type": ["string", "null"], "maxLength": 1000, "description": "absolute path of a PEM file"},
        "client_cert": {"type": ["string", "null"], "maxLength": 1000},
        "client_key": {"type": ["string", "null"], "maxLength": 1000},
        "mapping": {"type": "string", "maxLength": 1000, "description": "province-v1 or a TOML file's path"},
        "area_code": {"type": "string", "pattern": "^[0-9]{6,12}$"},
        "unit_code": {"type": "string", "pattern": "^[A-Za-z0-9_.-]{1,64}$"},
        "give_up_days": {"type": "integer", "minimum": 1, "maximum": 90},
        "timeout_s": {"type": "number", "minimum": 0.1, "maximum": 300},
        "secret": {"type": ["string", "null"], "minLength": 16, "maxLength": 500}}, []),
    ("post", "/api/v1/import"): _object({"data": {"type": "string", "format": "binary"}}, ["data"], extra=True),
    # Form fields beside the file are ignored (api/tickets.read_upload bounds them), as by the other imports.
    ("post", "/api/v1/tickets/import"): _object({"file": {"type": "string", "format": "binary"}}, ["file"],
                                                extra=True),
    ("post", "/api/v1/history/import"): _object({"data": {"type": "string", "format": "binary"}}, ["data"],
                                                extra=True),
    ("put", "/api/v1/map/outlines"): {
        "type": "object", "required": ["type", "features"],
        "description": "A GeoJSON FeatureCollection of Polygon/MultiPolygon features, each naming its GB/T 2260 "
                       "region code in a property; closed rings, [lon, lat] in range (docs/import-format.md)",
        "properties": {"type": {"const": "FeatureCollection"}, "features": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["type", "properties", "geometry"],
            "properties": {"type": {"const": "Feature"}, "properties": {"type": "object"}, "geometry": {
                "type": "object", "required": ["type", "coordinates"],
                "properties": {"type": {"enum": ["Polygon", "MultiPolygon"]},
                               "coordinates": {"type": "array", "minItems": 1}}}}}}}},
    ("put", "/api/v1/contracts/{contract_id}/sla"): {
        "type": "object", "description": "The SLA terms (docs/sla.md); TOML text is taken as application/toml"},
    ("put", "/api/v1/report-rules/league"): {
        "type": "object", "description": "League rules (docs/reports.md); TOML text is taken as application/toml"},
}
OPTIONAL = {("post", "/api/v1/tickets/{ticket_id}/{action}"),
            ("post", "/api/v1/tickets/{ticket_id}/suspensions/{suspension_id}/{decision}")}
