"""Shared set-up of the registry benchmarks: environment, throw-away database, sample sheet, machine.

Nothing here imports assetsvc at module level: a benchmark calls `configure()` first, which sets
the ASSETSVC_* environment (as tests/conftest.py does) before any assetsvc module reads it.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import io
import multiprocessing
import os
import platform
import random
import resource
import secrets
import shutil
import sqlite3
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Awaitable, Callable, Sequence

PG_ADMIN = os.environ.get("ASSETSVC_BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/test")
SEED = 2026

# --- environment and database ----------------------------------------------------------------


@dataclass
class BenchDb:
    """The throw-away database one benchmark run works on."""

    engine: str  # sqlite | postgres
    url: str
    data_dir: Path
    pg_name: str | None = None


def configure(engine: str) -> BenchDb:
    """Point ASSETSVC_* at a fresh temporary database (created here for PostgreSQL)."""
    if engine not in ("sqlite", "postgres"):
        raise SystemExit(f"--engine {engine!r}: use sqlite or postgres")
    from cryptography.fernet import Fernet

    for key in list(os.environ):
        if key.startswith("ASSETSVC_") and not key.startswith("ASSETSVC_BENCH_"):
            del os.environ[key]
    data_dir = Path(tempfile.mkdtemp(prefix="assetsvc-bench-"))
    os.environ["ASSETSVC_DATA_DIR"] = str(data_dir)
    os.environ["ASSETSVC_SECRET_KEY"] = Fernet.generate_key().decode()
    os.environ["ASSETSVC_LOG_LEVEL"] = "WARNING"
    if engine == "sqlite":
        url = f"sqlite:///{data_dir / 'bench.sqlite'}"
        bench = BenchDb(engine, url, data_dir)
    else:
        name = f"assetsvc_bench_{os.getpid()}_{secrets.token_hex(3)}"
        url = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
        bench = BenchDb(engine, url, data_dir, name)
        asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    os.environ["ASSETSVC_DATABASE_URL"] = url
    return bench


async def _pg_admin(sql: str) -> Any:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN)
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


def drop(bench: BenchDb) -> None:
    """Remove the run's database (and its data folder)."""
    if bench.pg_name:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{bench.pg_name}" WITH (FORCE)'))
    shutil.rmtree(bench.data_dir, ignore_errors=True)


def run_on(engine: str, work: Callable[[], Awaitable[Any]]) -> None:
    """A bench's life: a fresh database for `engine`, the machine printed, `work()` run, the database dropped."""
    bench = configure(engine)
    try:
        print_machine(engine)
        asyncio.run(work())
    finally:
        drop(bench)


async def open_database() -> None:
    """Open the pool and apply every migration, as `assetsvc serve` does."""
    from assetsvc import db
    from assetsvc.runtime import migrate

    await db.start()
    with contextlib.redirect_stdout(io.StringIO()):  # piccolo prints a report per app
        await migrate()


async def close_database() -> None:
    from assetsvc import db

    await db.stop()


def admin_actor():
    from assetsvc.accounts.service import Actor

    return Actor(user_id=0, username="bench-admin", role="admin", contractor_id=None)


# --- the sample registry ---------------------------------------------------------------------

# 柳州市 districts, weighted by how many cameras a city centre has against an outer district.
DISTRICTS = {"450202": 24, "450203": 22, "450204": 20, "450205": 20, "450206": 14}
DISTRICT_NAMES = {"450202": "城中区", "450203": "鱼峰区", "450204": "柳南区", "450205": "柳北区",
                  "450206": "柳江区"}
ROADS = ("潭中路", "柳石路", "东环大道", "桂中大道", "文昌路", "屏山大道", "航银路", "柳长路", "飞鹅路",
         "西环路", "三中路", "五一路", "龙城路", "广场路", "跃进路", "白沙路", "河西路", "学院路",
         "革新路", "荣军路", "胜利路", "和平路", "北雀路", "雅儒路", "弯塘路", "红光路", "燎原路",
         "柳太路", "拉堡大道", "瑞康路", "峨山路", "友谊路", "杨柳路", "中山路", "解放路", "曙光路")
PLACES = ("路口", "交叉口", "公交站", "人行天桥", "小区大门", "学校门口", "农贸市场", "停车场入口",
          "地下通道", "广场", "医院门口", "加油站", "桥头", "隧道口", "商场出入口")
STATION_WORDS = ("城中", "公园", "潭中", "中南", "东环", "箭盘", "白沙", "鱼峰", "荣军", "天马",
                 "河西", "南站", "太阳村", "柳石", "雀儿山", "白露", "胜利", "钢城", "长塘", "沙塘",
                 "拉堡", "里雍", "百朋", "成团", "进德", "穿山", "土博")
VENDORS = (("海康威视", ("DS-2CD3T46WD-I3", "DS-2DE4425IW-DE", "iDS-2CD7A46G0-IZHS")),
           ("大华", ("DH-IPC-HFW4433M-I2", "DH-SD49425XB-HNR")),
           ("宇视", ("IPC2124LB-SF40KM-G", "IPC6622SR-X33U")),
           ("天地伟业", ("TC-C34WP",)), ("华为", ("C3220-10-SIU", "X2331-10-HLI")))
OUIS = ("BC:AD:28", "3C:EF:8C", "48:EA:63", "E0:50:8B", "88:26:3F")  # one per vendor above
CONTRACTORS = ("柳州市安视网络科技有限公司", "广西龙城智联工程有限公司", "柳州市天眼运维服务有限公司",
               "广西桂通信息技术有限公司", "柳州市华安电子工程有限公司", "广西中弘数字技术有限公司",
               "柳州市鑫盾安防科技有限公司", "广西南宁慧视运维服务有限公司")
RESIDENTIAL = ("阳光小区", "东城花园", "柳江新城", "河西苑", "金鱼峰苑", "红光小区", "华润万象城",
               "步步高广场", "五星商业街", "柳州万达广场", "窑埠古镇", "新都汇", "谷埠街国际商城")
GOVERNMENT = ("柳州市交通运输局", "柳州市城市管理行政执法局", "柳州市教育局", "柳州市卫生健康委员会",
              "柳州市应急管理局", "柳州市水利局")


def _owners() -> list[tuple[str, str]]:
    """(建设单位, class): police branches, a few government bureaus and many social owners."""
    police = [("柳州市公安局", "police")] + [
        (f"柳州市公安局{name}分局", "police") for name in DISTRICT_NAMES.values()]
    return police + [(g, "government") for g in GOVERNMENT] + [
        (f"{r}物业服务中心" if i % 2 else f"{r}管理有限公司", "social") for i, r in enumerate(RESIDENTIAL)]


OWNERS = _owners()
# GB/T 28181 industry code (digits 9-10) by owner class.
INDUSTRY = {"police": ("00", "01", "02", "03"), "government": ("04", "08", "09", "11"),
            "social": ("40", "51", "80", "80")}


def _stations() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    words = list(STATION_WORDS)
    for index, code in enumerate(DISTRICTS):
        out[code] = [f"{w}派出所" for w in words[index::len(DISTRICTS)]]
    return out


STATIONS = _stations()

_FULLWIDTH = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})


def _dms(value: float, east: bool) -> str:
    degrees = int(value)
    minutes_f = (value - degrees) * 60
    minutes = int(minutes_f)
    seconds = round((minutes_f - minutes) * 60, 2)
    if seconds >= 60:  # rounding pushed it over
        seconds = 59.99
    return f"{degrees}°{minutes}'{seconds}\"{'E' if east else 'N'}"


def generate_rows(count: int, seed: int = SEED) -> list[dict[str, Any]]:
    """`count` plausible cameras in the exporter's row shape, with a share of messy cells.

    Messy cells (each a fix the importer reports, none a rejection): full-width digits in the
    ID, DMS coordinates, hyphenated or bare lower-case MACs, full-width IPs, Chinese dates,
    padded names.
    """
    rnd = random.Random(seed)
    codes, weights = list(DISTRICTS), list(DISTRICTS.values())
    serial: dict[str, int] = dict.fromkeys(codes, 0)
    rows: list[dict[str, Any]] = []
    for _ in range(count):
        code = rnd.choices(codes, weights)[0]
        serial[code] += 1
        lon0, lat0 = _centre(code)
        owner, owner_class = rnd.choices(OWNERS, [8] * 6 + [3] * len(GOVERNMENT) + [2] * len(RESIDENTIAL))[0]
        vendor_index = rnd.randrange(len(VENDORS))
        vendor, models = VENDORS[vendor_index]
        camera_type = rnd.choices((1, 2, 3, 4, 5), (20, 15, 50, 5, 10))[0]
        type_code = "121" if camera_type == 5 else rnd.choice(("131", "132"))
        gb_id = (f"{code}{rnd.randrange(100):02d}{rnd.choice(INDUSTRY[owner_class])}{type_code}"
                 f"{rnd.choice('05678')}{serial[code]:06d}")
        road, cross = rnd.sample(ROADS, 2)
        place = rnd.choice(PLACES)
        direction = rnd.choice(("E", "S", "W", "N", "SE", "SW", "NE", "NW"))
        kind = "球机" if camera_type == 1 else ""
        name = f"{road}与{cross}{place}{direction_word(direction)}{kind}{serial[code] % 8 + 1}号"
        lon = round(lon0 + rnd.uniform(-0.08, 0.08), 6)
        lat = round(lat0 + rnd.uniform(-0.06, 0.06), 6)
        mac_tail = [rnd.randrange(256) for _ in range(3)]
        mac = OUIS[vendor_index] + ":" + ":".join(f"{b:02X}" for b in mac_tail)
        point_class = rnd.choices((1, 2, 3, 4), (10, 25, 60, 5))[0]
        networked = rnd.random() < 0.86
        install = dt.date(2014, 1, 1) + dt.timedelta(days=rnd.randrange(4200))
        row: dict[str, Any] = {
            "gb_id": gb_id, "name": name, "vendor": vendor, "model": rnd.choice(models),
            "region_code": code, "station_name": rnd.choice(STATIONS[code]),
            "site_alias": f"{road}{place}",
            "address": f"柳州市{DISTRICT_NAMES[code]}{road}{rnd.randrange(1, 400)}号",
            "longitude": lon, "latitude": lat,
            "ipv4": f"10.{45 + codes.index(code)}.{rnd.randrange(256)}.{rnd.randrange(1, 255)}",
            "mac": mac, "camera_type": camera_type, "point_class": point_class,
            "owner_name": owner, "owner_class": owner_class,
            "contractor_name": rnd.choice(CONTRACTORS), "networked": networked,
            "install_date": install, "retention_days": rnd.choice((30, 30, 60, 90)),
            "light": rnd.choice(("ir", "ir", "white", "none", "laser")), "direction": direction,
            "contact": f"0772-{rnd.randrange(2000000, 3999999)}",
            "status": rnd.choices(("active", "under_repair", "decommissioned", "planned"), (90, 4, 4, 2))[0],
            "custom": ({"杆件编号": f"LZ-{code[-2:]}-{rnd.randrange(1, 99999):05d}"}
                       if rnd.random() < 0.3 else {}),
        }
        _mess_up(rnd, row)
        rows.append(row)
    return rows


def _mess_up(rnd: random.Random, row: dict[str, Any]) -> None:
    """The cells a real office sheet has: each becomes a reported fix, never a rejection."""
    roll = rnd.random()
    if roll < 0.01:
        row["gb_id"] = row["gb_id"].translate(_FULLWIDTH)
    elif roll < 0.03:
        row["longitude"] = _dms(row["longitude"], east=True)
        row["latitude"] = _dms(row["latitude"], east=False)
    elif roll < 0.06:
        row["mac"] = row["mac"].replace(":", "-").lower()
    elif roll < 0.07:
        row["mac"] = row["mac"].replace(":", "").lower()
    elif roll < 0.075:
        row["ipv4"] = row["ipv4"].translate(_FULLWIDTH)
    elif roll < 0.09:
        day = row["install_date"]
        row["install_date"] = f"{day.year}年{day.month}月{day.day}日"
    elif roll < 0.10:
        row["name"] = f" {row['name']}  "


def direction_word(code: str) -> str:
    return {"E": "东", "S": "南", "W": "西", "N": "北", "SE": "东南", "SW": "西南", "NE": "东北",
            "NW": "西北"}[code] + "向"


_CENTRES: dict[str, tuple[float, float]] = {}


def _centre(code: str) -> tuple[float, float]:
    if code not in _CENTRES:
        from assetsvc.registry import regions

        found = regions.centre(code)
        assert found is not None, code
        _CENTRES[code] = found
    return _CENTRES[code]


def sheet_bytes(count: int, fmt: str, seed: int = SEED) -> bytes:
    """The generated registry as an office sheet (XLSX office layout, or CSV)."""
    from assetsvc.registry.exporter import to_csv, to_xlsx

    rows = generate_rows(count, seed)
    if fmt == "xlsx":
        return to_xlsx(rows, "柳州市视频监控点位一机一档（基准测试数据）")
    if fmt == "csv":
        return to_csv(rows)
    raise SystemExit(f"--format {fmt!r}: use xlsx or csv")


def _write_sheet(count: int, fmt: str, path: str) -> None:
    Path(path).write_bytes(sheet_bytes(count, fmt))


def make_sheet_file(count: int, fmt: str, folder: Path) -> tuple[Path, float]:
    """Write the sheet from a child process, so the generator's memory is not in our peak RSS."""
    path = folder / f"cameras-{count}.{fmt}"
    started = time.perf_counter()
    child = multiprocessing.get_context("spawn").Process(target=_write_sheet, args=(count, fmt, str(path)))
    child.start()
    child.join()
    if child.exitcode != 0:
        raise SystemExit(f"sheet generation failed (exit code {child.exitcode})")
    return path, time.perf_counter() - started


# --- measuring and printing ------------------------------------------------------------------


def peak_rss_mb() -> float:
    """The process's peak resident set size so far (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (share in 0..1)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(share * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summary_ms(seconds: Sequence[float]) -> tuple[float, float, float, float]:
    """(p50, p95, max, mean) in milliseconds."""
    ms = [s * 1000 for s in seconds]
    return percentile(ms, 0.50), percentile(ms, 0.95), max(ms), statistics.fmean(ms)


def print_table(header: Sequence[str], rows: Sequence[Sequence[Any]], title: str | None = None) -> None:
    """A plain aligned text table (markdown-compatible)."""
    cells = [[str(c) for c in header]] + [[_cell(c) for c in row] for row in rows]
    widths = [max(_width(r[i]) for r in cells) for i in range(len(header))]
    if title:
        print(f"\n{title}")
    for index, row in enumerate(cells):
        print("| " + " | ".join(_pad(c, widths[i], i) for i, c in enumerate(row)) + " |")
        if index == 0:
            rules = (("-" * (w + 1) + ":") if i else (":" + "-" * (w + 1)) for i, w in enumerate(widths))
            print("|" + "|".join(rules) + "|")


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 10 else f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _width(text: str) -> int:
    # CJK characters take two columns in a terminal.
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _pad(text: str, width: int, index: int) -> str:
    gap = " " * (width - _width(text))
    return text + gap if index == 0 else gap + text


def machine(engine: str) -> list[tuple[str, str]]:
    """What the figures were measured on."""
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kb = int(line.split()[1])
    try:
        pg = asyncio.run(_pg_admin("SHOW server_version"))
    except Exception as exc:  # noqa: BLE001 - report, do not fail, when no server answers
        pg = f"not reachable ({type(exc).__name__})"
    import piccolo

    return [
        ("engine", engine),
        ("nproc", str(os.cpu_count())),
        ("CPU", cpu),
        ("RAM", f"{mem_kb / 2**20:.1f} GiB"),
        ("load average (1/5/15 min) at start", " ".join(f"{x:.2f}" for x in os.getloadavg())),
        ("OS", platform.platform()),
        ("Python", platform.python_version()),
        ("SQLite", sqlite3.sqlite_version),
        ("PostgreSQL", str(pg)),
        ("piccolo", piccolo.__VERSION__ if hasattr(piccolo, "__VERSION__") else _version("piccolo")),
        ("git", _git_head()),
    ]


def _version(dist: str) -> str:
    import importlib.metadata

    return importlib.metadata.version(dist)


def _git_head() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              cwd=Path(__file__).resolve().parents[1], check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "assetsvc"], capture_output=True, text=True,
                               cwd=Path(__file__).resolve().parents[1], check=True).stdout.strip()
        return head + (" + uncommitted changes in assetsvc/" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "?"


def print_machine(engine: str) -> None:
    print_table(("machine", ""), machine(engine), title="Machine")


def load_now() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())
