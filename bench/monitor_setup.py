"""Set-up for bench_monitor_cycle.py: throw-away database, fleet and worker processes, /proc meters, py-spy.

Nothing here imports assetsvc at module level: `configure()` sets the ASSETSVC_* environment
first (the worker processes inherit it), as bench/common.py does for the registry benchmarks.
"""

from __future__ import annotations

import asyncio
import collections
import ctypes
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
PG_ADMIN = os.environ.get("ASSETSVC_BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/test")
TICK = os.sysconf("SC_CLK_TCK")
INSERT_CHUNK = 5000


# --- the throw-away database -------------------------------------------------------------------
@dataclass
class Database:
    """The run's throw-away database and its temp folder (logs, monitoring file, SQLite file)."""

    engine: str  # sqlite | postgres
    url: str
    data_dir: Path
    pg_name: str | None = None


async def pg_admin(sql: str) -> Any:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN)
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


def configure(engine: str) -> Database:
    """ASSETSVC_* for a fresh database: a temp SQLite file, or PostgreSQL `bench_monitor_<pid>`."""
    from cryptography.fernet import Fernet

    for key in list(os.environ):
        if key.startswith("ASSETSVC_") and not key.startswith("ASSETSVC_BENCH_"):
            del os.environ[key]
    data_dir = Path(tempfile.mkdtemp(prefix="assetsvc-bench-monitor-"))
    os.environ.update({"ASSETSVC_DATA_DIR": str(data_dir), "ASSETSVC_LOG_LEVEL": "WARNING",
                       "ASSETSVC_SECRET_KEY": Fernet.generate_key().decode()})
    if engine == "sqlite":
        database = Database(engine, f"sqlite:///{data_dir / 'bench.sqlite'}", data_dir)
    else:
        name = f"bench_monitor_{os.getpid()}"
        database = Database(engine, PG_ADMIN.rsplit("/", 1)[0] + "/" + name, data_dir, name)
        try:
            asyncio.run(pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            asyncio.run(pg_admin(f'CREATE DATABASE "{name}"'))
        except BaseException:
            drop(database)
            raise
    os.environ["ASSETSVC_DATABASE_URL"] = database.url
    return database


def drop(database: Database) -> None:
    """Drop the PostgreSQL database (closing any connection left) and delete the temp folder."""
    try:
        if database.pg_name:
            asyncio.run(pg_admin(f'DROP DATABASE IF EXISTS "{database.pg_name}" WITH (FORCE)'))
    finally:
        shutil.rmtree(database.data_dir, ignore_errors=True)


def monitoring_toml(every_s: float, timeout_s: float, overrides: dict[str, float]) -> str:
    """The shipped rules, back-off, history and limits (--limit overrides), and one class: ONVIF
    cameras with the light plan only."""
    from assetsvc.monitoring.config import default_text

    shipped = tomllib.loads(default_text())
    shipped["limits"].update(overrides)
    lines = []
    for section in ("rules", "limits", "backoff", "history"):
        lines += [f"[{section}]", *(f"{k} = {v:g}" for k, v in shipped[section].items()), ""]
    lines += ["[[class]]", 'name = "onvif-camera-light"', 'when = { subject = "camera", protocol = "onvif" }',
              f'light = {{ every = {every_s:g}, probes = ["onvif_light"], timeout = {timeout_s:g} }}', ""]
    return "\n".join(lines)


# --- the registry rows ---------------------------------------------------------------------------
def camera_values(row: dict[str, Any]) -> dict[str, Any]:
    """A simfleet registry row as Camera columns (register() is too slow for 100,000: see docs/simfleet.md)."""
    keys = ("gb_id", "name", "region_code", "ipv4", "ports", "probe_protocols", "vendor", "model",
            "firmware", "serial", "mac")
    return {**{k: row[k] for k in keys}, "status": "active"}


async def insert_cameras(count: int, seed: int, ports: dict[str, int]) -> int:
    """The fleet's cameras straight into the camera table, one write transaction per chunk."""
    from assetsvc import bulk, db
    from assetsvc.registry.tables import Camera
    from assetsvc.simfleet.fleet import Fleet, Ports
    from assetsvc.simfleet.registry import camera_rows

    # A Fleet that is never started: only its layout and ports shape the rows.
    fleet = Fleet(count, seed=seed, ports=Ports(ports["onvif"], ports["rtsp"], ports["snmp"]))
    rows, inserted = camera_rows(fleet), 0
    while chunk := [camera_values(row) for _, row in zip(range(INSERT_CHUNK), rows)]:
        async with db.write_transaction():
            await bulk.insert_rows(Camera, chunk)
        inserted += len(chunk)
    return inserted


# --- child processes -----------------------------------------------------------------------------
# Looked up once here: the child runs _die_with_parent between fork and exec, where loading
# anything could wait on a lock another thread of this process held at the fork.
_PRCTL = ctypes.CDLL(None, use_errno=True).prctl
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    # Children get SIGTERM if this benchmark dies without its clean-up (SIGKILL, a crash).
    _PRCTL(_PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class Children:
    """Every process this benchmark started, stopped together (SIGTERM, then SIGKILL)."""

    folder: Path
    procs: list[tuple[str, subprocess.Popen]] = field(default_factory=list)

    def spawn(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> subprocess.Popen:
        # Output goes to a file, never a pipe: a chatty child must not block on a full pipe.
        log = open(self.folder / f"{name}.log", "wb")
        proc = subprocess.Popen(argv, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)
        log.close()
        self.procs.append((name, proc))
        return proc

    def log_tail(self, name: str, lines: int = 15) -> str:
        path = self.folder / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def stop(self, names: set[str] | None = None, timeout_s: float = 30.0) -> None:
        chosen = [(n, p) for n, p in self.procs if names is None or n in names]
        for _, proc in chosen:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        for _, proc in chosen:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


def start_fleet(children: Children, count: int, seed: int, timeout_s: float = 120.0) -> tuple[int, dict]:
    """`python -m assetsvc.simfleet` on free ports; its pid and `ready` JSON (bounded wait)."""
    proc = children.spawn("simfleet", [sys.executable, "-m", "assetsvc.simfleet", "--count", str(count),
                                       "--seed", str(seed), "--faults", "none", "--onvif-port", "0",
                                       "--rtsp-port", "0", "--snmp-port", "0"])
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for line in (children.folder / "simfleet.log").read_text(errors="replace").splitlines():
            if line.startswith("ready "):
                return proc.pid, json.loads(line[6:])
        if proc.poll() is not None:
            raise SystemExit(f"the fleet exited:\n{children.log_tail('simfleet')}")
        time.sleep(0.1)
    raise SystemExit(f"the fleet was not ready within {timeout_s:g} s")


def start_worker(children: Children, n: int, config_path: Path) -> int:
    env = {**os.environ, "ASSETSVC_MONITORING_CONFIG": str(config_path)}
    return children.spawn(f"worker{n}", [sys.executable, "-m", "assetsvc.cli", "worker"], env).pid


# --- /proc readers -------------------------------------------------------------------------------
def cpu_s(pid: int) -> float | None:
    """utime + stime of a process (all its threads), or None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICK


def status_mb(pid: int, key: str) -> float:
    """VmRSS (now) or VmHWM (peak) of a process, MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


_CLIENT = re.compile(r"\d+\.\d+\.\d+\.\d+\(\d+\)|\[local\]|\[[0-9a-f:]+\]\(\d+\)")


def postgres_pids(database: str | None) -> dict[int, str]:
    """Every PostgreSQL server process: pid -> "ours" (a backend of `database`), "other" (another
    database's backend) or "server" (postmaster, walwriter, checkpointer, ...)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() != "postgres":
                continue
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        # A backend's title is "postgres: <cluster>: <user> <database> <client address> <activity>".
        if database is not None and f" {database} " in title:
            found[int(entry.name)] = "ours"
        else:
            found[int(entry.name)] = "other" if _CLIENT.search(title) else "server"
    return found


def machine_cpu_s() -> dict[str, float]:
    """Whole-machine CPU seconds since boot by kind, from /proc/stat's first line."""
    names = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")
    values = dict(zip(names, (int(v) / TICK for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:])))
    return {"processes": values["user"] + values["nice"] + values["system"],
            # Interrupt time is charged to no process; loopback TCP is processed there (both ends).
            "irq": values["irq"] + values["softirq"], "steal": values["steal"],
            "total": sum(values.values())}  # guest time is already inside user


class CpuMeter:
    """CPU seconds of named processes and of every PostgreSQL server process, over a window."""

    def __init__(self, named: dict[str, int], pg_database: str | None) -> None:
        self.named, self.pg_database = named, pg_database
        self.base: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.kind: dict[int, str] = {}  # postgres pid -> ours | other | server (postgres_pids)

    def start(self) -> None:
        self.began, self.machine0 = time.monotonic(), machine_cpu_s()
        for pid in [*self.named.values(), *self._postgres()]:
            self.base[pid] = cpu_s(pid) or 0.0
        self.sample()

    def _postgres(self) -> list[int]:
        if self.pg_database is None:
            return []
        for pid, kind in postgres_pids(self.pg_database).items():
            self.kind[pid] = "ours" if self.kind.get(pid) == "ours" else kind  # a backend's title changes
            self.base.setdefault(pid, 0.0)  # started inside the window: all its time is in it
        return list(self.kind)

    def sample(self) -> None:
        """Read every known process now (a backend that exits keeps its last reading)."""
        self._postgres()
        for pid in self.base:
            now = cpu_s(pid)
            if now is not None:
                self.last[pid] = now

    def stop(self) -> None:
        self.sample()
        self.seconds = time.monotonic() - self.began
        self.machine = {k: v - self.machine0[k] for k, v in machine_cpu_s().items()}
        # Memory now and at its peak (VmHWM: since the process started), before anything is stopped.
        self.memory = {pid: (status_mb(pid, "VmRSS"), status_mb(pid, "VmHWM")) for pid in self.named.values()}

    def used(self, pid: int) -> float:
        return self.last.get(pid, self.base[pid]) - self.base[pid]

    def postgres(self, *kinds: str) -> float:
        return sum(self.used(pid) for pid, kind in self.kind.items() if kind in kinds)


async def pg_counters(database: Database) -> dict:
    """pg_stat_database's commits and pg_stat_user_tables' row counts of the benchmark's database."""
    if database.pg_name is None:
        return {}
    import asyncpg

    conn = await asyncpg.connect(database.url)
    try:
        commits = await conn.fetchval("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")
        tables = await conn.fetch("SELECT relname, n_tup_ins, n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables")
    finally:
        await conn.close()
    return {"xact_commit": commits, **{r["relname"]: (r["n_tup_ins"], r["n_tup_upd"], r["n_tup_hot_upd"])
                                       for r in tables}}


# --- py-spy on a running worker: where the CPU time went -------------------------------------------
_FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")


def start_profile(children: Children, pid: int, seconds: float, out: Path,
                  rate: int = 100) -> subprocess.Popen | None:
    """py-spy record (non-blocking: the worker is never paused) of one process, raw collapsed stacks."""
    exe = shutil.which("py-spy")
    if exe is None:
        print("--profile: py-spy is not installed (pip install py-spy into the venv); no profile")
        return None
    return children.spawn("py-spy", [exe, "record", "-p", str(pid), "-d", str(int(seconds)), "-r", str(rate),
                                     "--nonblocking", "--full-filenames", "--format", "raw", "-o", str(out)])


def _short(path: str) -> str:
    for marker in ("site-packages/", "/work/main/", "lib/python3.11/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


def _frames(stack: str) -> list[tuple[str, str]]:
    """(function, short file) per frame, outermost first."""
    out = []
    for frame in stack.split(";"):
        found = _FRAME.match(frame)
        out.append((found["func"], _short(found["file"])) if found else (frame, "?"))
    return out


def _ours(file: str) -> bool:
    return file.startswith(("assetsvc/", "probes/")) and file != "assetsvc/cli.py"


def _nearest(frames: list[tuple[str, str]]) -> str:
    """The innermost project frame of a sample; the threads that have none are named."""
    mine = [f"{f}:{fn}" for fn, f in frames if _ours(f)]
    if mine:
        return mine[-1]
    if any(f == "aiosqlite/core.py" for _, f in frames):
        return "(aiosqlite's thread: SQLite running the statements)"
    if any(fn == "_worker" and f.endswith("concurrent/futures/thread.py") for fn, f in frames):
        return "(executor thread)"
    return "(no project frame: the event loop itself, start-up)"


def profile_summary(out: Path, top: int = 20) -> list[str]:
    """Lines of text: where the worker's samples fall, by file and function, and per project function."""
    if not out.exists():
        return ["(no profile written)"]
    counters = {name: collections.Counter() for name in (
        "self, by file", "self, by function",
        "nearest project function (its own time plus the library code it called)",
        "inclusive, project functions only")}
    by_file, by_fn, nearest, inclusive = counters.values()
    total = 0
    for line in out.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames, n = _frames(stack), int(count)
        total += n
        func, file = frames[-1]
        by_file[file] += n
        by_fn[f"{file}:{func}"] += n
        nearest[_nearest(frames)] += n
        for name in {f"{f}:{fn}" for fn, f in frames if _ours(f)}:
            inclusive[name] += n
    if not total:
        return ["(no samples)"]
    lines = [f"{total} samples of the worker on CPU (waits in epoll are not sampled)"]
    for title, counter in counters.items():
        lines.append(f"\n{title}:")
        lines.extend(f"  {100 * n / total:5.1f}%  {name}" for name, n in counter.most_common(top))
    return lines
