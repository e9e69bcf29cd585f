"""Distributed-training benchmark: kslim ``learning.train`` vs Keras ``fit`` under tf.distribute.

Both contenders train the workloads of ``bench_train.py`` (``mlp``: 64-128-128-10, global
batch 64, Adam; ``lenet``: the tutorial's LeNet on 28x28x1, global batch 32,
RMSProp(0.001, 0.9)) on the same tf.data pipeline, with no checkpoints, summaries or log
lines for either (see ``_distributed_contender.py``), under four setups:

* ``single``: no strategy, 1 replica;
* ``mirrored-1``: ``MirroredStrategy`` on one CPU device, 1 replica;
* ``mirrored-2``: ``MirroredStrategy`` over 2 logical CPU devices in one process;
* ``multiworker-2``: ``MultiWorkerMirroredStrategy``, 2 worker processes on loopback ports
  (``TF_CONFIG`` on 127.0.0.1), 1 replica each; the chief's (worker 0's) timings are reported.

Each run is a fresh process (two for ``multiworker-2``), runs interleaved: every repeat
runs every workload, setup and contender once. It prints global steps/s and examples/s
(median of ``--repeats`` runs, with min and max), steps per CPU-second of the (chief's)
process, and the ratios kslim/Keras. A contender that fails (Keras 3's ``fit`` under
``MultiWorkerMirroredStrategy`` does) is reported with its error instead of a number and not
run again in later repeats (``--retry-failed`` runs it every time).

On a 2-core machine the 2-replica setups measure the overhead of the strategy (the
replicas share the same cores), not a speed-up.

Usage::

    python benchmarks/bench_distributed.py [--quick] [--repeats R] [--steps N] [--warmup W]
        [--workloads mlp lenet] [--setups single mirrored-1 mirrored-2 multiworker-2]
        [--contenders kslim keras] [--retry-failed] [--json OUT.json]

Results go to ``benchmarks/results/bench_distributed.json`` (``--quick`` writes only with
``--json``). ``--quick`` runs the MLP for a few steps under ``mirrored-2`` and
``multiworker-2``, both contenders in one process per worker, once (a smoke test). The
exit status is 0 when every run produced a figure or a recorded error; 1 when a process
died or timed out without writing its results.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(_HERE))

from _bench_util import write_report  # noqa: E402
from _contenders import WORKLOADS  # noqa: E402
from _distributed_contender import CONTENDERS, SETUPS  # noqa: E402
from bench_train import _median  # noqa: E402

DEFAULT_JSON = _HERE / "results" / "bench_distributed.json"
# (warm-up steps, measured steps) per workload: full run and --quick.
STEPS = {"mlp": (50, 500), "lenet": (10, 100)}
QUICK_STEPS = {"mlp": (5, 20), "lenet": (2, 5)}
QUICK_SETUPS = ("mirrored-2", "multiworker-2")
_METRICS = ("steps_per_sec", "examples_per_sec", "cpu_steps_per_sec", "time_to_first_step_s")
NOTE = (
    "2-replica setups share the machine's cores with each other: on a 2-core CPU they "
    "measure the strategy's overhead, not a speed-up."
)


def free_ports(n: int) -> list[int]:
    """``n`` currently free TCP ports on 127.0.0.1."""
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def run_setup(
    contenders: list[str],
    workload: str,
    setup: str,
    warmup: int,
    steps: int,
    workdir: Path,
    timeout: float = 600.0,
) -> list[dict]:
    """Runs ``contenders`` (one after another, in one process per worker) under ``setup``.

    Args:
      contenders: names from ``CONTENDERS``.
      workload: one of ``WORKLOADS``.
      setup: one of ``SETUPS``; ``multiworker-2`` starts 2 worker processes.
      warmup: warm-up global steps (excluded from the rates).
      steps: measured global steps.
      workdir: where the result files and the processes' logs go.
      timeout: seconds before the processes are killed.

    Returns:
      One result dict per contender (the chief's for ``multiworker-2``, with every
      worker's rate under ``worker_steps_per_sec``); a failed contender's dict has
      ``error`` instead of rates.

    Raises:
      RuntimeError: a process died or timed out without writing its results (with the
        tail of its log).
    """
    kind, replicas = SETUPS[setup]
    workers = replicas if kind == "multi_worker" else 1
    ports = free_ports(workers) if kind == "multi_worker" else None
    stem = f"{workload}_{setup}_{'+'.join(contenders)}_{time.monotonic_ns()}"
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONUNBUFFERED="1", CUDA_VISIBLE_DEVICES="")
    env.pop("TF_CONFIG", None)
    procs = []
    for index in range(workers):
        out, log = workdir / f"{stem}_w{index}.json", workdir / f"{stem}_w{index}.log"
        cmd = [sys.executable, str(_HERE / "_distributed_contender.py"), ",".join(contenders)]
        cmd += [workload, setup, "--steps", str(steps), "--warmup", str(warmup)]
        cmd += ["--out", str(out)]
        if ports is not None:
            cmd += ["--worker-index", str(index), "--ports", ",".join(map(str, ports))]
        with open(log, "w") as log_file:
            proc = subprocess.Popen(cmd, stdout=log_file, stderr=subprocess.STDOUT, env=env)
        procs.append((proc, out, log))
    deadline = time.monotonic() + timeout
    try:
        for proc, _, _ in procs:
            try:
                proc.wait(timeout=max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                break
    finally:
        for proc, _, _ in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    per_worker = []
    for index, (proc, out, log) in enumerate(procs):
        if not out.exists():
            tail = log.read_text(errors="replace")[-3000:]
            raise RuntimeError(
                f"{setup}/{workload} worker {index} wrote no results "
                f"(exit {proc.returncode}, timeout {timeout:.0f} s); log {log}:\n{tail}"
            )
        per_worker.append(json.loads(out.read_text()))
    results = []
    for i in range(len(contenders)):
        runs = [worker[i] for worker in per_worker]
        failed = [r for r in runs if "error" in r]
        result = dict(failed[0] if failed else runs[0])
        if workers > 1:
            result["workers"] = workers
            result["worker_steps_per_sec"] = [r.get("steps_per_sec") for r in runs]
            result["worker_errors"] = [r.get("error") for r in runs]
        results.append(result)
    return results


def summarize(runs: dict[tuple[str, str, str], list[dict]]) -> list[dict]:
    """One row per workload, setup and contender: median, min and max of each metric."""
    rows = []
    for (workload, setup, contender), results in runs.items():
        row = {
            "workload": workload,
            "setup": setup,
            "contender": contender,
            "replicas": SETUPS[setup][1],
            "global_batch": WORKLOADS[workload]["batch_size"],
        }
        ok = [r for r in results if "error" not in r]
        errors = [r for r in results if "error" in r]
        row["runs"] = len(ok)
        if errors:
            row["error"] = errors[0]["error"]
            row["raised_in"] = errors[0].get("raised_in")
            row["failed_runs"] = len(errors)
        if ok:
            for metric in _METRICS:
                values = [r[metric] for r in ok if r.get(metric) is not None]
                row[metric] = _median(ok, metric)
                row[metric + "_min"] = min(values) if values else None
                row[metric + "_max"] = max(values) if values else None
            row["steps_per_sec_all"] = [round(r["steps_per_sec"], 2) for r in ok]
        rows.append(row)
    return rows


def ratios(rows: list[dict]) -> list[dict]:
    """kslim/Keras per workload and setup (medians; a failed contender is named instead)."""
    by_key = {(r["workload"], r["setup"], r["contender"]): r for r in rows}
    out = []
    for (workload, setup, contender), kslim in by_key.items():
        keras = by_key.get((workload, setup, "keras"))
        if contender != "kslim" or keras is None:
            continue
        entry = {"workload": workload, "setup": setup}
        failed = [(n, r) for n, r in (("kslim", kslim), ("Keras fit", keras)) if not r["runs"]]
        if failed:
            entry["failed"] = [
                f"{name}: fails under {_setup_name(setup)} ({r['error']})" for name, r in failed
            ]
        else:
            entry["steps_per_sec"] = kslim["steps_per_sec"] / keras["steps_per_sec"]
            if kslim["cpu_steps_per_sec"] and keras["cpu_steps_per_sec"]:
                entry["cpu_steps_per_sec"] = kslim["cpu_steps_per_sec"] / keras["cpu_steps_per_sec"]
        out.append(entry)
    return out


def _setup_name(setup: str) -> str:
    kind = SETUPS[setup][0]
    return {"default": "no strategy", "mirrored": "MirroredStrategy"}.get(kind, "MWMS")


def format_report(rows: list[dict], checks: list[dict]) -> str:
    """The results table and the kslim/Keras ratios as text."""
    lines = [
        f"{'workload':8} {'setup':13} {'repl':>4} {'contender':9} "
        f"{'steps/s [min-max]':>26} {'examples/s [min-max]':>29} {'steps/cpu-s':>11} "
        f"{'runs':>4}"
    ]
    for r in rows:
        head = f"{r['workload']:8} {r['setup']:13} {r['replicas']:4d} {r['contender']:9} "
        if not r["runs"]:
            lines.append(head + f"FAILS: {r['error']}")
            continue
        steps = (
            f"{r['steps_per_sec']:.1f} [{r['steps_per_sec_min']:.1f}-{r['steps_per_sec_max']:.1f}]"
        )
        examples = (
            f"{r['examples_per_sec']:.0f} [{r['examples_per_sec_min']:.0f}-"
            f"{r['examples_per_sec_max']:.0f}]"
        )
        cpu = r["cpu_steps_per_sec"]
        lines.append(
            head + f"{steps:>26} {examples:>29} {cpu if cpu is None else round(cpu, 1)!s:>11} "
            f"{r['runs']:4d}"
        )
    lines.append("")
    lines.append("kslim/Keras fit (median steps/s; per CPU-second in parentheses):")
    for c in checks:
        head = f"  {c['workload']:6} {c['setup']:13} "
        if "failed" in c:
            lines.extend(head + f for f in c["failed"])
        else:
            cpu = f" ({c['cpu_steps_per_sec']:.2f})" if "cpu_steps_per_sec" in c else ""
            lines.append(head + f"{c['steps_per_sec']:.2f}{cpu}")
    lines.append("")
    lines.append(NOTE)
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=None, help="measured global steps per run")
    parser.add_argument("--warmup", type=int, default=None, help="warm-up steps (not timed)")
    parser.add_argument("--quick", action="store_true", help="few steps, one run (smoke test)")
    parser.add_argument("--repeats", type=int, default=None, help="runs (default 3, quick 1)")
    parser.add_argument("--workloads", nargs="+", choices=tuple(WORKLOADS), default=None)
    parser.add_argument("--setups", nargs="+", choices=tuple(SETUPS), default=None)
    parser.add_argument("--contenders", nargs="+", choices=CONTENDERS, default=list(CONTENDERS))
    parser.add_argument(
        "--retry-failed", action="store_true", help="rerun a failed contender in every repeat"
    )
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per process")
    parser.add_argument(
        "--json",
        default=None,
        help=f"results file (default {DEFAULT_JSON.relative_to(_HERE.parent)}, none with --quick)",
    )
    args = parser.parse_args(argv)
    for name in ("steps", "warmup", "repeats"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name} must be >= 1, got {value}")
    repeats = args.repeats or (1 if args.quick else 3)
    workloads = args.workloads or (["mlp"] if args.quick else list(WORKLOADS))
    setups = args.setups or list(QUICK_SETUPS if args.quick else SETUPS)
    json_path = Path(args.json) if args.json else (None if args.quick else DEFAULT_JSON)

    runs: dict[tuple[str, str, str], list[dict]] = {}
    failed_in: dict[tuple[str, str, str], int] = {}
    started = time.time()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench_distributed_") as tmp:
        for repeat in range(repeats):
            for workload in workloads:
                warmup, steps = (QUICK_STEPS if args.quick else STEPS)[workload]
                warmup, steps = args.warmup or warmup, args.steps or steps
                for setup in setups:
                    todo = [
                        c
                        for c in args.contenders
                        if args.retry_failed or (workload, setup, c) not in failed_in
                    ]
                    # --quick: all contenders in one process per worker; else one each.
                    groups = [todo] if args.quick and todo else [[c] for c in todo]
                    for group in groups:
                        try:
                            results = run_setup(
                                group, workload, setup, warmup, steps, Path(tmp), args.timeout
                            )
                        except RuntimeError as e:
                            print(e, file=sys.stderr)
                            return 1
                        for result in results:
                            key = (workload, setup, result["contender"])
                            runs.setdefault(key, []).append(result)
                            tag = f"[{repeat + 1}/{repeats}] {workload:5} {setup:13} "
                            tag += f"{result['contender']:5}"
                            if "error" in result:
                                failed_in.setdefault(key, repeat + 1)
                                print(f"{tag} FAILS: {result['error']}", flush=True)
                            else:
                                print(
                                    f"{tag} {result['steps_per_sec']:8.1f} steps/s, "
                                    f"{result['examples_per_sec']:9.0f} examples/s, first "
                                    f"step {result['time_to_first_step_s']:.2f} s",
                                    flush=True,
                                )
    rows = summarize(runs)
    checks = ratios(rows)
    print()
    print(format_report(rows, checks))
    if json_path is not None:
        body = {
            "note": NOTE,
            "summary": rows,
            "ratios_kslim_over_keras": checks,
            "not_rerun_after_failure": {"/".join(k): r for k, r in failed_in.items()}
            if not args.retry_failed
            else {},
            "runs": [r for results in runs.values() for r in results],
        }
        write_report(
            json_path,
            "bench_distributed.py",
            sys.argv[1:] if argv is None else argv,
            started,
            body,
            load_before=load_before,
        )
        print(f"\nwrote {json_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
