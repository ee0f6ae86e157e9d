"""ONVIF SOAP 1.2 replies of a simulated camera, rendered from string templates (no XML library).

Only what probes.onvif and onvif-zeep-async ask for: the date/time check, service discovery
(GetServices, GetCapabilities), identity, network interfaces, media profiles and their URIs.
Values come from our own layout, never from the request, except a profile token that is
matched against the known ones.
"""

from __future__ import annotations

import re
import time
from xml.sax.saxutils import escape

from assetsvc.simfleet.layout import Identity

_HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"'
         ' xmlns:tds="http://www.onvif.org/ver10/device/wsdl" xmlns:trt="http://www.onvif.org/ver10/media/wsdl"'
         ' xmlns:tt="http://www.onvif.org/ver10/schema" xmlns:ter="http://www.onvif.org/ver10/error"><env:Body>')
_TAIL = "</env:Body></env:Envelope>"
DEVICE_NS = "http://www.onvif.org/ver10/device/wsdl"
MEDIA_NS = "http://www.onvif.org/ver10/media/wsdl"
# Operations ONVIF's access policy lets anyone call (PRE_AUTH): no token needed.
PRE_AUTH = frozenset({b"GetSystemDateAndTime", b"GetServices", b"GetCapabilities", b"GetWsdlUrl",
                      b"GetServiceCapabilities"})
# (token, name, width, height, RTSP path) of the two streams every simulated camera offers.
PROFILES = (("Profile_1", "mainStream", 1920, 1080, "/Streaming/Channels/101"),
            ("Profile_2", "subStream", 640, 360, "/Streaming/Channels/102"))
_TOKEN = re.compile(rb"ProfileToken>\s*([\w.-]{1,64})\s*<")
# Local time is China Standard Time; the POSIX TZ string has the sign reversed.
TZ, TZ_HOURS = "CST-8", 8


def envelope(body: str) -> bytes:
    return (_HEAD + body + _TAIL).encode()


def fault(code: str, subcode: str, reason: str) -> bytes:
    """A SOAP 1.2 fault shaped as ONVIF Core describes (env:Sender/Receiver, ter: subcode)."""
    return envelope(f"<env:Fault><env:Code><env:Value>{code}</env:Value><env:Subcode><env:Value>{subcode}"
                    f"</env:Value></env:Subcode></env:Code><env:Reason><env:Text xml:lang=\"en\">{reason}"
                    "</env:Text></env:Reason></env:Fault>")


NOT_AUTHORIZED = fault("env:Sender", "ter:NotAuthorized", "Sender not Authorized")
NOT_SUPPORTED = fault("env:Receiver", "ter:ActionNotSupported", "Optional Action Not Implemented")
MALFORMED = fault("env:Sender", "ter:WellFormed", "The request is not a SOAP envelope")
NO_PROFILE = fault("env:Sender", "ter:InvalidArgVal", "No such profile")


def _stamp(tag: str, when: time.struct_time) -> str:
    return (f"<tt:{tag}><tt:Time><tt:Hour>{when.tm_hour}</tt:Hour><tt:Minute>{when.tm_min}</tt:Minute>"
            f"<tt:Second>{when.tm_sec}</tt:Second></tt:Time><tt:Date><tt:Year>{when.tm_year}</tt:Year>"
            f"<tt:Month>{when.tm_mon}</tt:Month><tt:Day>{when.tm_mday}</tt:Day></tt:Date></tt:{tag}>")


def date_time(device_now: float, ntp: bool) -> bytes:
    """GetSystemDateAndTimeResponse for a device whose clock reads `device_now` (Unix seconds)."""
    return envelope(
        "<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime><tt:DateTimeType>"
        f"{'NTP' if ntp else 'Manual'}</tt:DateTimeType><tt:DaylightSavings>false</tt:DaylightSavings>"
        f"<tt:TimeZone><tt:TZ>{TZ}</tt:TZ></tt:TimeZone>{_stamp('UTCDateTime', time.gmtime(device_now))}"
        f"{_stamp('LocalDateTime', time.gmtime(device_now + TZ_HOURS * 3600))}</tds:SystemDateAndTime>"
        "</tds:GetSystemDateAndTimeResponse>")


def device_information(ident: Identity) -> bytes:
    return envelope(
        f"<tds:GetDeviceInformationResponse><tds:Manufacturer>{escape(ident.manufacturer)}</tds:Manufacturer>"
        f"<tds:Model>{escape(ident.model)}</tds:Model><tds:FirmwareVersion>{escape(ident.firmware)}"
        f"</tds:FirmwareVersion><tds:SerialNumber>{escape(ident.serial)}</tds:SerialNumber>"
        "<tds:HardwareId>88</tds:HardwareId></tds:GetDeviceInformationResponse>")


def network_interfaces(ident: Identity, address: str) -> bytes:
    return envelope(
        '<tds:GetNetworkInterfacesResponse><tds:NetworkInterfaces token="eth0"><tt:Enabled>true</tt:Enabled>'
        f"<tt:Info><tt:Name>eth0</tt:Name><tt:HwAddress>{ident.mac}</tt:HwAddress><tt:MTU>1500</tt:MTU>"
        f"</tt:Info><tt:IPv4><tt:Enabled>true</tt:Enabled><tt:Config><tt:Manual><tt:Address>{address}"
        "</tt:Address><tt:PrefixLength>24</tt:PrefixLength></tt:Manual><tt:DHCP>false</tt:DHCP></tt:Config>"
        "</tt:IPv4></tds:NetworkInterfaces></tds:GetNetworkInterfacesResponse>")


def _service(namespace: str, xaddr: str) -> str:
    return (f"<tds:Service><tds:Namespace>{namespace}</tds:Namespace><tds:XAddr>{xaddr}</tds:XAddr>"
            "<tds:Version><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tds:Version></tds:Service>")


def services(base: str) -> bytes:
    return envelope("<tds:GetServicesResponse>" + _service(DEVICE_NS, f"{base}/onvif/device_service")
                    + _service(MEDIA_NS, f"{base}/onvif/media_service") + "</tds:GetServicesResponse>")


def capabilities(base: str) -> bytes:
    return envelope(
        f"<tds:GetCapabilitiesResponse><tds:Capabilities><tt:Device><tt:XAddr>{base}/onvif/device_service"
        f"</tt:XAddr></tt:Device><tt:Media><tt:XAddr>{base}/onvif/media_service</tt:XAddr>"
        "<tt:StreamingCapabilities><tt:RTPMulticast>false</tt:RTPMulticast><tt:RTP_TCP>true</tt:RTP_TCP>"
        "<tt:RTP_RTSP_TCP>true</tt:RTP_RTSP_TCP></tt:StreamingCapabilities></tt:Media></tds:Capabilities>"
        "</tds:GetCapabilitiesResponse>")


def _profile(index: int, token: str, name: str, width: int, height: int) -> str:
    return (f'<trt:Profiles token="{token}" fixed="true"><tt:Name>{name}</tt:Name>'
            f'<tt:VideoEncoderConfiguration token="VideoEncoder_{index}"><tt:Name>VideoEncoder_{index}</tt:Name>'
            "<tt:UseCount>1</tt:UseCount><tt:Encoding>H264</tt:Encoding><tt:Resolution>"
            f"<tt:Width>{width}</tt:Width><tt:Height>{height}</tt:Height></tt:Resolution><tt:Quality>3</tt:Quality>"
            "<tt:RateControl><tt:FrameRateLimit>25</tt:FrameRateLimit><tt:EncodingInterval>1</tt:EncodingInterval>"
            "<tt:BitrateLimit>4096</tt:BitrateLimit></tt:RateControl><tt:Multicast><tt:Address><tt:Type>IPv4"
            "</tt:Type><tt:IPv4Address>0.0.0.0</tt:IPv4Address></tt:Address><tt:Port>0</tt:Port><tt:TTL>5</tt:TTL>"
            "<tt:AutoStart>false</tt:AutoStart></tt:Multicast><tt:SessionTimeout>PT5S</tt:SessionTimeout>"
            "</tt:VideoEncoderConfiguration></trt:Profiles>")


PROFILES_REPLY = envelope("<trt:GetProfilesResponse>" + "".join(
    _profile(i, token, name, w, h) for i, (token, name, w, h, _) in enumerate(PROFILES, 1))
    + "</trt:GetProfilesResponse>")


def media_uri(operation: str, body: bytes, address: str, onvif_port: int, rtsp_port: int) -> bytes | None:
    """GetStreamUri / GetSnapshotUri for the request's profile; None for an unknown profile."""
    found = _TOKEN.search(body)
    token = found.group(1).decode() if found else ""
    profile = next((p for p in PROFILES if p[0] == token), None)
    if profile is None:
        return None
    uri = (f"rtsp://{address}:{rtsp_port}{profile[4]}" if operation == "GetStreamUri"
           else f"http://{address}:{onvif_port}/snapshot/{token}.jpg")
    return envelope(f"<trt:{operation}Response><trt:MediaUri><tt:Uri>{uri}</tt:Uri><tt:InvalidAfterConnect>"
                    "false</tt:InvalidAfterConnect><tt:InvalidAfterReboot>false</tt:InvalidAfterReboot>"
                    f"<tt:Timeout>PT0S</tt:Timeout></trt:MediaUri></trt:{operation}Response>")
