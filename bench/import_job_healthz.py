"""Benchmark: how long /healthz waits while an import job runs (a big dry run, or the XFD sheet).

    python bench/import_job_healthz.py --engine sqlite [--rows 100000] [--xfd]

The app runs on this process's event loop (httpx.ASGITransport), as under uvicorn. One client
starts the import job, another asks /healthz every 50 ms until the job has finished; the figures
are the /healthz latencies. Prints figures; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

import common

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.fakes import sheets  # noqa: E402  (the repository root, for the shared sheet builder)


def xfd_sheet(rows: int) -> bytes:
    """The hostile workbook: every row one cell in the sheet's last column (XFD)."""
    return sheets.workbook(sheets.header_row(["设备编码", "设备名称", "行政区域", "经度", "纬度"])
                           + sheets.xfd_rows(rows))


async def run(data: bytes, filename: str) -> None:
    import httpx

    from assetsvc.accounts.service import issue_token
    from assetsvc.accounts.tables import User
    from assetsvc.api.app import create_app

    await common.open_database()
    await User(username="bench", password_hash="x", role="admin").save().run()
    headers = {"Authorization": f"Bearer {await issue_token('bench', 'api')}"}
    transport = httpx.ASGITransport(app=create_app(manage_db=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        started = time.perf_counter()
        response = await client.post("/api/v1/import?dry_run=true", headers=headers,
                                     files={"data": (filename, data, "application/octet-stream")})
        accepted_in = time.perf_counter() - started
        job = response.json()
        waits, polls = [], []
        while job["state"] in ("queued", "running"):
            t0 = time.perf_counter()
            assert (await client.get("/healthz")).status_code == 200
            waits.append(time.perf_counter() - t0)
            await asyncio.sleep(0.05)
            t0 = time.perf_counter()
            job = (await client.get(f"/api/v1/import/jobs/{job['id']}", headers=headers)).json()
            polls.append(time.perf_counter() - t0)
        took = time.perf_counter() - started
    await common.close_database()
    waits.sort()
    print(f"POST /import answered {response.status_code} in {accepted_in * 1000:.0f} ms; the job "
          f"ended {job['state']} after {took:.1f} s ({job['report']['summary']['rows']:,} rows)")
    print(f"/healthz during the job: {len(waits)} requests; median {waits[len(waits) // 2] * 1000:.1f} ms, "
          f"p99 {waits[int(len(waits) * 0.99)] * 1000:.1f} ms, max {waits[-1] * 1000:.1f} ms")
    polls.sort()
    print(f"GET /import/jobs/{{id}} (token check, one row read): median {polls[len(polls) // 2] * 1000:.0f} ms, "
          f"max {polls[-1] * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--xfd", action="store_true", help="the hostile XFD workbook instead of a real sheet")
    args = parser.parse_args()
    bench = common.configure(args.engine)
    try:
        common.print_machine(args.engine)
        if args.xfd:
            data, name = xfd_sheet(args.rows), "xfd.xlsx"
        else:
            path, _ = common.make_sheet_file(args.rows, "csv", bench.data_dir)
            data, name = path.read_bytes(), path.name
        print(f"\nsheet: {name}, {len(data) / 2**10:.0f} KB, {args.rows:,} rows, dry run")
        asyncio.run(run(data, name))
    finally:
        common.drop(bench)


if __name__ == "__main__":
    main()
