"""Loopback-only sockets that answer for every address of 127.0.0.0/8 on one port.

Why not one listening socket per device and protocol: 100,000 cameras would need 200,000 of
them, ten times this machine's hard RLIMIT_NOFILE (20,000), and each costs kernel and asyncio
memory (docs/simfleet.md has the measurement). Instead each protocol has ONE socket bound to the
wildcard address and pinned to the loopback interface with SO_BINDTODEVICE("lo") (unprivileged
since Linux 5.7): packets arriving on any real interface never match it, while every
127.x.y.z:port on this host does. The address a client dialled is the accepted socket's own
address (TCP) or the IP_PKTINFO destination of a datagram (UDP), which names the device.
"""

from __future__ import annotations

import resource
import socket
import struct

IP_PKTINFO = getattr(socket, "IP_PKTINFO", 8)  # Linux's value; Python 3.11 does not export it
_PKTINFO = struct.Struct("I4s4s")  # struct in_pktinfo: ifindex, spec_dst, addr


def raise_nofile_limit() -> tuple[int, int]:
    """Lift the soft open-files limit to the hard one; returns (soft, hard) now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def _loopback_socket(kind: int, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, kind)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"lo")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("0.0.0.0", port))
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


BACKLOG = 4096  # pending connections per listening socket (a burst from several workers)


def tcp_listener(port: int, backlog: int = BACKLOG) -> socket.socket:
    """A TCP socket listening on every loopback address at `port` (0: the kernel picks one)."""
    sock = _loopback_socket(socket.SOCK_STREAM, port)
    sock.listen(backlog)
    return sock


def udp_socket(port: int) -> socket.socket:
    """A UDP socket receiving for every loopback address at `port`, reporting each destination."""
    sock = _loopback_socket(socket.SOCK_DGRAM, port)
    sock.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
    return sock


ANCILLARY_SIZE = socket.CMSG_SPACE(_PKTINFO.size)


def destination(ancillary: list[tuple[int, int, bytes]]) -> bytes | None:
    """The packed IPv4 destination address of a received datagram, from its IP_PKTINFO."""
    for level, kind, data in ancillary:
        if level == socket.IPPROTO_IP and kind == IP_PKTINFO and len(data) >= _PKTINFO.size:
            return _PKTINFO.unpack_from(data)[2]
    return None


def source_option(address: bytes) -> list[tuple[int, int, bytes]]:
    """sendmsg ancillary data that makes a reply leave from `address` (the device's own)."""
    return [(socket.IPPROTO_IP, IP_PKTINFO, _PKTINFO.pack(0, address, b"\0\0\0\0"))]
