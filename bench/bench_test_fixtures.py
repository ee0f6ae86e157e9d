"""What the integration tests' per-test set-up costs: emptying every table (`clean`), the `people`
fixture and `world.build`, each as one commit per row or table (how the suite did it before) and
as one write transaction (how it does now). Prints wall and CPU milliseconds per set-up.

    python bench/bench_test_fixtures.py --engine sqlite [--rounds 20]
    python bench/bench_test_fixtures.py --engine postgres

Nothing is asserted: the figures are for docs/performance.md ("Test suite time").
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench import common  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", default="sqlite")
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    bench = common.configure(args.engine)
    try:
        rows, title = asyncio.run(run(args.engine, args.rounds))
        common.print_machine(args.engine)  # (it runs its own event loop: not inside run())
        common.print_table(("per test", "wall ms (median)", "CPU ms (median)"), rows, title=title)
    finally:
        common.drop(bench)


async def run(engine: str, rounds: int) -> tuple[list[tuple[str, str, str]], str]:
    # Imported after configure(): they read the ASSETSVC_* environment.
    from assetsvc import db
    from tests.integration import conftest, world

    await common.open_database()
    try:
        async def clean_each() -> None:
            for table in conftest.TABLES:
                await table.delete(force=True).run()

        async def clean_once() -> None:
            async with db.write_transaction():
                for table in conftest.TABLES:
                    await table.delete(force=True).run()

        async def setup_once() -> None:
            await clean_once()
            async with db.write_transaction():
                await conftest.write_people()
            await world.build(*await _contractor_ids())

        async def _contractor_ids() -> tuple[int, int]:
            from assetsvc.registry.tables import Contractor

            rows = await Contractor.select(Contractor.id).order_by(Contractor.id).run()
            return rows[0]["id"], rows[1]["id"]

        async def setup_each_rows() -> None:
            await clean_each()
            await conftest.write_people()
            await world._build(*await _contractor_ids())  # noqa: SLF001

        variants = (("empty tables: a commit per table", clean_each),
                    ("empty tables: one transaction", clean_once),
                    ("empty + people + world: a commit per write", setup_each_rows),
                    ("empty + people + world: a transaction each", setup_once))
        await setup_once()  # the same rows in place before the first timing
        results = {name: [] for name, _ in variants}
        for _ in range(rounds):  # interleaved, so a change in the machine's load hits every variant
            for name, step in variants:
                wall, cpu = time.perf_counter(), time.process_time()
                await step()
                results[name].append((time.perf_counter() - wall, time.process_time() - cpu))
        rows = []
        for name, samples in results.items():
            walls = sorted(s[0] for s in samples)
            cpus = sorted(s[1] for s in samples)
            rows.append((name, f"{walls[len(walls) // 2] * 1000:.1f}", f"{cpus[len(cpus) // 2] * 1000:.1f}"))
        return rows, f"{engine}: {rounds} rounds, load {common.load_now()}, {len(conftest.TABLES)} tables"
    finally:
        await common.close_database()


if __name__ == "__main__":
    main()
