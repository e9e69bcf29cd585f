"""Step time vs batch size (8 -> 256): kslim ``learning.train`` vs Keras ``fit``, MLP and LeNet.

The workloads and contenders are those of ``bench_train.py`` (``_contenders.py``: slim's
defaults for kslim, ``compile`` defaults for Keras), with the batch size varied. One fresh
process per (contender, workload) trains every batch size in turn, ``--repeats`` rounds
interleaving the batch sizes; each figure is the median step time (ms) with min and max.

Usage::

    python benchmarks/bench_scaling.py [--batch-sizes 8 32 128 256] [--repeats 3] [--quick]
        [--json OUT.json]

Results go to ``benchmarks/results/bench_scaling.json`` (``--quick``: only with ``--json``).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(_HERE))

from _bench_util import fmt, ratio, run_json_process, stats, write_report  # noqa: E402

DEFAULT_JSON = _HERE / "results" / "bench_scaling.json"
CONTENDERS = ("kslim", "keras")
WORKLOADS = ("mlp", "lenet")
BATCH_SIZES = (8, 32, 128, 256)
# (warm-up, measured) steps per workload: full run and --quick.
STEPS = {"mlp": (50, 400), "lenet": (5, 20)}
QUICK_STEPS = {"mlp": (5, 20), "lenet": (2, 3)}


def run_rounds(contender: str, workload: str, sizes: list[int], repeats: int, quick: bool) -> dict:
    """In this process: ``repeats`` rounds over the batch sizes; ms per step of each run."""
    import _contenders

    warmup, steps = (QUICK_STEPS if quick else STEPS)[workload]
    spec = _contenders.WORKLOADS[workload]
    examples = spec["examples"]
    runs: dict[str, list[dict]] = {str(b): [] for b in sizes}
    for _ in range(repeats):
        for size in sizes:
            spec["batch_size"] = size
            spec["examples"] = max(examples, 4 * size)
            result = _contenders.run(contender, workload, warmup, steps)
            runs[str(size)].append(
                {
                    "ms_per_step": 1000.0 / result["steps_per_sec"],
                    "cpu_ms_per_step": 1000.0 / result["cpu_steps_per_sec"]
                    if result["cpu_steps_per_sec"]
                    else None,
                }
            )
    return runs


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-sizes", nargs="+", type=int, default=list(BATCH_SIZES))
    parser.add_argument("--workloads", nargs="+", choices=WORKLOADS, default=list(WORKLOADS))
    parser.add_argument("--contenders", nargs="+", choices=CONTENDERS, default=list(CONTENDERS))
    parser.add_argument("--repeats", type=int, default=None, help="default 3 (1 with --quick)")
    parser.add_argument("--quick", action="store_true", help="few steps, one round")
    parser.add_argument("--json", default=None, help=f"results file (default {DEFAULT_JSON.name})")
    parser.add_argument(
        "--child", nargs=2, metavar=("CONTENDER", "WORKLOAD"), help=argparse.SUPPRESS
    )
    parser.add_argument("--out", default=None, help=argparse.SUPPRESS)
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    if any(b < 1 for b in args.batch_sizes):
        parser.error(f"--batch-sizes must be >= 1, got {args.batch_sizes}")
    repeats = args.repeats or (1 if args.quick else 3)
    if repeats < 1:
        parser.error(f"--repeats must be >= 1, got {repeats}")
    if args.child:
        runs = run_rounds(*args.child, args.batch_sizes, repeats, args.quick)
        Path(args.out).write_text(json.dumps(runs))
        return 0
    json_path = Path(args.json) if args.json else (None if args.quick else DEFAULT_JSON)
    started = time.time()
    table: dict = {}
    with tempfile.TemporaryDirectory(prefix="bench_scaling_") as tmp:
        for workload in args.workloads:
            for contender in args.contenders:
                out = Path(tmp) / f"{workload}_{contender}.json"
                cmd = [str(Path(__file__).resolve()), "--child", contender, workload]
                cmd += ["--repeats", str(repeats), "--out", str(out), "--batch-sizes"]
                cmd += [str(b) for b in args.batch_sizes] + (["--quick"] if args.quick else [])
                try:
                    runs = run_json_process(cmd, out, out.with_suffix(".log"))
                except RuntimeError as e:
                    print(e, file=sys.stderr)
                    return 1
                table.setdefault(workload, {})[contender] = {
                    size: {
                        "ms_per_step": stats([r["ms_per_step"] for r in values]),
                        "cpu_ms_per_step": stats([r["cpu_ms_per_step"] for r in values]),
                    }
                    for size, values in runs.items()
                }
                print(f"{workload} {contender}: done", flush=True)
    print(f"\n{'workload':8} {'batch':>5} " + " ".join(f"{c + ' ms/step':>24}" for c in CONTENDERS))
    for workload, rows in table.items():
        for size in map(str, args.batch_sizes):
            cells = [
                fmt(rows[c][size]["ms_per_step"], 2) if c in rows else "n/a" for c in CONTENDERS
            ]
            line = f"{workload:8} {size:>5} " + " ".join(f"{c:>24}" for c in cells)
            if all(c in rows for c in CONTENDERS):
                r = ratio(rows["keras"][size]["ms_per_step"], rows["kslim"][size]["ms_per_step"])
                line += f"   kslim speed / Keras {r:.2f}"
            print(line)
    if json_path is not None:
        write_report(json_path, "bench_scaling.py", argv, started, {"ms_per_step": table})
        print(f"\nwrote {json_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
