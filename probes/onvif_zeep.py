"""onvif-zeep-async made safe for untrusted cameras: a size-capped strict transport, hardened zeep
settings, WSDLs parsed once per process, library errors mapped to ErrorKind, a bounded snapshot GET.

No zeep or aiohttp object leaves this module except through `HardenedCamera`, which only
probes/onvif.py uses and always closes.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

import aiohttp
import zeep.exceptions
from onvif import ONVIFCamera, ONVIFError
from onvif.client import AsyncTransportProtocolErrorHandler
from zeep import Settings

from probes import onvif_soap
from probes.types import Credentials, ErrorKind, ProbeError

# onvif-zeep-async's DEFAULT_SETTINGS (strict=False, xml_huge_tree=True) turns on lxml's recover
# mode and lifts libxml2's size limits for every reply. Ours keep zeep lenient about XSD order
# (strict=False: real firmwares misorder elements) but forbid DTDs, entities and external fetches;
# the transport below has already refused anything that is not strictly well-formed.
SETTINGS = Settings(strict=False, xml_huge_tree=False, forbid_dtd=True, forbid_entities=True, forbid_external=True)
_LOADED: set[str] = set()  # services whose WSDL document onvif-zeep-async has cached
_LOCKS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()


async def read_capped(response: aiohttp.ClientResponse, max_bytes: int, what: str = "reply") -> bytes:
    """The body, refused as soon as it passes `max_bytes` (never read whole into memory)."""
    if response.headers.get("Content-Encoding", "identity").lower() != "identity":
        raise ProbeError(ErrorKind.PROTOCOL, f"compressed {what} although identity was asked for")
    if response.content_length is not None and response.content_length > max_bytes:
        raise ProbeError(ErrorKind.PROTOCOL, f"{what} larger than {max_bytes} bytes")
    body = bytearray()
    async for chunk in response.content.iter_chunked(65536):
        body += chunk
        if len(body) > max_bytes:
            raise ProbeError(ErrorKind.PROTOCOL, f"{what} larger than {max_bytes} bytes")
    return bytes(body)


class BoundedTransport(AsyncTransportProtocolErrorHandler):
    """The library's transport (with its retry on a stale keep-alive socket), but capped and strict.

    The library's `_post_internal` does `await response.read()`: a 50 MB reply would be read whole.
    """

    def __init__(self, session: aiohttp.ClientSession, max_bytes: int) -> None:
        super().__init__(session=session, verify_ssl=False, cache=None)
        self.max_bytes = max_bytes

    async def _post_internal(self, address: str, message: str | bytes, headers: dict[str, str]):
        headers = dict(headers or {})
        headers.setdefault("Content-Type", 'application/soap+xml; charset="utf-8"')
        headers["Accept-Encoding"] = "identity"  # aiohttp would inflate gzip past our cap
        data = message.encode() if isinstance(message, str) else message
        async with self.session.post(address, data=data, headers=headers, timeout=self._client_timeout,
                                     auto_decompress=False) as response:
            content = await read_capped(response, self.max_bytes)
        check_reply(response.status, content)
        return response, content


def check_reply(status: int, content: bytes) -> None:
    """Classify what zeep would choke on or, worse, accept (recover mode repairs bad UTF-8)."""
    if status == 401:
        raise ProbeError(ErrorKind.AUTH, "HTTP 401 from the SOAP service")
    if status == 404:
        raise ProbeError(ErrorKind.UNSUPPORTED, "no ONVIF service at this address (HTTP 404)")
    if content:
        onvif_soap.parse(content)


def _first_load_lock() -> asyncio.Lock:
    loop = asyncio.get_running_loop()
    lock = _LOCKS.get(loop)
    if lock is None:
        lock = _LOCKS[loop] = asyncio.Lock()
    return lock


class HardenedCamera(ONVIFCamera):
    """ONVIFCamera whose services use BoundedTransport and SETTINGS."""

    def __init__(self, host: str, port: int, credentials: Credentials, max_bytes: int) -> None:
        # Quirk: ONVIFCamera.__init__ pops http_proxy/https_proxy from os.environ (process-wide).
        # nat_override rewrites every XAddr the device advertises to host:port, so a camera cannot
        # aim our SOAP requests at another machine (and NAT'd cameras advertising LAN addresses work).
        super().__init__(host, port, credentials.username, credentials.password, no_cache=True, nat_override=True)
        self._max_bytes = max_bytes

    async def create_onvif_service(self, name: str, port_type: str | None = None,
                                   read_timeout: int | None = None, write_timeout: int | None = None):
        key = name.lower()
        if key in _LOADED:
            service = await super().create_onvif_service(name, port_type, read_timeout, write_timeout)
        else:
            # The library's document cache has no lock: N probes starting together would each
            # parse the WSDL (~0.3 s of CPU apiece). The first of a kind loads it alone.
            async with _first_load_lock():
                service = await super().create_onvif_service(name, port_type, read_timeout, write_timeout)
                _LOADED.add(key)
        if not isinstance(service.transport, BoundedTransport):
            transport = BoundedTransport(service._session, self._max_bytes)
            for holder in (service, service.zeep_client, service.zeep_client_authless):
                holder.transport = transport
            service.zeep_client.settings = service.zeep_client_authless.settings = SETTINGS
        return service


def map_error(exc: BaseException, operation: str) -> ProbeError | None:
    """A ProbeError for what the library raised, or None to let the runner classify it."""
    if isinstance(exc, ProbeError):
        return ProbeError(exc.kind, f"{operation}: {exc.message}", exc.facts)
    if isinstance(exc, zeep.exceptions.Fault):
        subcodes = [str(s) for s in (exc.subcodes or [])]
        kind = onvif_soap.classify_fault(str(exc.code or ""), subcodes, str(exc.message or ""))
        reason = " ".join(str(exc.message or exc.code or "fault").split())[:200]
        return ProbeError(kind, f"{operation}: {reason}")
    if isinstance(exc, zeep.exceptions.TransportError):
        kind = ErrorKind.AUTH if exc.status_code == 401 else ErrorKind.PROTOCOL
        return ProbeError(kind, f"{operation}: HTTP {exc.status_code}")
    if isinstance(exc, zeep.exceptions.Error):  # XMLParseError, ValidationError, ... from odd replies
        return ProbeError(ErrorKind.PROTOCOL, f"{operation}: unexpected reply ({type(exc).__name__})")
    if isinstance(exc, ONVIFError):
        unsupported = "support service" in str(exc)  # the device advertised no XAddr for it
        return ProbeError(ErrorKind.UNSUPPORTED if unsupported else ErrorKind.PROTOCOL, f"{operation}: {exc}"[:240])
    if isinstance(exc, (aiohttp.ServerDisconnectedError, aiohttp.ClientConnectionResetError)):
        return ProbeError(ErrorKind.REFUSED, f"{operation}: connection closed by the device")
    if isinstance(exc, (aiohttp.ClientPayloadError, aiohttp.ClientResponseError, aiohttp.InvalidURL)):
        return ProbeError(ErrorKind.PROTOCOL, f"{operation}: malformed HTTP reply ({type(exc).__name__})")
    return None


async def fetch_snapshot(uri: str, credentials: Credentials, max_bytes: int, timeout_s: float) -> tuple[bytes, str]:
    """GET a snapshot with HTTP digest (or basic, if that is what the camera asks for); capped."""
    connector = aiohttp.TCPConnector(ssl=False, limit=1)  # cameras use self-signed certificates
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    options: dict[str, Any] = {"headers": {"Accept-Encoding": "identity"}, "auto_decompress": False}
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        digest = (aiohttp.DigestAuthMiddleware(credentials.username, credentials.password),)
        async with session.get(uri, middlewares=digest, **options) as response:
            challenge = response.headers.get("WWW-Authenticate", "")
            if not (response.status == 401 and challenge.lower().startswith("basic")):
                return await _snapshot_body(response, max_bytes)
        # aiohttp 3.13 deprecates auth=BasicAuth(...); the header form is what it recommends.
        basic = aiohttp.encode_basic_auth(credentials.username, credentials.password)
        options["headers"] = {**options["headers"], "Authorization": basic}
        async with session.get(uri, **options) as response:
            return await _snapshot_body(response, max_bytes)


async def _snapshot_body(response: aiohttp.ClientResponse, max_bytes: int) -> tuple[bytes, str]:
    if response.status == 401:
        raise ProbeError(ErrorKind.AUTH, "snapshot: HTTP 401")
    if response.status != 200:
        raise ProbeError(ErrorKind.PROTOCOL, f"snapshot: HTTP {response.status}")
    data = await read_capped(response, max_bytes, "snapshot")
    content_type = response.headers.get("Content-Type", "")[:100]
    if not data.startswith(b"\xff\xd8"):
        raise ProbeError(ErrorKind.PROTOCOL, f"snapshot is not a JPEG ({content_type or 'no content type'})")
    return data, content_type
