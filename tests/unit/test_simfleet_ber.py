"""The simulated SNMP agents' BER: requests read back as written, garbage refused, never a crash."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from assetsvc.simfleet import Fleet, ber
from assetsvc.simfleet.snmp import SYSTEM, SnmpAgents

UPTIME = SYSTEM + (3, 0)


def request(pdu: int = ber.GET, oids=(UPTIME,), community: bytes = b"public", version: int = 1,
            fields: tuple[int, int] = (0, 0)) -> bytes:
    binds = b"".join(ber.tlv(ber.SEQUENCE, ber.oid(o) + ber.NULL_VALUE) for o in oids)
    body = ber.integer(4242) + ber.integer(fields[0]) + ber.integer(fields[1]) + ber.tlv(ber.SEQUENCE, binds)
    return ber.tlv(ber.SEQUENCE, ber.integer(version) + ber.tlv(ber.OCTET_STRING, community) + ber.tlv(pdu, body))


def test_a_request_reads_back_as_written():
    parsed = ber.parse_request(request(ber.GETBULK, (UPTIME, SYSTEM + (5, 0)), fields=(1, 10)))
    assert (parsed.version, parsed.community, parsed.pdu, parsed.request_id) == (1, b"public", ber.GETBULK, 4242)
    assert parsed.oids == (UPTIME, SYSTEM + (5, 0))
    assert (parsed.non_repeaters, parsed.max_repetitions) == (1, 10)


@pytest.mark.parametrize("value", [0, 1, 127, 128, 255, 256, 2**31 - 1, 2**31, 2**32 - 1])
def test_unsigned_values_keep_their_sign_bit_clear(value):
    encoded = ber.unsigned(value, ber.TIMETICKS)
    assert encoded[0] == ber.TIMETICKS and encoded[2] < 0x80
    assert int.from_bytes(encoded[2:], "big") == value


def test_large_oid_arcs_round_trip():
    arcs = (1, 3, 6, 1, 4, 1, 39165, 1, 2**31)
    _, start, end = ber.read(ber.oid(arcs), 0, len(ber.oid(arcs)))
    assert ber.read_oid(ber.oid(arcs)[start:end]) == arcs


@pytest.mark.parametrize("data", [b"", b"\x30", b"\x30\x84\xff\xff\xff\xff", request(version=3),
                                  request(pdu=ber.RESPONSE), request(pdu=ber.GETBULK, version=0),
                                  request(oids=[UPTIME] * 65)])
def test_what_is_not_a_v1_or_v2c_request_is_refused(data):
    with pytest.raises(ValueError):
        ber.parse_request(data)


@pytest.fixture(scope="module")
def agents() -> SnmpAgents:
    return SnmpAgents(Fleet(32), sock=None)  # answer() works on bytes; no socket needed


def test_a_get_is_answered_with_the_same_request_id(agents):
    reply = agents.answer(request(), "127.15.0.1")
    assert reply is not None and ber.integer(4242) in reply and bytes([ber.TIMETICKS]) in reply


def test_a_v1_get_of_an_unknown_object_fails_with_no_such_name(agents):
    reply = agents.answer(request(oids=[(1, 3, 6, 1, 9)], version=0), "127.15.0.1")
    assert ber.integer(4242) + ber.integer(2) + ber.integer(1) in reply


def test_only_upstream_addresses_have_agents(agents):
    assert agents.answer(request(), "127.16.0.1") is None
    assert agents.answer(request(), "127.15.0.99") is None
    assert agents.answer(request(community=b"private"), "127.15.0.1") is None


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_never_get_an_answer_or_an_exception(agents, data):
    assert agents.answer(data, "127.15.0.1") is None


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 5), st.binary(min_size=1, max_size=40))
def test_a_mangled_request_never_raises(agents, cut, noise):
    good = bytearray(request(ber.GETBULK, (SYSTEM, SYSTEM + (9,)), fields=(1, 50)))
    position = len(noise) % len(good)
    mangled = bytes(good[:position]) + noise + bytes(good[position + cut:])
    agents.answer(mangled, "127.15.0.1")  # any reply or None; an exception fails the test
