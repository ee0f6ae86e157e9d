"""`uptime` and `maintenance` commands as a person runs them (a subprocess on the test database).

They run as `python -m assetsvc.monitoring.uptime_cli`, the module's own entry point, until
assetsvc/cli.py registers the groups under `assetsvc`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from assetsvc.audit.tables import Change
from tests.integration.test_uptime_world import camera, timeline

PERIOD = ["--from", "2026-01-15T08:00:00Z", "--to", "2026-01-15T18:00:00Z"]


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assetsvc.monitoring.uptime_cli", *args], capture_output=True,
                          text=True, timeout=120, env=dict(os.environ))


async def two_cameras() -> tuple[int, int]:
    # a up all period, b down for its first 4 h then up: online (10 + 6) / 20 = 0.8.
    a, b = await camera(1), await camera(2)
    await timeline(a, [("up", -1, None)])
    await timeline(b, [("down", -1, 4), ("up", 4, None)])
    return a, b


async def test_uptime_prints_the_region_figures():
    await two_cameras()
    result = cli("uptime", "--region", "330106", *PERIOD)
    assert result.returncode == 0, result.stderr
    assert "online rate 在线率    80.000%" in result.stdout
    assert "scope region 330106" in result.stdout
    as_json = json.loads(cli("uptime", "--region", "3301", *PERIOD, "--json").stdout)
    assert as_json["online_rate"] == 0.8 and as_json["seconds"]["down"] == 4 * 3600.0


async def test_uptime_cameras_lists_the_worst_first():
    a, b = await two_cameras()
    result = cli("uptime", "cameras", *PERIOD, "--json")
    assert result.returncode == 0, result.stderr
    assert [r["camera_id"] for r in json.loads(result.stdout)["items"]] == [b, a]
    text = cli("uptime", "cameras", *PERIOD, "--limit", "1").stdout
    assert "2 cameras" in text and "60.000%" in text


async def test_bad_input_is_one_line_naming_the_option():
    missing = cli("uptime", "--region", "330106")
    assert missing.returncode == 1 and "start" in missing.stderr and "Traceback" not in missing.stderr
    bad_region = cli("uptime", "--region", "77", *PERIOD)
    assert bad_region.returncode == 1 and "region '77' is not a GB/T 2260 code" in bad_region.stderr
    two_scopes = cli("uptime", "--region", "330106", "--site", "1", *PERIOD)
    assert two_scopes.returncode == 2 and "at most one scope" in two_scopes.stderr


async def test_maintenance_add_list_and_end_from_the_shell():
    cam = await camera(3)
    added = cli("maintenance", "add", "--camera", str(cam), "--from", "2030-01-01", "--to", "2030-01-02",
                "--reason", "更换镜头", "--json")
    assert added.returncode == 0, added.stderr
    window = json.loads(added.stdout)
    assert window["starts_at"] == "2030-01-01T00:00:00+08:00" and window["created_by"].startswith("cli:")
    listed = cli("maintenance", "list", "--scope", "camera", "--ref", str(cam))
    assert f"window {window['id']}: camera {cam}" in listed.stdout and "更换镜头" in listed.stdout
    ended = cli("maintenance", "end", str(window["id"]))
    assert ended.returncode == 0 and ended.stdout.startswith("deleted window")
    assert "no maintenance windows" in cli("maintenance", "list").stdout
    log = await Change.select(Change.action, Change.actor).where(Change.entity == "maintenance_window").run()
    assert sorted(r["action"] for r in log) == ["create", "delete"] and log[0]["actor"].startswith("cli:")
    refused = cli("maintenance", "add", "--region", "330106", "--from", "2030-01-02", "--to", "2030-01-01",
                  "--reason", "x")
    assert refused.returncode == 1 and "ends_at" in refused.stderr


async def test_uptime_rollup_rolls_up_closed_days_now_as_the_nightly_job_does():
    from assetsvc import bulk
    from assetsvc.monitoring.tables import UptimeDay

    await two_cameras()
    result = cli("uptime", "rollup", "--days", "2")
    assert result.returncode == 0, result.stderr
    days = int(result.stdout.split(" days rolled up")[0])  # 1 or 2: yesterday closes an hour after midnight
    assert days in (1, 2), result.stdout
    rows = await bulk.fetch(UptimeDay, "SELECT COUNT(*) AS n FROM uptime_day")
    assert rows[0]["n"] == 2 * days  # a row per camera and closed day (zeros outside service)
    again = cli("uptime", "rollup", "--days", "2")  # stored days are kept, not added twice
    assert again.returncode == 0 and (await bulk.fetch(UptimeDay, "SELECT COUNT(*) AS n FROM uptime_day"))[0]["n"] == 2 * days
    refused = cli("uptime", "rollup", "--days", "0")
    assert refused.returncode == 2 and "--days" in refused.stderr
