"""The `assetsvc` command as a person runs it: import, export, users, config, migrate."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from assetsvc.registry.tables import Camera
from tests.conftest import SHARED_DATA

SAMPLE = SHARED_DATA / "registry-sample.xlsx"


def assetsvc(*args: str, stdin: str = "", env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assetsvc.cli", *args], input=stdin,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


@pytest.mark.skipif(not SAMPLE.exists(), reason="shared sample sheet absent")
async def test_import_json_report_has_one_entry_per_sheet_row():
    result = assetsvc("import", str(SAMPLE), "--json")
    assert result.returncode == 1  # atomic: rejected rows, nothing written
    report = json.loads(result.stdout)
    assert len(report["rows"]) == 300
    assert report["summary"]["written"] is False
    row53 = next(r for r in report["rows"] if r["row"] == 53)
    assert row53["status"] == "rejected"
    assert row53["errors"][0]["field"] == "gb_id" and "19 digits" in row53["errors"][0]["reason"]
    assert await Camera.count().run() == 0


@pytest.mark.skipif(not SAMPLE.exists(), reason="shared sample sheet absent")
async def test_import_text_report_names_rows_and_fixes_then_writes_with_skip_invalid():
    result = assetsvc("import", str(SAMPLE), "--skip-invalid")
    assert result.returncode == 0, result.stderr
    assert "row 53: REJECTED 设备编码" in result.stdout
    assert "row 126: fixed" in result.stdout
    assert "created 285" in result.stdout
    assert await Camera.count().run() == 285


async def test_export_writes_the_requested_format(tmp_path):
    csv = ("设备编码,设备名称,行政区域,经度,纬度\n"
           "45020400041326001213,甲,450204,109.388946,24.293187\n").encode()
    source = tmp_path / "in.csv"
    source.write_bytes(csv)
    assert assetsvc("import", str(source)).returncode == 0
    out = tmp_path / "out.geojson"
    result = assetsvc("export", "--format", "geojson", "-o", str(out), "--filter", "region=450204")
    assert result.returncode == 0, result.stderr
    assert json.loads(out.read_text())["features"][0]["id"] == "45020400041326001213"


async def test_corrupt_file_gets_one_clear_line_and_no_traceback(tmp_path):
    bad = tmp_path / "sheet.xlsx"
    bad.write_bytes(b"this is not a workbook")
    result = assetsvc("import", str(bad))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "Error:" in result.stderr


async def test_user_add_reads_password_from_stdin_and_token_prints_once():
    result = assetsvc("user", "add", "office", "--role", "admin", stdin="a-long-password\n")
    assert result.returncode == 0, result.stderr
    token = assetsvc("user", "token", "office", "--name", "gis").stdout.strip()
    assert len(token) >= 40
    again = assetsvc("user", "add", "office", "--role", "admin", stdin="a-long-password\n")
    assert again.returncode == 1 and "already exists" in again.stderr


def test_bad_setting_stops_with_the_variable_named():
    result = assetsvc("config", env={"ASSETSVC_PORT": "eighty"})
    assert result.returncode == 1
    assert "ASSETSVC_PORT" in result.stderr and "Traceback" not in result.stderr


def test_config_masks_the_secret_key():
    result = assetsvc("config")
    assert result.returncode == 0
    assert os.environ["ASSETSVC_SECRET_KEY"] not in result.stdout
    assert "ASSETSVC_SECRET_KEY=***" in result.stdout


def test_migrate_is_idempotent():
    first = assetsvc("migrate")
    assert first.returncode == 0, first.stderr
    assert "applied 0 migration(s)" in first.stdout


@pytest.mark.parametrize("command", [
    ("status", "summary"), ("uptime",), ("tickets", "list"), ("webhooks", "list"),
    ("export", "--format", "csv", "-o", "out.csv"),
])
def test_a_command_on_a_database_not_migrated_says_to_migrate_in_one_line(tmp_path, command):
    env = {"ASSETSVC_DATA_DIR": str(tmp_path), "ASSETSVC_DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite'}"}
    result = subprocess.run([sys.executable, "-m", "assetsvc.cli", *command], capture_output=True, text=True,
                            timeout=120, cwd=tmp_path, env={**os.environ, **env})
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"Error: the database sqlite:///{tmp_path / 'fresh.sqlite'} is not up to date (")
    assert line.endswith("migration(s) not applied): run `assetsvc migrate` first (`assetsvc serve` applies them itself)")
    assert not (tmp_path / "out.csv").exists()


def test_import_dry_run_on_a_database_not_migrated_names_the_fix(tmp_path):
    sheet = tmp_path / "cams.csv"
    sheet.write_text("设备编码,设备名称,行政区域\n45020200001320000001,一号,450202\n", encoding="utf-8")
    env = {"ASSETSVC_DATA_DIR": str(tmp_path), "ASSETSVC_DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite'}"}
    result = subprocess.run([sys.executable, "-m", "assetsvc.cli", "import", str(sheet), "--dry-run"],
                            capture_output=True, text=True, timeout=120, env={**os.environ, **env})
    assert result.returncode == 1 and "run `assetsvc migrate` first" in result.stderr
    migrated = subprocess.run([sys.executable, "-m", "assetsvc.cli", "migrate"], capture_output=True, text=True,
                              timeout=120, env={**os.environ, **env})
    assert migrated.returncode == 0, migrated.stderr
    again = subprocess.run([sys.executable, "-m", "assetsvc.cli", "import", str(sheet), "--dry-run"],
                           capture_output=True, text=True, timeout=120, env={**os.environ, **env})
    assert "migrate" not in again.stderr and "Traceback" not in again.stderr


def test_import_dry_run_names_custom_columns_and_what_they_may_mean(tmp_path):
    sheet = tmp_path / "cams.csv"
    sheet.write_text("设备编码,设备名称,行政区域,经度,纬度,安装经度1,备注\n"
                     "45020400041326001213,一号,450204,109.388946,24.293187,109.1,新装\n", encoding="utf-8")
    result = assetsvc("import", str(sheet), "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "column F '安装经度1' kept as a custom column; did you mean 经度?" in result.stdout.splitlines()
    assert "column G '备注' kept as a custom column" in result.stdout.splitlines()


def test_import_counts_rows_on_stderr_as_it_goes(tmp_path):
    sheet = tmp_path / "cams.csv"
    sheet.write_text("设备编码,设备名称,行政区域,经度,纬度\n" + "".join(
        f"450204000413260{n:05d},点位{n},450204,109.388946,24.293187\n" for n in range(2500)), encoding="utf-8")
    result = assetsvc("import", str(sheet), "--dry-run", "--progress")
    assert result.returncode == 0, result.stderr
    assert "validating 2000 of 2500 rows" in result.stderr
    assert "finished 2500 of 2500 rows" in result.stderr
    quiet = assetsvc("import", str(sheet), "--dry-run")  # not a terminal: no counter
    assert "rows" not in quiet.stderr
