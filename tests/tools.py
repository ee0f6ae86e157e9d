"""The outside tools the tests use, each checked in one place and named with one message.

A test that needs a tool asks for it with `need(name)` (the fakes that start a peer do it
themselves), so a missing tool skips every test that needs it with the same message, and the
run ends with one line per missing tool. The same table tells `scripts/test` and `.ci/run`
which Debian packages to install:

    python3 tests/tools.py packages     # every Debian package the tests use, one per line
    python3 tests/tools.py missing      # the tools still missing, with their packages

This file imports only the standard library at the top, so the system python can run it before
the project's virtual environment exists.
"""

from __future__ import annotations

import functools
import os
import secrets
import shutil
import subprocess
import sys
from dataclasses import dataclass
from typing import Callable

SYSTEM_PYTHON = "/usr/bin/python3"
CHROMIUM = "/usr/bin/chromium"
NODE_MIN, NPM_MIN = (20, 19), (10, 0)  # Vite 8 needs node 20.19 (admin-ui/package.json: engines)
SNMPD = "/usr/sbin/snmpd"
IP = shutil.which("ip") or "/usr/sbin/ip"


class ToolMissing(Exception):
    """A test needs a tool this machine lacks; the conftest turns it into a skip."""


@dataclass(frozen=True)
class Tool:
    """One outside tool: how to tell it is here, which Debian packages bring it, who needs it."""

    name: str
    packages: tuple[str, ...]
    needed_for: str
    why_missing: Callable[[], str | None]  # None when present


def system_python_env() -> dict[str, str]:
    """The environment without a venv's PYTHON* variables, which break the system python."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PYTHON") and k != "VIRTUAL_ENV"}


def _snmpd() -> str | None:
    return None if os.access(SNMPD, os.X_OK) else f"{SNMPD} is not installed"


_GST_ELEMENTS = ("videotestsrc", "x264enc", "jpegenc", "rtph264pay", "rtpjpegpay", "audiotestsrc", "mulawenc",
                 "rtppcmupay")


def _gst_rtsp() -> str | None:
    if not os.path.exists(SYSTEM_PYTHON):
        return f"{SYSTEM_PYTHON} is not installed"
    # The bindings, and every element the fake camera's launch lines use (x264enc is in -ugly).
    probe = ("import gi; gi.require_version('GstRtspServer', '1.0'); gi.require_version('GstVideo', '1.0');"
             " from gi.repository import GstRtspServer, GstVideo, Gst; Gst.init(None);"
             f" lost = [e for e in {_GST_ELEMENTS!r} if not Gst.ElementFactory.find(e)];"
             " assert not lost, 'no GStreamer element ' + ', '.join(lost)")
    done = subprocess.run([SYSTEM_PYTHON, "-c", probe], env=system_python_env(), capture_output=True, text=True)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return f"{SYSTEM_PYTHON} cannot run GStreamer's RTSP server ({last})"
    return None


def _netns() -> str | None:
    if not os.path.exists(IP):
        return "iproute2's ip is not installed"
    if os.geteuid() != 0:
        return "network namespaces need root (CAP_SYS_ADMIN and CAP_NET_ADMIN)"
    name = f"probe-{secrets.token_hex(4)}"
    made = subprocess.run([IP, "netns", "add", name], capture_output=True, text=True)
    if made.returncode != 0:
        return f"ip netns add failed: {made.stderr.strip() or made.returncode}"
    try:
        veth = subprocess.run([IP, "-n", name, "link", "add", "t0", "type", "veth", "peer", "name", "t1"],
                              capture_output=True, text=True)
        if veth.returncode != 0:
            return f"cannot create a veth pair in a namespace: {veth.stderr.strip()}"
    finally:
        subprocess.run([IP, "netns", "del", name], capture_output=True)
    return None


def _version(command: str) -> tuple[int, ...] | None:
    """`command --version` as numbers (v20.19.1 -> (20, 19, 1)), None when it does not run."""
    path = shutil.which(command)
    if path is None:
        return None
    done = subprocess.run([path, "--version"], capture_output=True, text=True)
    text = done.stdout.strip().lstrip("v")
    try:
        return tuple(int(part) for part in text.split(".")[:3])
    except ValueError:
        return None


def _node() -> str | None:
    for command, least in (("node", NODE_MIN), ("npm", NPM_MIN)):
        found = _version(command)
        if found is None:
            return f"{command} is not installed"
        if found[:2] < least:
            return f"{command} {'.'.join(map(str, found))} is older than {'.'.join(map(str, least))}"
    return None


def _chromium() -> str | None:
    # Playwright (a test extra) cannot download its own browsers here: it drives this one.
    return None if os.access(CHROMIUM, os.X_OK) else f"{CHROMIUM} is not installed"
PG_BIN_DIRS = ("/usr/lib/postgresql/*/bin",)  # Debian's server binaries are off PATH


def pg_bin(name: str) -> str | None:
    """A PostgreSQL server program (initdb, pg_ctl): on PATH, else Debian's newest version folder."""
    import glob

    found = shutil.which(name)
    if found:
        return found
    for pattern in PG_BIN_DIRS:
        for folder in sorted(glob.glob(pattern), reverse=True):
            if os.access(os.path.join(folder, name), os.X_OK):
                return os.path.join(folder, name)
    return None


def _pg_cluster() -> str | None:
    for name in ("initdb", "pg_ctl"):
        if pg_bin(name) is None:
            return f"{name} is not installed"
    if os.geteuid() == 0:  # initdb refuses root: the cluster runs as the postgres user
        import pwd

        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no postgres user to run initdb as"
        if shutil.which("runuser") is None:
            return "running as root and runuser (util-linux) is missing"
    return None


def _pdftotext() -> str | None:
    return None if shutil.which("pdftotext") and shutil.which("pdftoppm") else "pdftotext/pdftoppm are not installed"


# assetsvc/reports/pdf.py FONT_PATHS: the report PDF's offline CJK fonts.
CJK_FONTS = ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")


def _cjk_font() -> str | None:
    return None if any(os.path.exists(p) for p in CJK_FONTS) else f"none of {', '.join(CJK_FONTS)} exists"


OPENCV_DATA = os.environ.get("ASSETSVC_TEST_OPENCV_DATA", "/usr/share/doc/opencv-doc/examples/data")
"""OpenCV's sample data (Debian's opencv-doc): real camera videos and photographs, the image-quality
checks' real-frame groups (tests/probes/iq_real.py, bench/bench_iq_accuracy.py)."""
OPENCV_FILES = ("vtest.avi", "tree.avi", "leuvenA.jpg", "building.jpg", "home.jpg", "aero3.jpg", "basketball1.png",
                "box_in_scene.png", "messi5.jpg", "stuff.jpg")


def _opencv_doc() -> str | None:
    lost = [name for name in OPENCV_FILES if not os.path.isfile(os.path.join(OPENCV_DATA, name))]
    return f"{OPENCV_DATA} has no {', '.join(lost)}" if lost else None


TOOLS: dict[str, Tool] = {tool.name: tool for tool in (
    Tool("snmpd", ("snmpd", "snmp"), "SNMP probes, sweeps and switch outages against net-snmp's agent",
         _snmpd),
    Tool("gst-rtsp", ("gstreamer1.0-rtsp", "gir1.2-gst-rtsp-server-1.0", "python3-gi", "python3-gst-1.0",
                      "gstreamer1.0-plugins-base", "gstreamer1.0-plugins-good", "gstreamer1.0-plugins-ugly",
                      "gstreamer1.0-tools"),
         "RTSP and frame probes against GStreamer's RTSP server", _gst_rtsp),
    Tool("netns", ("iproute2",), "WS-Discovery inside network namespaces (multicast never leaves them)",
         _netns),
    # nodesource's nodejs package brings npm; Debian 12's own nodejs (18) is too old for the build.
    Tool("node", ("nodejs",), "building the web UI (admin-ui: Vite, node >= 20.19, npm >= 10)", _node),
    # The CJK fonts make the screenshots readable (the UI itself ships no font: offline networks).
    Tool("chromium", ("chromium", "fonts-noto-cjk"), "the browser tests of the web UI (Playwright drives Debian's chromium)",
         _chromium),
    Tool("pg-cluster", ("postgresql",), "the PostgreSQL restart fault test on a throwaway cluster (initdb, pg_ctl "
         "on a temporary port; never the shared server)", _pg_cluster),
    Tool("pdftotext", ("poppler-utils",), "reading the report PDF's text and rendering its pages", _pdftotext),
    Tool("cjk-font", ("fonts-wqy-zenhei",), "the report PDF's Chinese text (an offline TrueType font)", _cjk_font),
    Tool("opencv-doc", ("opencv-doc",), "the picture checks on real camera video frames and photographs "
         "(OpenCV's sample data; ASSETSVC_TEST_OPENCV_DATA names another folder)", _opencv_doc),
)}


@functools.cache
def why_missing(name: str) -> str | None:
    """Why the tool cannot be used here (checked once per run), or None when it can."""
    return TOOLS[name].why_missing()


def message(name: str) -> str:
    """The one message for a missing tool: what is missing, what it is for, how to get it."""
    tool = TOOLS[name]
    return (f"{tool.name} missing: {why_missing(name)}; needed for {tool.needed_for} "
            f"(apt-get install {' '.join(tool.packages)}, or run scripts/test as root)")


ASKED: set[str] = set()  # the tools some test asked for in this run, for the closing summary


def need(name: str) -> None:
    """Raise ToolMissing (a skip, under pytest) when the named tool is not here."""
    ASKED.add(name)
    if why_missing(name) is not None:
        raise ToolMissing(message(name))


def missing() -> list[str]:
    """The names of the tools this machine lacks."""
    return [name for name in TOOLS if why_missing(name) is not None]


def _main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else ""
    if command == "packages":
        seen: dict[str, None] = {}
        for tool in TOOLS.values():
            seen.update(dict.fromkeys(tool.packages))
        print("\n".join(seen))
        return 0
    if command == "missing":
        for name in missing():
            print(message(name))
        return 0
    print("usage: tools.py packages|missing", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(_main(sys.argv))
