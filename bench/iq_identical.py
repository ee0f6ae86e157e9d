"""Guard for speed work on the picture check: every Check of every judge, dumped exactly, to diff.

    python bench/iq_identical.py [--root TREE] [--video-every 2] > checks.txt

Runs `iq_synth.evaluate` (judge over each scene's learning, healthy and fault frames with its memory,
still grabs included) on the tuning group's cached scenes (bench_iq_accuracy.generated(4, 1,
SOURCES[0::2], still=True)) and on every `--video-every`-th scene of the video group
(bench_iq_accuracy.video(4, 5), opencv-doc; skipped with a line when absent), with `judge` wrapped
so that every call prints its verdict, faults and each Check: name, value (repr: the exact float),
verdict, threshold and detail, plus the learned baselines' statistics. `--root` is the source tree
whose probes are judged (default: this one), so the same guard runs on main and on a branch:

    python bench/iq_identical.py --root /work/main > /tmp/before.txt
    python bench/iq_identical.py > /tmp/after.txt
    diff /tmp/before.txt /tmp/after.txt     # a change that keeps every value: no output

The scenes are read from the bench's cache under the temp folder (made on the first run).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=str(Path(__file__).resolve().parents[1]))
    parser.add_argument("--video-every", type=int, default=2)
    args = parser.parse_args()
    root = Path(args.root).resolve()
    sys.path.insert(0, str(root))
    spec = importlib.util.spec_from_file_location("bench_iq_accuracy", root / "bench" / "bench_iq_accuracy.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    from probes import iq_memory
    from tests.probes import iq_real, iq_synth

    calls = 0

    def recorded(image, memory=None, *a, **kw):
        nonlocal calls
        judged = iq_memory.judge(image, memory, *a, **kw)
        calls += 1
        d = judged.diagnosis
        print(f"judge {calls} mode {judged.mode} baseline {judged.baseline_used} verdict {d.verdict} "
              f"faults {','.join(d.faults)}")
        for c in d.checks:
            print(f"  {c.name} {c.value!r} {c.verdict} {c.threshold!r} | {c.detail}")
        for m, b in sorted(judged.memory.baselines.items()):
            print(f"  baseline {m} " + " ".join(f"{k}={v!r}" for k, v in sorted(b.stats.items())))
        return judged

    iq_synth.judge = recorded  # evaluate calls judge by this module's name
    print("tuning")
    iq_synth.evaluate(bench.generated(4, 1, iq_synth.SOURCES[0::2], True))
    if iq_real.missing():
        print(f"video: skipped: {iq_real.missing()}")
    else:
        print("video")
        iq_synth.evaluate(bench.video(4, 5)[::max(1, args.video_every)])
    print(f"{calls} judges")


if __name__ == "__main__":
    main()
