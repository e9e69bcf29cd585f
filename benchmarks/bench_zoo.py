"""Zoo-sized nets: kslim ``learning.train`` vs tf_slim ``learning.train`` vs Keras ``fit``.

Each contender trains each net in its own fresh process (``_zoo_contenders.py`` says what
each does): ``resnet_v1_50`` (96x96, batch 8), ``inception_v3`` (107x107, batch 4) and
``mobilenet_v1`` (128x128, batch 16), NHWC, against ``keras.applications`` ``ResNet50``,
``InceptionV3`` and ``MobileNet`` (``weights=None``), plus kslim with ``jit_compile=True``.
Contenders are interleaved within each repeat, so a burst of load hits all of them; each
figure is the median of the repeats with min and max.

Targets (issue 12): steps/s kslim >= 1.0x tf_slim and >= 0.95x Keras; peak RSS kslim <= 1.1x
Keras; the XLA ratio kslim_xla / kslim is reported.

Usage::

    python benchmarks/bench_zoo.py [--nets ...] [--contenders ...] [--repeats 3]
        [--steps N] [--warmup W] [--quick] [--json OUT.json]

``--quick`` (a smoke test, or CPU CI): small images (resnet 64, inception 75, mobilenet
64), batch 2, 2+2 steps, one run, no JSON unless ``--json``. Exit status 1 when a
contender fails.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(_HERE))

from _bench_util import fmt, ratio, run_json_process, stats, write_report  # noqa: E402
from _zoo_contenders import CONTENDERS, NETS  # noqa: E402

DEFAULT_JSON = _HERE / "results" / "bench_zoo.json"
QUICK_SIZES = {"resnet_v1_50": 64, "inception_v3": 75, "mobilenet_v1": 64}
# (numerator, denominator, metric, minimum or None, maximum or None)
TARGETS = [
    ("kslim", "tf_slim", "steps_per_sec", 1.0, None),
    ("kslim", "keras", "steps_per_sec", 0.95, None),
    ("kslim", "keras", "peak_rss_mb", None, 1.1),
    ("kslim_xla", "kslim", "steps_per_sec", None, None),
]
METRICS = ("steps_per_sec", "cpu_steps_per_sec", "time_to_first_step_s", "peak_rss_mb")


def summarize(runs: dict[tuple[str, str], list[dict]]) -> dict:
    """``{net: {contender: {metric: stats}}}`` over the runs."""
    table: dict = {}
    for (net, contender), results in runs.items():
        row = {m: stats([r.get(m) for r in results]) for m in METRICS}
        row["final_loss"] = [r.get("final_loss") for r in results]
        if "log_lines" in results[0]:
            row["log_lines"] = results[0]["log_lines"]
            row["expected_log_lines"] = results[0]["warmup_steps"] + results[0]["measured_steps"]
        table.setdefault(net, {})[contender] = row
    return table


def check_targets(table: dict) -> list[dict]:
    """Each net's ratios against the targets (wall clock; CPU-time ratio alongside)."""
    checks = []
    for net, rows in table.items():
        for num, den, metric, lo, hi in TARGETS:
            if num not in rows or den not in rows:
                continue
            value = ratio(rows[num][metric], rows[den][metric])
            if value is None:
                continue
            check = {
                "workload": net,
                "metric": metric,
                "ratio": f"{num}/{den}",
                "value": value,
                "target": f">= {lo}" if lo is not None else (f"<= {hi}" if hi else "reported"),
                "met": (lo is None or value >= lo) and (hi is None or value <= hi),
            }
            if metric == "steps_per_sec":
                check["cpu_time_ratio"] = ratio(
                    rows[num]["cpu_steps_per_sec"], rows[den]["cpu_steps_per_sec"]
                )
            checks.append(check)
    return checks


def format_report(table: dict, checks: list[dict]) -> str:
    """The table (median [min-max]) and the target lines as text."""
    lines = [f"{'net':13} {'contender':10} {'steps/s':>22} {'steps/cpu-s':>22} {'peak MB':>8}"]
    for net, rows in table.items():
        for contender in CONTENDERS:
            if contender in rows:
                r = rows[contender]
                lines.append(
                    f"{net:13} {contender:10} {fmt(r['steps_per_sec'], 2):>22} "
                    f"{fmt(r['cpu_steps_per_sec'], 2):>22} {r['peak_rss_mb']['median']:8.0f}"
                )
    lines.append("")
    lines.append("targets (medians; wall clock, then per CPU second):")
    for c in checks:
        cpu = c.get("cpu_time_ratio")
        cpu_text = f" (cpu-time ratio {cpu:.2f})" if cpu is not None else ""
        verdict = "reported" if c["target"] == "reported" else ("MET" if c["met"] else "MISSED")
        lines.append(
            f"  {c['workload']:13} {c['metric']:14} {c['ratio']:16} {c['value']:6.2f} "
            f"{c['target']:8} {verdict}{cpu_text}"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nets", nargs="+", choices=tuple(NETS), default=list(NETS))
    parser.add_argument("--contenders", nargs="+", choices=CONTENDERS, default=list(CONTENDERS))
    parser.add_argument("--repeats", type=int, default=None, help="default 3 (1 with --quick)")
    parser.add_argument("--steps", type=int, default=None, help="measured steps (default 20)")
    parser.add_argument("--warmup", type=int, default=None, help="warm-up steps (default 3)")
    parser.add_argument("--quick", action="store_true", help="small sizes, few steps, one run")
    parser.add_argument("--json", default=None, help=f"results file (default {DEFAULT_JSON.name})")
    args = parser.parse_args(argv if argv is not None else sys.argv[1:])
    for name in ("repeats", "steps", "warmup"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name} must be >= 1, got {value}")
    repeats = args.repeats or (1 if args.quick else 3)
    steps = args.steps or (2 if args.quick else 20)
    warmup = args.warmup or (2 if args.quick else 3)
    json_path = Path(args.json) if args.json else (None if args.quick else DEFAULT_JSON)
    started = time.time()
    runs: dict[tuple[str, str], list[dict]] = {}
    with tempfile.TemporaryDirectory(prefix="bench_zoo_") as tmp:
        for repeat in range(repeats):
            for net in args.nets:
                for contender in args.contenders:
                    stem = Path(tmp) / f"{net}_{contender}_{repeat}"
                    cmd = [
                        str(_HERE / "_zoo_contenders.py"),
                        contender,
                        net,
                        "--steps",
                        str(steps),
                        "--warmup",
                        str(warmup),
                        "--out",
                        f"{stem}.json",
                    ]
                    if args.quick:
                        cmd += ["--image-size", str(QUICK_SIZES[net]), "--batch-size", "2"]
                    log = Path(f"{stem}.log")
                    try:
                        result = run_json_process(cmd, Path(f"{stem}.json"), log)
                    except RuntimeError as e:
                        print(e, file=sys.stderr)
                        return 1
                    if contender != "keras":
                        text = log.read_text(errors="replace").splitlines()
                        result["log_lines"] = sum("global step " in x for x in text)
                    runs.setdefault((net, contender), []).append(result)
                    print(
                        f"[{repeat + 1}/{repeats}] {net:13} {contender:10} "
                        f"{result['steps_per_sec']:7.2f} steps/s "
                        f"({result['cpu_steps_per_sec']:.2f}/cpu-s), first step "
                        f"{result['time_to_first_step_s']:.1f} s, {result['peak_rss_mb']:.0f} MB",
                        flush=True,
                    )
    table = summarize(runs)
    checks = check_targets(table)
    print()
    print(format_report(table, checks))
    if json_path is not None:
        write_report(
            json_path,
            "bench_zoo.py",
            argv if argv is not None else sys.argv[1:],
            started,
            {"summary": table, "targets": checks, "runs": [r for v in runs.values() for r in v]},
        )
        print(f"\nwrote {json_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
