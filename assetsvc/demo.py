"""A demo registry for the embedded default: synthetic cameras whose addresses are on loopback."""

from __future__ import annotations

import datetime as dt
import random
import secrets
from typing import Any

from assetsvc.accounts.service import Actor, add_user
from assetsvc.accounts.tables import User
from assetsvc.registry import regions
from assetsvc.registry.exporter import to_csv
from assetsvc.registry.importer import import_sheet
from assetsvc.runtime import settings

DISTRICTS = ("450202", "450203", "450204", "450205", "450206")  # 柳州市 城中/鱼峰/柳南/柳北/柳江
STATIONS = ("城中派出所", "河西派出所", "南站派出所", "雀儿山派出所", "拉堡派出所")
OWNERS = (("柳州市公安局", "police"), ("柳州市交通运输局", "government"), ("和谐小区业主委员会", "social"))
CONTRACTORS = ("柳州示例运维一公司", "柳州示例运维二公司")


def demo_rows(count: int, seed: int = 2026) -> list[dict[str, Any]]:
    """Camera rows in the exporter's shape; IPs are 127.1.x.y so probes stay on this machine."""
    rnd = random.Random(seed)
    rows = []
    for n in range(count):
        district = DISTRICTS[n % len(DISTRICTS)]
        lon, lat = regions.centre(district)
        owner, owner_class = OWNERS[n % len(OWNERS)]
        type_code = "132" if owner_class == "social" else "131"
        rows.append({
            "gb_id": f"{district}00{'80' if owner_class == 'social' else '01'}{type_code}0{n + 1:06d}",
            "name": f"演示点位{n + 1:05d}", "vendor": rnd.choice(("海康威视", "大华", "宇视")),
            "model": "DEMO-IPC", "region_code": district, "station_name": STATIONS[n % len(STATIONS)],
            "site_alias": f"演示路口{n // 4 + 1}", "address": f"柳州市演示路{n + 1}号",
            "longitude": round(lon + rnd.uniform(-0.03, 0.03), 6),
            "latitude": round(lat + rnd.uniform(-0.03, 0.03), 6),
            "ipv4": f"127.1.{n // 250}.{n % 250 + 1}",
            "mac": ":".join(f"{b:02X}" for b in (0x02, 0, 0, n >> 16 & 255, n >> 8 & 255, n & 255)),
            "camera_type": rnd.choice((1, 2, 3)), "point_class": 1 if n % 10 == 0 else 3,
            "owner_name": owner, "owner_class": owner_class,
            "contractor_name": CONTRACTORS[n % len(CONTRACTORS)], "networked": n % 7 != 0,
            "install_date": dt.date(2020, 1, 1) + dt.timedelta(days=n % 1500),
            "retention_days": 30, "light": "ir", "direction": "N", "status": "active",
        })
    return rows


async def seed(count: int, actor: Actor) -> dict[str, Any]:
    """Import the demo registry (idempotent) and make sure an admin login exists."""
    report = await import_sheet(to_csv(demo_rows(count)), "demo.csv", actor, source="cli")
    lines = [f"demo registry: {report.accepted} cameras ({report.created} new)"]
    secret_file = settings().data_dir / "demo-admin-password.txt"
    if not await User.exists().where(User.username == "admin").run():
        password = secrets.token_urlsafe(12)
        await add_user("admin", password, "admin")
        secret_file.parent.mkdir(parents=True, exist_ok=True)
        secret_file.write_text(password + "\n")
        secret_file.chmod(0o600)
        lines.append(f"created user admin; its password is in {secret_file}")
    else:
        lines.append(f"user admin exists (a demo-made password is in {secret_file})")
    return {"message": "\n".join(lines), "report": report}
