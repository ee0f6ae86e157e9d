"""Throw-away network namespaces for multicast tests: one bridge, one namespace per node, 198.18.0.0/15.

Nothing here touches the host's own interfaces: every link is created inside a namespace (the
bridge namespace holds the bridge and one end of each veth pair, the node namespace the other
end), every address is from the benchmarking range 198.18.0.0/15 and exists only inside the node
namespaces, and no namespace has a route out. Multicast sent in a node therefore reaches the
other nodes on the bridge and nothing else. `close()` deletes every namespace it made.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

from tests import tools
from pathlib import Path

TEST_NET = ipaddress.ip_network("198.18.0.0/15")
REPO = Path(__file__).resolve().parents[2]
_IP = tools.IP


def ip(*args: str, netns: str | None = None) -> None:
    argv = [_IP, *(["-n", netns] if netns else []), *args]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=10)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: {done.stderr.strip()}")


@dataclass
class NodeProcess:
    """A process running inside a node namespace; its stdout lines are collected as they come."""

    popen: subprocess.Popen
    lines: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.popen.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, text: str, timeout_s: float = 10.0) -> str:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if text in line:
                    return line
            if self.popen.poll() is not None and not any(text in line for line in self.lines):
                raise RuntimeError(f"process ended ({self.popen.returncode}) before {text!r}: {self.lines}")
            time.sleep(0.02)
        raise TimeoutError(f"no {text!r} within {timeout_s} s: {self.lines}")

    def stop(self) -> None:
        if self.popen.poll() is None:
            try:
                self.popen.stdin.close()  # the fakes exit when their stdin closes
                self.popen.wait(3)
            except (OSError, subprocess.TimeoutExpired):
                self.popen.kill()
                self.popen.wait(3)


@dataclass(frozen=True)
class Node:
    netns: str
    address: str
    iface: str = "wsd0"


class Topology:
    """A bridge namespace and node namespaces hanging off it; use as a context manager."""

    def __init__(self, prefix: str = "wsd") -> None:
        self.tag = f"{prefix}-{secrets.token_hex(3)}"
        self.bridge = f"{self.tag}-br"
        self.nodes: list[Node] = []
        self.processes: list[NodeProcess] = []
        self._made: list[str] = []

    def __enter__(self) -> "Topology":
        tools.need("netns")
        try:
            self._add_netns(self.bridge)
            # snooping off: the bridge floods the group to every port, like an unmanaged switch
            ip("link", "add", "br0", "type", "bridge", "mcast_snooping", "0", netns=self.bridge)
            ip("link", "set", "br0", "up", netns=self.bridge)
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _add_netns(self, name: str) -> None:
        ip("netns", "add", name)
        self._made.append(name)

    def add_node(self, address: str) -> Node:
        """A namespace with one veth to the bridge, `address`/15 on it and the multicast route."""
        if ipaddress.ip_address(address) not in TEST_NET:
            raise ValueError(f"{address} is outside the test range {TEST_NET}")
        node = Node(f"{self.tag}-n{len(self.nodes)}", address)
        port = f"p{len(self.nodes)}"
        self._add_netns(node.netns)
        # created inside the bridge namespace with its peer put straight into the node namespace:
        # neither end ever exists in the host's namespace
        ip("link", "add", port, "type", "veth", "peer", "name", node.iface, "netns", node.netns, netns=self.bridge)
        ip("link", "set", port, "master", "br0", "up", netns=self.bridge)
        ip("link", "set", "lo", "up", netns=node.netns)
        ip("addr", "add", f"{address}/{TEST_NET.prefixlen}", "dev", node.iface, netns=node.netns)
        ip("link", "set", node.iface, "up", netns=node.netns)
        ip("route", "add", "224.0.0.0/4", "dev", node.iface, netns=node.netns)
        self.nodes.append(node)
        return node

    def _argv(self, node: Node, module: str, args: list[str]) -> list[str]:
        return [_IP, "netns", "exec", node.netns, sys.executable, "-m", module, *args]

    def _env(self) -> dict[str, str]:
        return {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}

    def start(self, node: Node, module: str, *args: str) -> NodeProcess:
        """Run `python -m module args` inside the node's namespace, in the background."""
        popen = subprocess.Popen(self._argv(node, module, list(args)), cwd=REPO, env=self._env(), text=True,
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        process = NodeProcess(popen)
        self.processes.append(process)
        return process

    def run(self, node: Node, module: str, *args: str, timeout_s: float = 30.0) -> subprocess.CompletedProcess:
        """Run `python -m module args` inside the node's namespace to the end."""
        return subprocess.run(self._argv(node, module, list(args)), cwd=REPO, env=self._env(), text=True,
                              capture_output=True, timeout=timeout_s, stdin=subprocess.DEVNULL)

    def close(self) -> None:
        """Stop the processes, then delete every namespace (the veths and bridge go with them)."""
        for process in self.processes:
            process.stop()
        self.processes.clear()
        errors = []
        for name in reversed(self._made):
            done = subprocess.run([_IP, "netns", "del", name], capture_output=True, text=True)
            if done.returncode != 0:
                errors.append(f"{name}: {done.stderr.strip()}")
        self._made.clear()
        if errors:
            raise RuntimeError("could not delete namespaces: " + "; ".join(errors))


def host_multicast_sent() -> int:
    """IPv4 multicast packets sent so far from the caller's (the host's) namespace."""
    lines = Path("/proc/self/net/netstat").read_text().splitlines()
    for names, values in zip(lines[::2], lines[1::2]):
        if names.startswith("IpExt:"):
            return dict(zip(names.split()[1:], map(int, values.split()[1:])))["OutMcastPkts"]
    raise RuntimeError("no IpExt line in /proc/self/net/netstat")
