"""What an RTSP status that refuses a request means (RFC 2326, 7826): one verdict for every stream check.

rtsp (DESCRIBE), rtsp_frame and rtsp_continuity (FFmpeg's DESCRIBE, SETUP and PLAY) all read a
refusal through `refusal`, so one status is one ErrorKind whichever check met it:

  401 403 407     auth         the login: the record's credentials, no stream fault
  404 454         config       to OPTIONS or DESCRIBE, the requests that name the record's path: the
                               stream path is not there (454 Session Not Found is what several
                               firmwares answer a DESCRIBE for a path they do not serve). To SETUP or
                               PLAY, which name a track or a session, they are other 4xx (GStreamer
                               answers a PLAY after no SETUP, for a stream without video, with 454)
  453             busy         Not Enough Bandwidth: the device's session limit, reached by other
                               viewers (Hikvision, Dahua and others); not a fault of the device
  461             transport    Unsupported Transport: the device does not offer the transport our
                               client asks for (RTP over the RTSP connection); the platform's to fix
  405 451 455 501 unsupported  the device does not offer the method asked for
  other 4xx       unsupported  the device answered and refused to play the stream
  5xx             protocol     the device failed to serve the stream: a fault of the device
"""

from __future__ import annotations

from probes.types import ErrorKind, ProbeError

AUTH = frozenset({401, 403, 407})
PATH_NOT_THERE = frozenset({404, 454})
BUSY = 453
UNSUPPORTED_TRANSPORT = 461
NOT_OFFERED = frozenset({405, 451, 455, 501})
PATH_REQUESTS = frozenset({"", "OPTIONS", "DESCRIBE"})  # "": the request is not known


def refusal(status: int | None, method: str = "", server_error: bool = False) -> ProbeError:
    """The ProbeError for an RTSP reply `status` to `method` that is not 200 OK.

    status None: the device refused with a 4xx (or, with server_error, a 5xx) whose number is not
    known (FFmpeg reports 453, 454 and 461 alike unless its log says which).
    """
    what = method or "the request"
    if status in AUTH:
        return ProbeError(ErrorKind.AUTH, f"login rejected or missing ({status})")
    if status in PATH_NOT_THERE and method.upper() in PATH_REQUESTS:
        return ProbeError(ErrorKind.CONFIG, f"stream path not found ({status})")
    if status == BUSY:
        return ProbeError(ErrorKind.BUSY, f"{what} refused: no more sessions now (453, the device's viewer limit)")
    if status == UNSUPPORTED_TRANSPORT:
        return ProbeError(ErrorKind.TRANSPORT, f"{what} refused: the device does not offer our transport (461)")
    if status in NOT_OFFERED:
        return ProbeError(ErrorKind.UNSUPPORTED, f"{what} not supported ({status})")
    if (status is None and server_error) or (status is not None and 500 <= status <= 599):
        return ProbeError(ErrorKind.PROTOCOL, f"the device failed to serve {what} ({status or '5xx'})")
    if status is None or 400 <= status <= 499:
        return ProbeError(ErrorKind.UNSUPPORTED, f"the device refused {what} ({status or '4xx'})")
    return ProbeError(ErrorKind.PROTOCOL, f"{what} answered {status}")
