"""Imports through the API as jobs: 202 at once, progress, the report at the end, never a frozen service."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

from assetsvc.registry.tables import Camera, ImportJob
from tests.fakes import sheets
from tests.integration.conftest import api_import, bearer, finished_job

HEADER = ["设备编码", "设备名称", "行政区域", "经度", "纬度"]


def _csv(rows: int) -> bytes:
    lines = [",".join(HEADER)]
    lines += [f"450204000413260{n:05d},点位{n},450204,109.388946,24.293187" for n in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def _header_row() -> str:
    return sheets.header_row(HEADER)


def _camera_row(n: int, number: int, extra: str = "") -> str:
    cells = [f"450204000413260{n:05d}", f"点位{n}", "450204", "109.388946", "24.293187"]
    return (f'<row r="{number}">' + "".join(sheets.inline(f"{c}{number}", v) for c, v in zip("ABCDE", cells))
            + extra + "</row>")


async def test_an_import_is_a_job_with_progress_and_then_the_report(client, people):
    files = {"data": ("cams.csv", _csv(3), "text/csv")}
    started = await client.post("/api/v1/import", files=files, headers=bearer(people.admin))
    assert started.status_code == 202
    job = started.json()
    assert job["state"] in ("queued", "running") and job["report"] is None
    assert set(job["progress"]) == {"stage", "done", "total"}
    assert (job["file"], job["dry_run"], job["created_by"]) == ("cams.csv", False, "admin")
    finished = await finished_job(client, people.admin, job)
    assert finished["state"] == "done" and finished["finished_at"] is not None
    assert finished["progress"] == {"stage": "finished", "done": 3, "total": 3}
    summary = finished["report"]["summary"]
    assert (summary["rows"], summary["created"], summary["written"]) == (3, 3, True)
    assert await Camera.count().run() == 3


async def test_jobs_run_one_at_a_time_and_the_second_finds_the_first_ones_cameras(client, people):
    files = {"data": ("cams.csv", _csv(300), "text/csv")}
    first = (await client.post("/api/v1/import", files=files, headers=bearer(people.admin))).json()
    second = (await client.post("/api/v1/import", files=files, headers=bearer(people.admin))).json()
    first, second = [await finished_job(client, people.admin, j) for j in (first, second)]
    assert (first["state"], first["report"]["summary"]["created"]) == ("done", 300)
    assert (second["state"], second["report"]["summary"]["unchanged"]) == ("done", 300)


async def test_only_the_office_sees_import_jobs(client, people):
    job = await api_import(client, people.admin, {"data": ("cams.csv", _csv(1), "text/csv")})
    for token in (people.auditor, people.contractor_a):
        response = await client.get(f"/api/v1/import/jobs/{job['id']}", headers=bearer(token))
        assert response.status_code == 403
    missing = await client.get(f"/api/v1/import/jobs/{job['id'] + 1000}", headers=bearer(people.admin))
    assert missing.status_code == 404


async def test_healthz_answers_while_a_big_dry_run_job_runs(client, people):
    files = {"data": ("big.csv", _csv(20_000), "text/csv")}
    started = await client.post("/api/v1/import?dry_run=true", files=files, headers=bearer(people.admin))
    assert started.status_code == 202
    health = await client.get("/healthz")
    assert health.status_code == 200
    # The answer came while the job was still reading or validating, not after it.
    row = await ImportJob.select(ImportJob.state).where(ImportJob.id == started.json()["id"]).first().run()
    assert row["state"] in ("queued", "running")
    job = await finished_job(client, people.admin, started.json())
    assert job["state"] == "done" and job["report"]["summary"]["accepted"] == 20_000


async def test_a_workbook_of_rows_with_one_cell_in_column_xfd_costs_one_cell_per_row(client, people):
    # The attack: 20,000 rows holding one cell each in the sheet's last column (about 100 KB
    # zipped). Read as lists padded to that column, it held the service for 18 s of CPU.
    data = sheets.workbook(_header_row() + sheets.xfd_rows(20_000))
    job = await api_import(client, people.admin, {"data": ("xfd.xlsx", data, "application/octet-stream")},
                           "?dry_run=true")
    assert job["state"] == "rejected"
    report = job["report"]
    assert report["summary"]["rows"] == report["summary"]["rejected"] == 20_000
    # Each row is the header's five empty fields, nothing for the 16,379 columns in between.
    assert report["custom_columns"] == [] and report["ignored_rows"] == {"1": "header"}
    kinds = {tuple(e["kind"] for e in r["errors"]) for r in report["rows"]}
    assert kinds == {("id_empty", "name_empty", "region_empty", "lon_empty", "lat_empty")}
    assert len(json.dumps(report, ensure_ascii=False)) < 20_000 * 600


async def test_blank_rows_before_the_last_row_of_a_sheet_are_reported_as_one_range(client, people):
    data = sheets.workbook(_header_row() + _camera_row(1, 2) + _camera_row(2, 1_048_576))
    assert len(data) < 4096
    job = await api_import(client, people.admin, {"data": ("far.xlsx", data, "application/octet-stream")},
                           "?dry_run=true")
    assert job["report"]["ignored_rows"] == {"1": "header", "3-1048575": "blank"}
    assert len(json.dumps(job)) < 4096
    assert [r["row"] for r in job["report"]["rows"]] == [2, 1_048_576]


async def test_another_process_sees_the_job_and_its_report(client, people):
    job = await api_import(client, people.admin, {"data": ("cams.csv", _csv(2), "text/csv")})
    script = (
        "import asyncio, json, sys\n"
        "from assetsvc import db\n"
        "from assetsvc.registry import import_jobs\n"
        "from tests.integration.conftest import ADMIN\n"
        "async def main():\n"
        "    await db.start()\n"
        "    job = await import_jobs.get(ADMIN, int(sys.argv[1]))\n"
        "    print(json.dumps([job.state, job.report['summary']['created']]))\n"
        "    await db.stop()\n"
        "asyncio.run(main())\n"
    )
    result = subprocess.run([sys.executable, "-c", script, str(job["id"])], capture_output=True, text=True,
                            timeout=120, env=dict(os.environ))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == ["done", 2]


async def test_a_job_left_running_by_a_stopped_process_shows_as_failed(client, people):
    long_ago = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5)
    orphan = ImportJob(state="running", stage="validating", filename="x.csv", created_by="admin",
                       created_at=long_ago, heartbeat_at=long_ago)
    await orphan.save().run()
    response = await client.get(f"/api/v1/import/jobs/{orphan.id}", headers=bearer(people.admin))
    job = response.json()
    assert job["state"] == "failed" and "interrupted" in job["error"]["detail"]


async def test_start_up_marks_jobs_of_a_stopped_process_failed_and_leaves_live_ones(client, people):
    from assetsvc.registry import import_jobs

    long_ago = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5)
    orphan = ImportJob(state="running", filename="x.csv", created_by="admin", created_at=long_ago,
                       heartbeat_at=long_ago)
    live = ImportJob(state="running", filename="y.csv", created_by="admin")  # beating now
    await orphan.save().run()
    await live.save().run()
    await import_jobs.sweep()
    states = {r["filename"]: r["state"] for r in await ImportJob.select(ImportJob.filename, ImportJob.state).run()}
    assert states == {"x.csv": "failed", "y.csv": "running"}
