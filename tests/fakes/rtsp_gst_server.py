"""A real RTSP camera on loopback: GStreamer's RTSP server in a child process, with a wrapper to run it.

The child runs under the system python (/usr/bin/python3, which has PyGObject and
gir1.2-gst-rtsp-server-1.0; the venv has neither), so this file is both the child's script
(``/usr/bin/python3 rtsp_gst_server.py --mount /live=moving ...``) and, imported from the venv,
the ``GstRtspCamera`` wrapper that starts it, waits until it accepts and stops it.

Mount kinds (the picture a camera sends):
  moving  SMPTE bars scrolling sideways (a healthy camera)
  black   all black (lens cap, dead sensor, night without IR)
  blue    all blue (the "no signal" screen of an encoder whose analogue camera is gone)
  frozen  still 75 % colour bars, frames keep coming but never change (a hung encoder)
  mjpeg   moving bars as Motion JPEG (older encoders and some PTZ sub-streams)
  audio   audio only (PCMU), no video offered
  frozen_clock  the frozen picture with a ticking clock overlaid (a hung encoder whose OSD still runs)
  stall   moving bars for --stall-after seconds, then nothing while the session stays open
          (not shared: every session plays, then stalls)
  still@SIGMA[,dark][,cqp]  a still photograph (scikit-image's rocket, a live but still scene)
          with gaussian sensor noise of SIGMA grey levels drawn anew for every frame; SIGMA 0 is
          the same raw frame repeated (a hung capture whose encoder still runs); `dark` at a
          quarter of the brightness and contrast (night); `cqp` coded at a constant quantizer
          (a camera's constant quality) instead of the other mounts' 1024 kbit/s
  still_clock@SIGMA[,dark]  the same with a ticking clock overlaid
Flags any video kind takes after `@` (comma-separated, after SIGMA for the still kinds):
  everyN  only one frame in N reaches the encoder (the others are dropped after the source): the
          stream still declares the mount's rate (caps, so the SPS timing) but delivers 1/N of it,
          stamped on the source's clock (a sensor in slow shutter, an encoder that skips frames);
          the GOP is kept at the same time (key-int-max divided by N)
  bursts  the encoded frames are held back 0.5 s once a second and then sent at once: arrival
          jitter and bursts while the stream's timestamps stay regular (a congested uplink)
A mount spec ``/path=kind:auth`` needs the login given with --user (Basic or Digest, chosen
with --auth).

Refusals (``--refuse /path=CODE[@METHOD]``, the wrapper's `refuse`): every METHOD request (DESCRIBE
by default; SETUP or PLAY) for /path is answered with the RTSP status CODE, mounted or not, e.g.
``/Streaming/Channels/999=454`` (a firmware that answers a wrong path "Session Not Found") or
``/live=453@SETUP`` (the session limit reached by other viewers).
"""

from __future__ import annotations

import argparse
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

SYSTEM_PYTHON = "/usr/bin/python3"
KINDS = ("moving", "black", "blue", "frozen", "mjpeg", "audio", "frozen_clock", "stall", "still", "still_clock")
STILL_FRAMES = 29  # noise fields per still mount, played in turn (prime: no beat with the GOP)
DEFAULT_MOUNTS = ("/live=moving", "/black=black", "/blue=blue", "/frozen=frozen", "/mjpeg=mjpeg",
                  "/audio=audio", "/private=moving:auth")


# --- the child: runs under the system python ---------------------------------------------------


def _every(scene: str) -> int:
    """N of an `everyN` flag: one frame in N is sent (1 without the flag)."""
    found = [int(flag[5:]) for flag in scene.split(",") if flag.startswith("every") and flag[5:].isdigit()]
    return max(1, found[0]) if found else 1


def _launch_line(kind: str, width: int, height: int, fps: int, gop: int, scene: str = "") -> str:
    flags = scene.split(",")
    rate = "pass=quant quantizer=28" if "cqp" in flags else "bitrate=1024"
    every = _every(scene)
    thin = " ! identity name=thin" if every > 1 else ""  # frames dropped here by a pad probe (_thin)
    hold = " ! identity name=hold" if "bursts" in flags else ""  # held back here (_hold)
    encode = (f"x264enc tune=zerolatency speed-preset=ultrafast key-int-max={max(1, gop // every)} {rate} threads=1 "
              f"! video/x-h264,profile=baseline{hold} ! rtph264pay name=pay0 pt=96 config-interval=-1 )")
    encode = thin.removeprefix(" ! ") + " ! " + encode if thin else encode
    if kind in ("still", "still_clock"):
        # Raw frames pushed by _feed_still at the frame rate, stamped on arrival as a live camera's.
        clock = " ! timeoverlay font-desc=\"Sans 20\"" if kind == "still_clock" else ""
        return (f"( appsrc name=src is-live=true format=time do-timestamp=true max-buffers=2 leaky-type=upstream "
                f"caps=video/x-raw,format=I420,width={width},height={height},framerate={fps}/1{clock} ! {encode}")
    if kind == "audio":
        return ("( audiotestsrc is-live=true wave=sine ! audio/x-raw,rate=8000,channels=1 ! mulawenc "
                "! rtppcmupay name=pay0 pt=0 )")
    if kind == "mjpeg":
        return (f"( videotestsrc is-live=true pattern=smpte horizontal-speed=4 ! video/x-raw,format=I420,width={width},"
                f"height={height},framerate={fps}/1{thin} ! jpegenc quality=80 ! rtpjpegpay name=pay0 pt=26 )")
    pattern = {"moving": "smpte horizontal-speed=4", "black": "black", "blue": "blue", "frozen": "smpte75",
               "frozen_clock": "smpte75", "stall": "smpte horizontal-speed=4"}[kind]
    overlay = " ! timeoverlay font-desc=\"Sans 20\"" if kind == "frozen_clock" else ""
    valve = " ! valve name=stall drop=false" if kind == "stall" else ""
    # zerolatency: no B-frames and no lookahead, so the first packets decode at once (as a camera's).
    return (f"( videotestsrc is-live=true pattern={pattern} ! video/x-raw,width={width},height={height},"
            f"framerate={fps}/1{overlay}{valve} ! {encode}")


def _serve(args: argparse.Namespace) -> int:  # pragma: no cover - runs in the child process
    import gi

    gi.require_version("Gst", "1.0")
    gi.require_version("GstRtsp", "1.0")
    gi.require_version("GstRtspServer", "1.0")
    gi.require_version("GstVideo", "1.0")
    from gi.repository import GLib, Gst, GstRtsp, GstRtspServer, GstVideo

    Gst.init(None)
    width, height = (int(v) for v in args.size.split("x"))
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    mounts = server.get_mount_points()
    if args.user:
        user, password = args.user.split(":", 1)
        auth = GstRtspServer.RTSPAuth()
        # The C API takes a bit mask, but PyGObject only lets one enum value through: one method a server.
        auth.set_supported_methods({"basic": GstRtsp.RTSPAuthMethod.BASIC,
                                    "digest": GstRtsp.RTSPAuthMethod.DIGEST}[args.auth])
        user_token = _token(GstRtspServer, Gst, "user")
        # Register the login for the chosen method only: GstRTSPAuth checks a Basic header whatever
        # the supported methods say, so a Digest-only server must not know the Basic form.
        if args.auth == "basic":
            auth.add_basic(GstRtspServer.RTSPAuth.make_basic(user, password), user_token)
        else:
            auth.add_digest(user, password, user_token)
        # Without a default token every mount would ask for a login; anonymous may see public mounts.
        auth.set_default_token(_token(GstRtspServer, Gst, "anonymous"))
        server.set_auth(auth)
    for spec in args.mount:
        path, _, kind = spec.partition("=")
        kind, _, flag = kind.partition(":")
        kind, _, scene = kind.partition("@")
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(_launch_line(kind, width, height, args.fps, args.gop, scene))
        # Shared like a real camera: one encoder, every client joins the same stream.
        factory.set_shared(kind != "stall")
        if kind == "stall":
            factory.connect("media-configure", _stall_later, GLib, args.stall_after)
        if _every(scene) > 1:
            factory.connect("media-configure", _thin, Gst, _every(scene))
        if "bursts" in scene.split(","):
            factory.connect("media-configure", _hold, Gst)
        if kind in ("still", "still_clock"):
            frames = (Path(args.still_dir) / _still_file(scene)).read_bytes()
            factory.connect("media-configure", _feed_still, GLib, Gst, frames, width * height * 3 // 2, args.fps)
        factory.set_protocols(GstRtsp.RTSPLowerTrans.TCP | GstRtsp.RTSPLowerTrans.UDP)
        if args.user:
            permissions = GstRtspServer.RTSPPermissions()
            # GstRTSPAuth answers 404 (not 401) to a role without "access", so anonymous keeps access
            # to a protected mount and is refused "construct", which is answered with a 401 challenge.
            anonymous_may_play = "false" if flag == "auth" else "true"
            for role, may_play in (("user", "true"), ("anonymous", anonymous_may_play)):
                permissions.add_role_from_structure(Gst.Structure.new_from_string(
                    f"{role}, media.factory.access=(boolean)true, media.factory.construct=(boolean){may_play}"))
            factory.set_permissions(permissions)
        mounts.add_factory(path, factory)
    server.connect("client-connected", _on_client, GstVideo, Gst, _refusals(args.refuse, GstRtsp))
    server.attach(None)
    print(f"READY {server.get_bound_port()}", flush=True)
    loop = GLib.MainLoop()
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, loop.quit)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, loop.quit)
    # The parent may die without stopping us: stdin closing is the last word.
    GLib.io_add_watch(GLib.IOChannel.unix_new(0), GLib.PRIORITY_DEFAULT, GLib.IOCondition.HUP, lambda *a: loop.quit())
    loop.run()
    return 0


def _still_file(scene: str) -> str:
    return f"still-{scene}.i420"


def _stall_later(factory, media, GLib, after_s: float) -> None:  # pragma: no cover - child process
    # Closing the valve drops every buffer: no RTP after this, while the session (and RTCP) stays up.
    valve = media.get_element().get_by_name("stall")
    GLib.timeout_add(int(after_s * 1000), lambda: valve.set_property("drop", True) and False)


def _thin(factory, media, Gst, every: int) -> None:  # pragma: no cover - child process
    # Drop all but one raw frame in `every`: the caps (and so the SPS timing) keep the full rate.
    seen = {"n": -1}

    def drop(_pad, _info):
        seen["n"] += 1
        return Gst.PadProbeReturn.OK if seen["n"] % every == 0 else Gst.PadProbeReturn.DROP

    media.get_element().get_by_name("thin").get_static_pad("src").add_probe(Gst.PadProbeType.BUFFER, drop)


def _hold(factory, media, Gst) -> None:  # pragma: no cover - child process
    # Block the encoder's output 0.5 s once a second (every 25th frame); the live source catches up
    # with its own timestamps, so the frames then leave in a burst, their RTP times unchanged.
    seen = {"n": 0}

    def hold(_pad, _info):
        seen["n"] += 1
        if seen["n"] % 25 == 0:
            time.sleep(0.5)
        return Gst.PadProbeReturn.OK

    media.get_element().get_by_name("hold").get_static_pad("src").add_probe(Gst.PadProbeType.BUFFER, hold)


def _feed_still(factory, media, GLib, Gst, frames: bytes, size: int, fps: int) -> None:  # pragma: no cover
    # One raw frame every frame interval, the noise fields in turn: two key frames (a multiple of
    # the GOP apart, 50 frames by default) see the same field only 29 GOPs apart, so sensor noise is
    # never the same twice within a window; a single field is the same frame repeated.
    source = media.get_element().get_by_name("src")
    count = len(frames) // size
    state = {"next": 0, "gone": False}
    media.connect("unprepared", lambda _media: state.update(gone=True))  # the last viewer left

    def push() -> bool:
        index = state["next"]
        state["next"] = (index + 1) % count
        source.emit("push-buffer", Gst.Buffer.new_wrapped(frames[index * size:(index + 1) * size]))
        return not state["gone"]

    GLib.timeout_add(1000 // fps, push)


def _token(GstRtspServer, Gst, role: str):  # pragma: no cover - child process
    token = GstRtspServer.RTSPToken()
    token.set_string("media.factory.role", role)
    return token


def _refusals(specs: Sequence[str], GstRtsp) -> dict[str, dict[str, object]]:  # pragma: no cover - child
    """{METHOD: {path: status}} from "/path=CODE[@METHOD]" specs."""
    out: dict[str, dict[str, object]] = {}
    for spec in specs:
        path, _, answer = spec.partition("=")
        code, _, method = answer.partition("@")
        out.setdefault((method or "DESCRIBE").upper(), {})[path] = GstRtsp.RTSPStatusCode(int(code))
    return out


def _on_client(server, client, GstVideo, Gst, refusals) -> None:  # pragma: no cover - child process
    # A shared stream is mid-GOP when a second viewer joins; real cameras answer a new PLAY with
    # an IDR frame, so do the same: ask the encoder for a key unit on every PLAY.
    client.connect("play-request", lambda _client, ctx: _force_key_unit(ctx.media, GstVideo, Gst))
    for method, paths in refusals.items():
        # The pre-*-request signals run before the mount is looked up; a status other than 200 is the reply.
        client.connect(f"pre-{method.lower()}-request", _refuse, paths, method)


def _refuse(client, ctx, paths, method):  # pragma: no cover - child process
    path = ctx.uri.abspath if ctx.uri is not None else ""
    if method != "DESCRIBE" and path not in paths:  # SETUP and PLAY name the track or the aggregate
        path = next((p for p in paths if path.startswith(p.rstrip("/") + "/")), path)
    return paths.get(path, 200)


def _force_key_unit(media, GstVideo, Gst) -> None:  # pragma: no cover - child process
    pay = media.get_element().get_by_name("pay0")
    if pay is not None:
        event = GstVideo.video_event_new_upstream_force_key_unit(Gst.CLOCK_TIME_NONE, True, 0)
        pay.get_static_pad("src").send_event(event)


# --- the wrapper: runs in the venv ------------------------------------------------------------


@dataclass
class GstRtspCamera:
    """Start, address and stop one GStreamer RTSP server process on 127.0.0.1."""

    mounts: Sequence[str] = DEFAULT_MOUNTS
    size: str = "640x360"
    fps: int = 25
    gop: int = 50
    user: str = "admin"
    password: str = "Hik12345"
    auth: str = "digest"  # basic | digest
    stall_after_s: float = 2.0  # "stall" mounts stop sending this long after each session starts
    refuse: Sequence[str] = ()  # "/path=CODE[@METHOD]": answer METHOD (DESCRIBE) for /path with CODE
    port: int = 0
    process: subprocess.Popen | None = field(default=None, repr=False)
    _frames: tempfile.TemporaryDirectory | None = field(default=None, init=False, repr=False)  # still mounts' frames

    def start(self, timeout_s: float = 10.0) -> "GstRtspCamera":
        from tests import tools  # not at the top: this file also runs as the child, without the repo on its path

        tools.need("gst-rtsp")
        self._frames = tempfile.TemporaryDirectory(prefix="gst-still-")
        width, height = (int(v) for v in self.size.split("x"))
        kinds = [m.partition("=")[2].partition(":")[0].partition("@") for m in self.mounts]
        for scene in {scene for kind, _, scene in kinds if kind.startswith("still")}:
            write_still(Path(self._frames.name) / _still_file(scene), scene, width, height)
        cmd = [SYSTEM_PYTHON, str(Path(__file__).resolve()), "--port", str(self.port), "--size", self.size,
               "--fps", str(self.fps), "--gop", str(self.gop), "--user", f"{self.user}:{self.password}",
               "--auth", self.auth, "--stall-after", str(self.stall_after_s), "--still-dir", self._frames.name]
        for mount in self.mounts:
            cmd += ["--mount", mount]
        for refusal in self.refuse:
            cmd += ["--refuse", refusal]
        # Only the child's own environment: a venv's PYTHONPATH/PYTHONHOME would break the system python.
        self.process = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=tools.system_python_env(),
                                        text=True)
        ready, _, _ = select.select([self.process.stdout], [], [], timeout_s)
        line = self.process.stdout.readline() if ready else ""
        if not line.startswith("READY "):
            self.stop()
            raise RuntimeError(f"GStreamer RTSP server did not start: {line.strip() or 'no answer'}")
        self.port = int(line.split()[1])
        _wait_accepting(self.port, timeout_s)
        return self

    def url(self, mount: str = "/live", with_login: bool = False) -> str:
        login = f"{self.user}:{self.password}@" if with_login else ""
        return f"rtsp://{login}127.0.0.1:{self.port}{mount}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def stop(self) -> None:
        if self._frames is not None:
            self._frames.cleanup()
            self._frames = None
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe:
                pipe.close()
        self.process = None

    def __enter__(self) -> "GstRtspCamera":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def write_still(path: Path, scene: str, width: int, height: int) -> None:
    """The raw I420 frames of a still mount: `scene` is "SIGMA[,dark][,cqp]" (see the module doc)."""
    import cv2
    import numpy as np
    import skimage.data

    sigma, *flags = scene.split(",")
    photo = cv2.cvtColor(skimage.data.rocket(), cv2.COLOR_RGB2BGR)
    scale = max(width / photo.shape[1], height / photo.shape[0])
    photo = cv2.resize(photo, (round(photo.shape[1] * scale), round(photo.shape[0] * scale)),
                       interpolation=cv2.INTER_AREA)
    top, left = (photo.shape[0] - height) // 2, (photo.shape[1] - width) // 2
    planes = cv2.cvtColor(photo[top:top + height, left:left + width], cv2.COLOR_BGR2YUV_I420).astype(np.float32)
    if "dark" in flags:  # a quarter of the light and of the contrast, colour kept
        luma = planes[:height]
        luma[:] = 16 + (luma - 16) * 0.25
    rng = np.random.default_rng(14)
    count = STILL_FRAMES if float(sigma) > 0 else 1
    with path.open("wb") as out:
        for _ in range(count):
            noisy = planes + rng.normal(0.0, float(sigma), planes.shape) if float(sigma) > 0 else planes
            out.write(np.clip(np.rint(noisy), 0, 255).astype(np.uint8).tobytes())


def _wait_accepting(port: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def main(argv: Sequence[str] | None = None) -> int:  # pragma: no cover - child process
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--size", default="640x360")
    parser.add_argument("--fps", type=int, default=25)
    parser.add_argument("--gop", type=int, default=50, help="frames between key frames")
    parser.add_argument("--user", default="", help="user:password for mounts marked :auth")
    parser.add_argument("--auth", default="digest", choices=("basic", "digest"))
    parser.add_argument("--mount", action="append", default=[], help="/path=kind[:auth]")
    parser.add_argument("--stall-after", type=float, default=2.0, help="seconds a stall mount plays first")
    parser.add_argument("--refuse", action="append", default=[], help="/path=CODE[@METHOD]: answer with CODE")
    parser.add_argument("--still-dir", default="", help="where the wrapper wrote the still mounts' raw frames")
    args = parser.parse_args(argv)
    args.mount = args.mount or list(DEFAULT_MOUNTS)
    for spec in args.mount:
        kind = spec.partition("=")[2].partition(":")[0].partition("@")[0]
        if kind not in KINDS:
            parser.error(f"mount {spec!r}: kind must be one of {', '.join(KINDS)}")
    return _serve(args)


if __name__ == "__main__":
    sys.exit(main())
