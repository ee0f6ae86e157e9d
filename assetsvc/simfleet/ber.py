"""Just enough BER (X.690) for an SNMP v1/v2c agent: read a request, write a response.

Hand-written on purpose: the agent is a peer for pysnmp-based probes, and sharing pysnmp's own
codec would hide a codec bug on either side. Every read is bounded by the datagram and raises
ValueError on anything malformed; callers drop such datagrams.
"""

from __future__ import annotations

from dataclasses import dataclass

INTEGER, OCTET_STRING, NULL, OID, SEQUENCE = 0x02, 0x04, 0x05, 0x06, 0x30
TIMETICKS, COUNTER32, GAUGE32 = 0x43, 0x41, 0x42
GET, GETNEXT, RESPONSE, GETBULK = 0xA0, 0xA1, 0xA2, 0xA5
NO_SUCH_OBJECT, END_OF_MIB_VIEW = b"\x80\x00", b"\x82\x00"
NULL_VALUE = b"\x05\x00"
MAX_ARCS = 128
MAX_VARBINDS = 64


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(body),)) + body


def tlv(tag: int, payload: bytes) -> bytes:
    return bytes((tag,)) + _length(len(payload)) + payload


def integer(value: int, tag: int = INTEGER) -> bytes:
    return tlv(tag, value.to_bytes(max(1, (value.bit_length() + 8) // 8), "big", signed=True))


def unsigned(value: int, tag: int) -> bytes:
    """Counter32, Gauge32, TimeTicks: unsigned 32-bit (a leading zero byte when the top bit is set)."""
    return integer(value & 0xFFFFFFFF, tag)


def octets(text: str) -> bytes:
    return tlv(OCTET_STRING, text.encode())


def oid(arcs: tuple[int, ...]) -> bytes:
    out = bytearray((arcs[0] * 40 + arcs[1],))
    for arc in arcs[2:]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        out += bytes(reversed(chunk))
    return tlv(OID, bytes(out))


def parse_oid_text(text: str) -> tuple[int, ...]:
    return tuple(int(a) for a in text.split("."))


def read(data: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """(tag, value start, value end) of the TLV at pos, which must lie within [pos, end)."""
    if pos + 2 > end:
        raise ValueError("truncated TLV")
    tag, first = data[pos], data[pos + 1]
    pos += 2
    if first & 0x80:
        count = first & 0x7F
        if count == 0 or count > 3 or pos + count > end:
            raise ValueError("bad length")
        length = int.from_bytes(data[pos:pos + count], "big")
        pos += count
    else:
        length = first
    if pos + length > end:
        raise ValueError("TLV runs past its container")
    return tag, pos, pos + length


def read_int(data: bytes, pos: int, end: int) -> tuple[int, int]:
    tag, start, stop = read(data, pos, end)
    if tag != INTEGER or not 1 <= stop - start <= 5:
        raise ValueError("expected a small INTEGER")
    return int.from_bytes(data[start:stop], "big", signed=True), stop


def read_oid(raw: bytes) -> tuple[int, ...]:
    if not raw or raw[-1] & 0x80:
        raise ValueError("bad OID")
    arcs = [min(raw[0] // 40, 2), raw[0] - 40 * min(raw[0] // 40, 2)]
    value = 0
    for byte in raw[1:]:
        value = (value << 7) | (byte & 0x7F)
        if value >= 1 << 32:
            raise ValueError("OID arc too large")
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    if len(arcs) > MAX_ARCS:
        raise ValueError("OID too long")
    return tuple(arcs)


@dataclass(frozen=True)
class Request:
    """An SNMP v1 (version 0) or v2c (version 1) request."""

    version: int
    community: bytes
    pdu: int
    request_id: int
    non_repeaters: int  # error-status field of GET/GETNEXT
    max_repetitions: int  # error-index field of GET/GETNEXT
    oids: tuple[tuple[int, ...], ...]


def parse_request(data: bytes) -> Request:
    """The request in a datagram; ValueError for SNMPv3, responses, traps and malformed bytes."""
    tag, pos, end = read(data, 0, len(data))
    if tag != SEQUENCE:
        raise ValueError("not a SEQUENCE")
    version, pos = read_int(data, pos, end)
    if version not in (0, 1):
        raise ValueError("not SNMP v1/v2c")
    tag, c_start, pos = read(data, pos, end)  # pos: the end of the community
    community = data[c_start:pos]
    if tag != OCTET_STRING:
        raise ValueError("no community")
    pdu, pos, p_end = read(data, pos, end)
    if pdu not in (GET, GETNEXT, GETBULK) or (pdu == GETBULK and version == 0):
        raise ValueError("not a request PDU")
    request_id, pos = read_int(data, pos, p_end)
    field1, pos = read_int(data, pos, p_end)
    field2, pos = read_int(data, pos, p_end)
    tag, pos, b_end = read(data, pos, p_end)
    if tag != SEQUENCE:
        raise ValueError("no varbind list")
    oids = []
    while pos < b_end:
        if len(oids) == MAX_VARBINDS:
            raise ValueError("too many varbinds")
        tag, vb_start, pos = read(data, pos, b_end)
        tag_oid, o_start, o_end = read(data, vb_start, pos)
        if tag != SEQUENCE or tag_oid != OID:
            raise ValueError("bad varbind")
        oids.append(read_oid(data[o_start:o_end]))
    return Request(version, community, pdu, request_id, field1, field2, tuple(oids))


def response(request: Request, varbinds: list[tuple[tuple[int, ...], bytes]], error_status: int = 0,
             error_index: int = 0) -> bytes:
    """A Response-PDU echoing the request's version, community and request id."""
    binds = b"".join(tlv(SEQUENCE, oid(name) + value) for name, value in varbinds)
    pdu = tlv(RESPONSE, integer(request.request_id) + integer(error_status) + integer(error_index)
              + tlv(SEQUENCE, binds))
    return tlv(SEQUENCE, integer(request.version) + tlv(OCTET_STRING, request.community) + pdu)
