"""Device-side login checks: WS-UsernameToken (ONVIF SOAP) and HTTP/RTSP Digest or Basic.

Read with bounded regular expressions on the raw bytes (no XML parser): the requests are small
and the fields have fixed names. Replayed nonces are not tracked (that would be state per device).
"""

from __future__ import annotations

import base64
import binascii
import calendar
import hashlib
import re
import time

_USER = re.compile(rb"<(?:[\w.-]+:)?Username\b[^>]{0,200}>([^<]{0,256})<")
_PASSWORD = re.compile(rb"<(?:[\w.-]+:)?Password\b([^>]{0,400})>([^<]{0,256})<")
_NONCE = re.compile(rb"<(?:[\w.-]+:)?Nonce\b[^>]{0,400}>([^<]{0,256})<")
_CREATED = re.compile(rb"<(?:[\w.-]+:)?Created\b[^>]{0,200}>\s*(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.\d{1,9})?"
                      rb"(Z|[+-]00:00)?\s*<")
_DIGEST_PARAM = re.compile(r'(\w+)\s*=\s*(?:"([^"]{0,512})"|([^,\s]{0,512}))')
REALM = "IP Camera"
TOKEN_WINDOW_S = 300  # how far a token's Created may be from the device clock (a common default)


def has_token(body: bytes) -> bool:
    return b"UsernameToken" in body


def check_token(body: bytes, username: str, password: str, device_now: float) -> bool:
    """Whether the request's WS-UsernameToken is valid for this login at the device's clock."""
    user, secret = _USER.search(body), _PASSWORD.search(body)
    if user is None or secret is None or user.group(1).decode("utf-8", "replace") != username:
        return False
    if b"#PasswordDigest" not in secret.group(1):
        return secret.group(2).decode("utf-8", "replace") == password  # PasswordText
    nonce, created = _NONCE.search(body), _CREATED.search(body)
    if nonce is None or created is None:
        return False
    try:
        raw_nonce = base64.b64decode(nonce.group(1).strip(), validate=True)
        when = calendar.timegm(time.strptime(created.group(1).decode(), "%Y-%m-%dT%H:%M:%S"))
    except (binascii.Error, ValueError):
        return False
    if abs(when - device_now) > TOKEN_WINDOW_S:
        return False  # a token from the past or the future by the device's (maybe drifted) clock
    created_text = body[created.start(1):created.end(0) - 1].strip()
    expected = base64.b64encode(hashlib.sha1(raw_nonce + created_text + password.encode()).digest())
    return secret.group(2).strip() == expected


def challenge(nonce: str) -> str:
    """The WWW-Authenticate value a camera sends for Digest (RFC 7616, MD5, qop=auth)."""
    return f'Digest realm="{REALM}", qop="auth", nonce="{nonce}", algorithm=MD5'


def check_authorization(header: str, method: str, username: str, password: str, nonce: str) -> bool:
    """Whether an Authorization header (Digest with our nonce, or Basic) carries this login."""
    scheme, _, rest = header.strip().partition(" ")
    if scheme.lower() == "basic":
        try:
            return base64.b64decode(rest.strip(), validate=True) == f"{username}:{password}".encode()
        except (binascii.Error, ValueError):
            return False
    if scheme.lower() != "digest":
        return False
    fields = {k.lower(): q or t for k, q, t in _DIGEST_PARAM.findall(rest[:2048])}
    if fields.get("username") != username or fields.get("nonce") != nonce:
        return False

    def md5(text: str) -> str:
        return hashlib.md5(text.encode()).hexdigest()

    ha1 = md5(f"{username}:{fields.get('realm', '')}:{password}")
    ha2 = md5(f"{method}:{fields.get('uri', '')}")
    if fields.get("qop"):
        expected = md5(f"{ha1}:{nonce}:{fields.get('nc', '')}:{fields.get('cnonce', '')}:{fields['qop']}:{ha2}")
    else:
        expected = md5(f"{ha1}:{nonce}:{ha2}")
    return fields.get("response", "").lower() == expected
