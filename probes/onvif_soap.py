"""ONVIF SOAP without zeep: the fixed date/time envelope, WS-UsernameToken, a hardened parser, faults.

Everything here treats the device's bytes as hostile: no DTD is accepted (SOAP 1.2 forbids one in
a message), entities are never expanded, nothing is fetched, and the parse is strict so invalid
UTF-8 is an error rather than silently repaired (lxml's recover mode, which onvif-zeep-async turns
on, replaces bad bytes with U+FFFD).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
import re
from dataclasses import dataclass
from xml.sax.saxutils import escape

from lxml import etree

from probes.types import Credentials, ErrorKind, ProbeError

DEVICE_NS = "http://www.onvif.org/ver10/device/wsdl"
_WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
_WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
_DIGEST = ("http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0"
           "#PasswordDigest")
_B64 = ("http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0"
        "#Base64Binary")
DATE_TIME_HEADERS = {"Content-Type": 'application/soap+xml; charset=utf-8; '
                                     f'action="{DEVICE_NS}/GetSystemDateAndTime"'}
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                          remove_comments=True, remove_pis=True, recover=False)
_ROOT_START = re.compile(rb"<[A-Za-z_]")
# Words firmwares put in a fault instead of ter:NotAuthorized ("Sender not authorized", ...).
_AUTH_WORDS = re.compile(r"not\s*authori[sz]ed|unauthori[sz]ed|authenticat|password|permission denied|"
                         r"login failed|access denied", re.I)
_AUTH_CODES = {"NotAuthorized", "FailedAuthentication", "InvalidSecurity", "InvalidSecurityToken",
               "SecurityTokenUnavailable", "FailedCheck", "MessageExpired", "Unauthorized"}
_UNSUPPORTED_CODES = {"ActionNotSupported", "NotSupported", "NoSuchService"}
_UNSUPPORTED_WORDS = re.compile(r"not\s+(supported|implemented)|unsupported|unknown (action|operation|method)", re.I)


def envelope(operation_xml: str, credentials: Credentials | None = None, now: dt.datetime | None = None) -> bytes:
    """A SOAP 1.2 envelope around one operation element, with a UsernameToken when asked."""
    header = "" if credentials is None else f"<s:Header>{username_token(credentials, now)}</s:Header>"
    return (f'<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope">'
            f"{header}<s:Body>{operation_xml}</s:Body></s:Envelope>").encode()


DATE_TIME_OP = f'<GetSystemDateAndTime xmlns="{DEVICE_NS}"/>'


def username_token(credentials: Credentials, now: dt.datetime | None = None) -> str:
    """WS-Security UsernameToken, PasswordDigest = Base64(SHA-1(nonce + created + password))."""
    nonce = os.urandom(16)
    # Zulu time without fractions: some firmwares (Hikvision among them) reject "+00:00" offsets.
    created = (now or dt.datetime.now(dt.timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ")
    digest = base64.b64encode(hashlib.sha1(nonce + created.encode() + credentials.password.encode()).digest())
    return (f'<wsse:Security xmlns:wsse="{_WSSE}" xmlns:wsu="{_WSU}" s:mustUnderstand="1"><wsse:UsernameToken>'
            f"<wsse:Username>{escape(credentials.username)}</wsse:Username>"
            f'<wsse:Password Type="{_DIGEST}">{digest.decode()}</wsse:Password>'
            f'<wsse:Nonce EncodingType="{_B64}">{base64.b64encode(nonce).decode()}</wsse:Nonce>'
            f"<wsu:Created>{created}</wsu:Created></wsse:UsernameToken></wsse:Security>")


def parse(data: bytes) -> etree._Element:
    """Parse a reply strictly; any DTD, malformed XML or bad encoding is a PROTOCOL error."""
    start = _ROOT_START.search(data)
    if start is None:
        raise ProbeError(ErrorKind.PROTOCOL, "reply is not XML")
    if b"<!DOCTYPE" in data[:start.start()]:
        # Refused before parsing: entity bombs and external entities (XXE) both need a DTD.
        raise ProbeError(ErrorKind.PROTOCOL, "reply carries a DTD (forbidden in SOAP; entity bomb or XXE)")
    try:
        return etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        what = "has an invalid character encoding" if "encoding" in str(exc).lower() else "is malformed XML"
        raise ProbeError(ErrorKind.PROTOCOL, f"reply {what}") from None


@dataclass(frozen=True)
class SoapFault:
    code: str
    subcodes: tuple[str, ...]  # local names; prefixes are often undeclared, so never resolved
    reason: str

    @property
    def kind(self) -> ErrorKind:
        return classify_fault(self.code, self.subcodes, self.reason)


def find_fault(root: etree._Element) -> SoapFault | None:
    """The Body's Fault (SOAP 1.2, or 1.1 from older firmware), or None."""
    node = root.find("{*}Body/{*}Fault")
    if node is None:
        return None
    code = node.findtext("{*}Code/{*}Value") or node.findtext("faultcode") or ""
    subcodes = tuple(_local(v.text or "") for v in node.iterfind(".//{*}Subcode/{*}Value"))
    reason = node.findtext("{*}Reason/{*}Text") or node.findtext("faultstring") or ""
    return SoapFault(_local(code), subcodes, " ".join(reason.split())[:200])


def classify_fault(code: str, subcodes: tuple[str, ...] | list[str], reason: str) -> ErrorKind:
    """AUTH, UNSUPPORTED or (for anything else a device invents) PROTOCOL."""
    names = {_local(c) for c in (code, *subcodes)}
    if names & _AUTH_CODES or _AUTH_WORDS.search(reason or ""):
        return ErrorKind.AUTH
    if names & _UNSUPPORTED_CODES or _UNSUPPORTED_WORDS.search(reason or ""):
        return ErrorKind.UNSUPPORTED
    return ErrorKind.PROTOCOL


def _local(name: str) -> str:
    return name.strip().rsplit(":", 1)[-1].rsplit("}", 1)[-1]


@dataclass(frozen=True)
class DeviceClock:
    utc: dt.datetime
    ntp: bool | None
    tz: str | None
    dst: bool | None


def read_date_time(root: etree._Element) -> DeviceClock:
    """SystemDateAndTime from a GetSystemDateAndTimeResponse (values range-checked)."""
    node = root.find("{*}Body/{*}GetSystemDateAndTimeResponse/{*}SystemDateAndTime")
    if node is None:
        raise ProbeError(ErrorKind.PROTOCOL, "no SystemDateAndTime in the reply")
    utc = node.find("{*}UTCDateTime")
    if utc is None:
        raise ProbeError(ErrorKind.PROTOCOL, "no UTCDateTime in the reply")
    try:
        fields = [int(utc.findtext(f"{{*}}{part}") or "") for part in
                  ("Date/{*}Year", "Date/{*}Month", "Date/{*}Day", "Time/{*}Hour", "Time/{*}Minute", "Time/{*}Second")]
        when = dt.datetime(*fields, tzinfo=dt.timezone.utc)
    except ValueError:
        raise ProbeError(ErrorKind.PROTOCOL, "UTCDateTime is not a valid date and time") from None
    kind = (node.findtext("{*}DateTimeType") or "").strip().upper()
    tz = node.findtext("{*}TimeZone/{*}TZ")
    dst = (node.findtext("{*}DaylightSavings") or "").strip().lower()
    return DeviceClock(when, {"NTP": True, "MANUAL": False}.get(kind), tz.strip()[:64] if tz else None,
                       {"true": True, "false": False}.get(dst))
