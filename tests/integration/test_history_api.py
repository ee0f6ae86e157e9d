"""History import through the API (admin only): the job with its progress and report, batches, undo."""

from __future__ import annotations

import asyncio

from tests.integration.conftest import bearer
from tests.integration.test_history_import import GB1, MONTH
from tests.integration.test_uptime_world import camera

DECEMBER = "/api/v1/uptime?start=2025-12-01&end=2026-01-01&tz=%2B08:00"


async def start(client, token: str, text: str, query: str = "") -> dict:
    files = {"data": ("history.csv", text.encode(), "text/csv")}
    return await client.post(f"/api/v1/history/import{query}", files=files, headers=bearer(token))


async def finished(client, token: str, job: dict) -> dict:
    for _ in range(2000):  # bounded: a job of six rows finishes in a few polls
        if job["state"] not in ("queued", "running"):
            return job
        await asyncio.sleep(0.02)
        answer = await client.get(f"/api/v1/history/jobs/{job['id']}", headers=bearer(token))
        assert answer.status_code == 200, answer.text
        job = answer.json()
    raise AssertionError("the job did not finish")


async def test_an_admin_imports_a_month_lists_its_batch_and_undoes_it(client, people):
    await camera(1), await camera(2)
    started = await start(client, people.admin, MONTH, "?tz=%2B08:00")
    assert started.status_code == 202, started.text
    job = await finished(client, people.admin, started.json())
    assert job["state"] == "done" and job["progress"]["stage"] == "finished"
    report = job["report"]
    assert report["summary"]["import"] == 6 and report["batch"] is not None
    figures = (await client.get(DECEMBER, headers=bearer(people.admin))).json()
    assert figures["seconds"]["down"] == 24 * 3600.0 and figures["cameras"] == 2

    listed = (await client.get("/api/v1/history/batches", headers=bearer(people.admin))).json()
    assert [(b["id"], b["kind"], b["written"], b["undone_at"]) for b in listed] == [
        (report["batch"], "states", 6, None)]
    again = await finished(client, people.admin, (await start(client, people.admin, MONTH, "?tz=%2B08:00")).json())
    assert again["report"]["summary"]["already_imported"] == 6 and again["report"]["batch"] is None

    undone = await client.post(f"/api/v1/history/batches/{report['batch']}/undo", headers=bearer(people.admin))
    assert undone.status_code == 200 and undone.json()["undone_by"] == "admin"
    assert (await client.get(DECEMBER, headers=bearer(people.admin))).json()["cameras"] == 0
    twice = await client.post(f"/api/v1/history/batches/{report['batch']}/undo", headers=bearer(people.admin))
    assert twice.status_code == 409 and "was undone" in twice.json()["detail"]
    missing = await client.get("/api/v1/history/batches/999999", headers=bearer(people.admin))
    assert missing.status_code == 404


async def test_a_dry_run_job_reports_and_writes_nothing(client, people):
    await camera(1), await camera(2)
    job = await finished(client, people.admin, (await start(client, people.admin, MONTH, "?dry_run=true")).json())
    assert job["state"] == "done" and job["dry_run"] is True
    assert job["report"]["summary"]["records"] == 6 and job["report"]["summary"]["written"] is False
    assert (await client.get("/api/v1/history/batches", headers=bearer(people.admin))).json() == []


async def test_only_the_office_may_import_list_or_undo(client, people):
    for token in (people.auditor, people.contractor_a):
        assert (await start(client, token, MONTH)).status_code == 403
        assert (await client.get("/api/v1/history/batches", headers=bearer(token))).status_code == 403
        assert (await client.post("/api/v1/history/batches/1/undo", headers=bearer(token))).status_code == 403


async def test_bad_files_and_rows_are_clear_answers_never_a_500(client, people):
    await camera(1)
    rejected = await finished(client, people.admin, (await start(
        client, people.admin, f"设备编码,状态,开始时间,结束时间\n{GB1},在线,2025-12-02,2025-12-01\n")).json())
    assert rejected["state"] == "rejected"
    assert rejected["report"]["rows"][0]["errors"][0]["kind"] == "not_after_from"
    failed = await finished(client, people.admin, (await start(client, people.admin, "名称\n甲\n")).json())
    assert failed["state"] == "failed" and "no header row" in failed["error"]["detail"]
    assert failed["error"]["errors"][0]["field"] == "file"
    bad_tz = await start(client, people.admin, MONTH, "?tz=moon")
    assert bad_tz.status_code == 400 and bad_tz.json()["errors"][0]["field"] == "tz"
    bad_kind = await start(client, people.admin, MONTH, "?kind=tickets")
    assert bad_kind.status_code == 400 and bad_kind.json()["errors"][0]["field"] == "kind"
    no_file = await client.post("/api/v1/history/import", headers=bearer(people.admin), files={"other": ("x", b"1")})
    assert no_file.status_code == 400 and no_file.json()["errors"][0]["field"] == "data"
    assert (await client.get("/api/v1/history/batches?kind=tickets", headers=bearer(people.admin))).status_code == 400
