"""Zoo-sized nets: kslim ``learning.train`` vs tf_slim ``learning.train`` vs Keras ``fit``.

Each contender trains each net in its own fresh process (``_zoo_contenders.py`` says what
each does): ``resnet_v1_50`` (96x96, batch 8), ``inception_v3`` (107x107, batch 4) and
``mobilenet_v1`` (128x128, batch 16), NHWC, against ``keras.applications`` ``ResNet50``,
``InceptionV3`` and ``MobileNet`` (``weights=None``), plus kslim with ``jit_compile=True``.

Per net, the contenders' processes start and warm up one after the other (the earlier ones
waiting), then take turns: each repeat is one measured window of ``--steps`` steps per
contender, one window at a time, the order rotated every repeat, so a burst of load hits
all of them and no two windows share the cores. Rates are the median of the windows with
min and max; time to first step and peak RSS are one figure per process. One process per
contender and net, not per repeat: the contenders' start-up (imports, tracing, XLA
compiles, Keras' first inception_v3 step of 16-21 s) was three quarters of the zoo run when
every repeat was a fresh process.

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

from _bench_util import PausedContender, fmt, ratio, stats, write_report  # noqa: E402
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


def summarize(results: dict[tuple[str, str], dict]) -> dict:
    """``{net: {contender: {metric: stats}}}``: rates over the windows, the rest per process."""
    table: dict = {}
    for (net, contender), result in results.items():
        windows = result["windows"]
        row = {m: stats([w[m] for w in windows]) for m in ("steps_per_sec", "cpu_steps_per_sec")}
        for m in ("time_to_first_step_s", "warmup_s", "peak_rss_mb"):
            row[m] = stats([result.get(m)])
        row["final_loss"] = result.get("final_loss")
        if "log_lines" in result:
            row["log_lines"] = result["log_lines"]
            row["expected_log_lines"] = result["warmup_steps"] + sum(w["steps"] for w in windows)
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


def run_net(
    net: str,
    contenders: list[str],
    repeats: int,
    steps: int,
    warmup: int,
    quick: bool,
    tmp: Path,
) -> dict[str, dict]:
    """Trains ``net`` with each contender, one process each, their windows interleaved.

    Each contender's process starts and warms up in turn, while those started before it
    wait. Then the ``repeats`` windows of ``steps`` steps run one at a time, every contender
    once per repeat (the order rotated each repeat), and the processes finish.

    Returns:
      ``{contender: the process's result}`` (``windows``: one rate dict per repeat).

    Raises:
      RuntimeError: a contender failed or timed out (the others are killed).
    """
    procs: dict[str, PausedContender] = {}
    try:
        for contender in contenders:
            stem = tmp / f"{net}_{contender}"
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
                "--windows",
                str(repeats),
            ]
            if quick:
                cmd += ["--image-size", str(QUICK_SIZES[net]), "--batch-size", "2"]
            procs[contender] = PausedContender(cmd, Path(f"{stem}.json"), Path(f"{stem}.log"))
            ready = procs[contender].next_report()
            print(
                f"{net:13} {contender:10} warmed up: first step {ready['time_to_first_step_s']:.1f}"
                f" s, step {warmup} at {ready['warmup_s']:.1f} s",
                flush=True,
            )
        for repeat in range(repeats):
            shift = repeat % len(contenders)
            for contender in contenders[shift:] + contenders[:shift]:
                procs[contender].go()
                window = procs[contender].next_report()
                print(
                    f"[{repeat + 1}/{repeats}] {net:13} {contender:10} "
                    f"{window['steps_per_sec']:7.2f} steps/s "
                    f"({window['cpu_steps_per_sec']:.2f}/cpu-s)",
                    flush=True,
                )
        results = {}
        for contender, proc in procs.items():
            result = proc.finish()
            if contender != "keras":
                text = proc.log.read_text(errors="replace").splitlines()
                result["log_lines"] = sum("global step " in x for x in text)
            print(f"{net:13} {contender:10} peak RSS {result['peak_rss_mb']:.0f} MB", flush=True)
            results[contender] = result
        return results
    finally:
        for proc in procs.values():
            proc.kill()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nets", nargs="+", choices=tuple(NETS), default=list(NETS))
    parser.add_argument("--contenders", nargs="+", choices=CONTENDERS, default=list(CONTENDERS))
    parser.add_argument("--repeats", type=int, default=None, help="default 3 (1 with --quick)")
    parser.add_argument("--steps", type=int, default=None, help="measured steps (default 20)")
    parser.add_argument("--warmup", type=int, default=None, help="warm-up steps (default 3)")
    parser.add_argument("--quick", action="store_true", help="small sizes, few steps, one run")
    parser.add_argument("--json", default=None, help=f"results file (default {DEFAULT_JSON.name})")
    parser.add_argument("--keep-logs", default=None, help="folder for the contenders' logs")
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
    results: dict[tuple[str, str], dict] = {}
    with tempfile.TemporaryDirectory(prefix="bench_zoo_") as tmp:
        if args.keep_logs:
            tmp = args.keep_logs
            Path(tmp).mkdir(parents=True, exist_ok=True)
        for net in args.nets:
            try:
                for contender, result in run_net(
                    net, args.contenders, repeats, steps, warmup, args.quick, Path(tmp)
                ).items():
                    results[(net, contender)] = result
            except RuntimeError as e:
                print(e, file=sys.stderr)
                return 1
    table = summarize(results)
    checks = check_targets(table)
    print()
    print(format_report(table, checks))
    if json_path is not None:
        write_report(
            json_path,
            "bench_zoo.py",
            argv if argv is not None else sys.argv[1:],
            started,
            {"summary": table, "targets": checks, "runs": list(results.values())},
        )
        print(f"\nwrote {json_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
