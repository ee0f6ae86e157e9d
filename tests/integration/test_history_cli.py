"""`assetsvc history` as a person runs it (a subprocess on the test database)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from assetsvc.monitoring.tables import StateInterval
from tests.integration.test_history_import import GB1, MONTH
from tests.integration.test_uptime_world import camera


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assetsvc.cli", "history", *args], capture_output=True,
                          text=True, timeout=120, env=dict(os.environ))


async def test_dry_run_import_batches_and_undo_from_the_shell(tmp_path):
    await camera(1), await camera(2)
    path = tmp_path / "旧平台历史.csv"
    path.write_text(MONTH, encoding="utf-8")
    dry = cli("import", str(path), "--dry-run", "--tz", "+08:00")
    assert dry.returncode == 0, dry.stderr
    assert "would write 6 records" in dry.stdout and await StateInterval.count().run() == 0

    done = cli("import", str(path), "--tz", "+08:00", "--json")
    assert done.returncode == 0, done.stderr
    batch = json.loads(done.stdout)["batch"]
    assert await StateInterval.count().run() == 6
    again = cli("import", str(path), "--tz", "+08:00")
    assert "6 already imported" in again.stdout and "wrote 0 records" in again.stdout

    listed = cli("batches")
    assert listed.returncode == 0 and f"{batch}\tstates\t旧平台历史.csv\t6 rows, 6 records" in listed.stdout
    undone = cli("undo", str(batch))
    assert undone.returncode == 0 and f"batch {batch} undone: 6 records" in undone.stdout
    assert await StateInterval.count().run() == 0
    twice = cli("undo", str(batch))
    assert twice.returncode == 1 and "was undone" in twice.stderr


async def test_rejected_rows_are_printed_with_their_row_numbers_and_exit_1(tmp_path):
    await camera(1)
    path = tmp_path / "bad.csv"
    path.write_text(f"设备编码,状态,原因,开始时间,结束时间\n{GB1},异常,,2025-12-01,2025-12-02\n", encoding="utf-8")
    result = cli("import", str(path))
    assert result.returncode == 1
    assert "row 2: REJECTED cause: a degraded row needs a cause" in result.stdout
    assert "1 of 1 rows rejected: nothing written" in result.stdout
