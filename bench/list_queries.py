"""Benchmark: filtered camera lists over a 100,000-camera registry, as the API runs them.

    python bench/list_queries.py --engine sqlite [--rows 100000] [--rounds 20] [--no-api]
    python bench/list_queries.py --engine postgres

Loads the registry through import_sheet (a generated CSV), then runs a fixed, seeded mix of
queries through assetsvc.registry.crud.list_records (the function behind GET /api/v1/cameras/)
as the video office (admin) and as one contractor, and prints p50/p95/max per kind of query.
With the API pass (default), a sample of the same queries goes through the HTTP app as well.
Prints figures; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from dataclasses import dataclass, field
from typing import Any

import common

TARGET_P95_MS = 50.0


@dataclass
class Query:
    kind: str
    role: str  # admin | contractor
    params: dict[str, str] = field(default_factory=dict)
    q: str | None = None
    sort: str | None = None
    page: int = 1
    per_page: int = 50

    def url(self) -> str:
        from urllib.parse import urlencode

        args: dict[str, Any] = dict(self.params)
        if self.q:
            args["q"] = self.q
        if self.sort:
            args["sort"] = self.sort
        args.update(page=self.page, per_page=self.per_page)
        return "/api/v1/cameras/?" + urlencode(args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=20, help="queries per kind (default 20)")
    parser.add_argument("--no-api", dest="api", action="store_false", help="skip the HTTP pass")
    args = parser.parse_args()

    # The environment first: assetsvc reads ASSETSVC_* when its modules are imported.
    bench = common.configure(args.engine)
    try:
        common.print_machine(args.engine)
        path, made_in = common.make_sheet_file(args.rows, "csv", bench.data_dir)
        print(f"\nregistry: {args.rows:,} generated cameras ({made_in:.1f} s in a child process)")
        asyncio.run(run(path, args))
    finally:
        common.drop(bench)


async def run(path, args) -> None:
    from assetsvc.accounts.service import Actor
    from assetsvc.registry import crud
    from assetsvc.registry.entities import CAMERA
    from assetsvc.registry.importer import import_sheet
    from assetsvc.registry.tables import Camera, Contractor

    await common.open_database()
    started = time.perf_counter()
    report = await import_sheet(path.read_bytes(), path.name, common.admin_actor(), max_bytes=2**30)
    loaded_in = time.perf_counter() - started
    if report.created != args.rows:
        raise SystemExit(f"load failed: {report.created} created, {report.rejected} rejected")
    del report
    await _analyze(args.engine)
    print(f"loaded through import_sheet in {loaded_in:.1f} s")

    # The contractor with the most cameras: the worst case of a contractor's scoped view.
    counts = {r["contractor"]: r["count"] for r in await Camera.raw(
        "SELECT contractor, COUNT(*) AS count FROM camera GROUP BY contractor").run()}
    contractor_id = max(counts, key=counts.get)
    contractor_name = (await Contractor.select(Contractor.name).where(
        Contractor.id == contractor_id).first().run())["name"]
    actors = {"admin": common.admin_actor(),
              "contractor": Actor(user_id=0, username="bench-contractor", role="contractor",
                                  contractor_id=contractor_id)}
    queries = await _mix(args.rounds, contractor_id)
    print(f"query mix: {len(queries)} queries in {len({q.kind for q in queries})} kinds, seed {common.SEED}; "
          f"contractor view: {contractor_name} ({counts[contractor_id]:,} cameras)")

    async def call(query: Query) -> dict[str, Any]:
        return await crud.list_records(CAMERA, actors[query.role], query.params, q=query.q,
                                       sort=query.sort, page=query.page, per_page=query.per_page)

    # One untimed pass of every kind first, as a server that has been running would be warm.
    for kind in dict.fromkeys(q.kind for q in queries):
        await call(next(q for q in queries if q.kind == kind))
    timings: dict[str, list[float]] = {}
    empty: dict[str, int] = {}
    for query in queries:
        t0 = time.perf_counter()
        found = await call(query)
        timings.setdefault(query.kind, []).append(time.perf_counter() - t0)
        empty[query.kind] = empty.get(query.kind, 0) + (not found["items"])
    q_kinds = {query.kind for query in queries if query.q}
    _report("crud.list_records", timings, empty, args.engine, args.rows, q_kinds)

    if args.api:
        api_timings = await _api_pass(queries, contractor_id)
        _report("HTTP GET /api/v1/cameras/ (app in-process, httpx ASGI transport)", api_timings,
                None, args.engine, args.rows, q_kinds)
    print(f"\nload average at the end: {common.load_now()}")
    await common.close_database()


async def _analyze(engine: str) -> None:
    """PostgreSQL: VACUUM ANALYZE now, as autovacuum does within a minute or so of a large import.

    SQLite is measured as deployed: the service never runs ANALYZE there.
    """
    if engine == "postgres":
        import os

        import asyncpg

        conn = await asyncpg.connect(os.environ["ASSETSVC_DATABASE_URL"])
        try:
            await conn.execute("VACUUM ANALYZE")
        finally:
            await conn.close()


async def _mix(rounds: int, contractor_id: int) -> list[Query]:
    """The seeded query mix: `rounds` queries of each kind."""
    from assetsvc.registry.tables import Camera, Contractor, Owner, Station

    rnd = random.Random(common.SEED)
    stations = [r["id"] for r in await Station.select(Station.id).run()]
    owners = [r["id"] for r in await Owner.select(Owner.id).run()]
    contractors = [r["id"] for r in await Contractor.select(Contractor.id).run()]
    sample = await Camera.select(Camera.gb_id, Camera.name, Camera.address).order_by(Camera.id).run()
    total = len(sample)
    districts = list(common.DISTRICTS)
    sorts = ("name", "-name", "gb_id", "-install_date", "install_date", "-updated_at", "region_code",
             "camera_type", "-point_class")

    def name_word() -> str:
        return rnd.choice(common.ROADS)

    def address_part() -> str:
        address = rnd.choice(sample)["address"]
        return address[len("柳州市"):][:rnd.randint(5, 9)]  # e.g. 柳南区航银路12

    def id_part() -> str:
        gb_id = rnd.choice(sample)["gb_id"]
        return gb_id if rnd.random() < 0.5 else gb_id[rnd.randint(4, 8):][:10]

    def deep_page(per_page: int, count: int) -> int:
        return rnd.randint(max(2, count // per_page // 2), max(2, count // per_page))

    kinds: list[tuple[str, str, Any]] = [
        ("all, page 1", "admin", lambda: Query("", "admin")),
        ("region: district", "admin", lambda: Query("", "admin", {"region": rnd.choice(districts)})),
        ("region: city prefix", "admin", lambda: Query("", "admin", {"region": "450200"},
                                                        page=rnd.randint(1, 5))),
        ("station", "admin", lambda: Query("", "admin", {"station": str(rnd.choice(stations))})),
        ("owner_class (join)", "admin", lambda: Query("", "admin", {
            "owner_class": rnd.choice(("police", "government", "social"))})),
        ("owner", "admin", lambda: Query("", "admin", {"owner": str(rnd.choice(owners))})),
        ("contractor", "admin", lambda: Query("", "admin", {"contractor": str(rnd.choice(contractors))})),
        ("camera_type", "admin", lambda: Query("", "admin", {"camera_type": str(rnd.randint(1, 5))})),
        ("status", "admin", lambda: Query("", "admin", {
            "status": rnd.choice(("active", "under_repair", "decommissioned", "planned"))})),
        ("networked", "admin", lambda: Query("", "admin", {"networked": rnd.choice(("true", "false"))})),
        ("point_class", "admin", lambda: Query("", "admin", {"point_class": str(rnd.randint(1, 4))})),
        ("q: name word", "admin", lambda: Query("", "admin", q=name_word())),
        ("q: address", "admin", lambda: Query("", "admin", q=address_part())),
        ("q: national ID", "admin", lambda: Query("", "admin", q=id_part())),
        ("sort variants", "admin", lambda: Query("", "admin", sort=rnd.choice(sorts),
                                                 page=rnd.randint(1, 3))),
        ("deep page (second half)", "admin", lambda: Query("", "admin", sort=rnd.choice((None, "name", "gb_id")),
                                                               page=deep_page(50, total))),
        ("combined: region+class+networked+q", "admin", lambda: Query("", "admin", {
            "region": rnd.choice(districts), "owner_class": rnd.choice(("police", "social")),
            "networked": "true"}, q=name_word(), sort=rnd.choice((None, "-install_date")))),
        ("per_page 500", "admin", lambda: Query("", "admin", {"region": rnd.choice(districts)},
                                                per_page=500, page=rnd.randint(1, 3))),
        ("contractor: page 1", "contractor", lambda: Query("", "contractor")),
        ("contractor: filters + q", "contractor", lambda: Query("", "contractor", {
            "region": rnd.choice(districts), "status": "active"}, q=name_word(),
            sort=rnd.choice((None, "name")))),
        ("contractor: deep page", "contractor", lambda: Query("", "contractor", sort=rnd.choice((None, "name")),
                                                              page=deep_page(50, total // len(contractors)))),
    ]
    queries = []
    for kind, _, make in kinds:
        for _ in range(rounds):
            query = make()
            query.kind = kind
            queries.append(query)
    rnd.shuffle(queries)  # interleaved, so no kind gets a cache warmed by its own previous run
    return queries


async def _api_pass(queries: list[Query], contractor_id: int) -> dict[str, list[float]]:
    """The same queries through the HTTP app, with real bearer tokens (auth middleware included).

    httpx's ASGI transport runs the app on this event loop; litestar's AsyncTestClient runs it on
    another loop through an anyio portal, where the asyncpg pool (bound to this loop) fails.
    """
    import httpx
    from argon2 import PasswordHasher

    from assetsvc.accounts.service import issue_token
    from assetsvc.accounts.tables import User
    from assetsvc.api.app import create_app

    password_hash = PasswordHasher().hash("bench-password-not-secret")
    await User(username="bench-admin", password_hash=password_hash, role="admin").save().run()
    await User(username="bench-contractor", password_hash=password_hash, role="contractor",
               contractor=contractor_id).save().run()
    tokens = {"admin": await issue_token("bench-admin", "api"),
              "contractor": await issue_token("bench-contractor", "api")}
    timings: dict[str, list[float]] = {}
    transport = httpx.ASGITransport(app=create_app(manage_db=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        def auth(query: Query) -> dict[str, str]:
            return {"Authorization": f"Bearer {tokens[query.role]}"}

        for query in queries[:20]:  # warm-up, untimed
            (await client.get(query.url(), headers=auth(query))).raise_for_status()
        for query in queries:
            t0 = time.perf_counter()
            response = await client.get(query.url(), headers=auth(query))
            elapsed = time.perf_counter() - t0
            response.raise_for_status()
            timings.setdefault(query.kind, []).append(elapsed)
    return timings


def _report(title: str, timings: dict[str, list[float]], empty: dict[str, int] | None,
            engine: str, rows: int, q_kinds: set[str]) -> None:
    table = []
    for kind, values in timings.items():
        p50, p95, worst, _ = common.summary_ms(values)
        line = [kind, len(values), p50, p95, worst]
        if empty is not None:
            line.append(empty[kind])
        table.append(line)
    table.sort(key=lambda r: -r[3])
    everything = [v for values in timings.values() for v in values]
    p50, p95, worst, _ = common.summary_ms(everything)
    total = ["overall", len(everything), p50, p95, worst] + ([sum(empty.values())] if empty else [])
    # Shown beside the overall figure, never instead of it: free-text search is a scan on SQLite.
    plain = [v for kind, values in timings.items() if kind not in q_kinds for v in values]
    q50, q95, qmax, _ = common.summary_ms(plain)
    without_q = ["overall, kinds without free-text q", len(plain), q50, q95, qmax] + (
        [sum(n for kind, n in empty.items() if kind not in q_kinds)] if empty else [])
    header = ["query kind", "n", "p50 ms", "p95 ms", "max ms"] + (["empty pages"] if empty else [])
    common.print_table(header, table + [total, without_q], title=f"{title}, {engine}, {rows:,} cameras")
    over = [r[0] for r in table if r[3] > TARGET_P95_MS]
    verdict = "met" if p95 <= TARGET_P95_MS else "MISSED"
    print(f"target: overall p95 <= {TARGET_P95_MS:.0f} ms: {verdict} ({p95:.1f} ms)"
          + (f"; kinds over {TARGET_P95_MS:.0f} ms at p95: {', '.join(over)}" if over else ""))


if __name__ == "__main__":
    main()
