"""Shared helpers of the benchmark scripts: a contender in a fresh process, medians, JSON.

``run_json_process`` runs one contender script (``_contenders.py``, ``_zoo_contenders.py``,
``bench_input_pipeline.py --contender ...``) in its own interpreter and reads the JSON it
writes; ``PausedContender`` runs one that waits between its measured windows, so that
several warmed-up contenders can take turns; ``stats`` is the median with min/max of one
metric over interleaved runs; ``write_report`` writes a results file with the command, the
date and the machine.
"""

from __future__ import annotations

import json
import os
import platform
import select
import statistics
import subprocess
import sys
import time
from pathlib import Path


def run_json_process(
    args: list[str], out: Path, log: Path, timeout: float = 900.0, cwd: Path | None = None
) -> dict:
    """Runs ``python ARGS...`` (which writes JSON to ``out``) and returns that JSON.

    Args:
      args: the script and its arguments (``sys.executable`` is prepended).
      out: the JSON file the process writes.
      log: where its stdout and stderr go.
      timeout: seconds before the process is killed.
      cwd: its working directory (default: this one).

    Returns:
      The decoded JSON.

    Raises:
      RuntimeError: the process failed, timed out or wrote nothing (with its log's tail).
    """
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONUNBUFFERED="1")
    with open(log, "w") as log_file:
        try:
            rc = subprocess.run(
                [sys.executable, *args],
                stdout=log_file,
                stderr=subprocess.STDOUT,
                env=env,
                timeout=timeout,
                check=False,
                cwd=cwd,
            ).returncode
        except subprocess.TimeoutExpired:
            rc = "timeout"
    if rc != 0 or not out.exists():
        tail = log.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"{' '.join(args[:3])} failed (exit {rc}); log {log}:\n{tail}")
    return json.loads(out.read_text())


class PausedContender:
    """A contender process that waits at each window boundary until told to go on.

    The process (``_zoo_contenders.py ... --windows R``) gets the read end of a control
    pipe and the write end of a report pipe (``--control-fd``, ``--report-fd``); it reports
    one JSON line when warmed up and after each window, then waits for ``go``. Its output
    goes to ``log``, its final JSON to ``out``.

    Args:
      args: the script and its arguments (``sys.executable`` is prepended, the two
        ``--*-fd`` options appended).
      out: the JSON file the process writes when it ends.
      log: where its stdout and stderr go.
    """

    def __init__(self, args: list[str], out: Path, log: Path) -> None:
        control_r, control_w = os.pipe()
        report_r, report_w = os.pipe()
        self.args, self.out, self.log = args, out, log
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONUNBUFFERED="1")
        with open(log, "w") as log_file:
            self.proc = subprocess.Popen(
                [sys.executable, *args, "--control-fd", str(control_r), "--report-fd",
                 str(report_w)],
                stdout=log_file,
                stderr=subprocess.STDOUT,
                env=env,
                pass_fds=(control_r, report_w),
            )  # fmt: skip
        os.close(control_r)
        os.close(report_w)
        self._control = os.fdopen(control_w, "w")
        self._report = os.fdopen(report_r, "r")

    def _failure(self, what: str) -> RuntimeError:
        self.kill()
        tail = self.log.read_text(errors="replace")[-3000:]
        name = " ".join(self.args[:3])
        return RuntimeError(f"{name} {what} (exit {self.proc.returncode}); log {self.log}:\n{tail}")

    def next_report(self, timeout: float = 900.0) -> dict:
        """The process's next report line, decoded.

        Raises:
          RuntimeError: it ended or did not report within ``timeout`` seconds (it is killed).
        """
        ready, _, _ = select.select([self._report], [], [], timeout)
        line = self._report.readline() if ready else None
        if not line:
            raise self._failure("ended before reporting" if ready else "timed out")
        return json.loads(line)

    def go(self) -> None:
        """Lets the process run its next window (or, after the last one, finish)."""
        try:
            self._control.write("go\n")
            self._control.flush()
        except BrokenPipeError:
            raise self._failure("ended early") from None

    def finish(self, timeout: float = 900.0) -> dict:
        """Lets the process finish and returns the JSON it wrote.

        Raises:
          RuntimeError: it failed, timed out or wrote nothing.
        """
        self.go()
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise self._failure("timed out finishing") from None
        if rc != 0 or not self.out.exists():
            raise self._failure("failed")
        self._close()
        return json.loads(self.out.read_text())

    def kill(self) -> None:
        """Ends the process now (nothing is read from it after this)."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._close()

    def _close(self) -> None:
        for f in (self._control, self._report):
            try:
                f.close()
            except OSError:
                pass


def stats(values: list[float | None]) -> dict | None:
    """``{"median", "min", "max", "n"}`` of the values that are not None (None if none)."""
    present = [v for v in values if v is not None]
    if not present:
        return None
    return {
        "median": statistics.median(present),
        "min": min(present),
        "max": max(present),
        "n": len(present),
    }


def ratio(num: dict | None, den: dict | None) -> float | None:
    """The ratio of two ``stats`` medians (None when one is missing)."""
    if not num or not den or not den["median"]:
        return None
    return num["median"] / den["median"]


def fmt(s: dict | None, digits: int = 1) -> str:
    """``median [min-max]`` of a ``stats`` dict."""
    if not s:
        return "n/a"
    return f"{s['median']:.{digits}f} [{s['min']:.{digits}f}-{s['max']:.{digits}f}]"


def git_state() -> dict:
    """HEAD and whether the working tree has uncommitted changes to kslim/ (None: no git)."""
    root = Path(__file__).resolve().parent.parent

    def git(*args):
        proc = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
        return proc.stdout.strip() if proc.returncode == 0 else None

    head = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--", "kslim")
    return {"head": head, "kslim_uncommitted_changes": bool(status) if head else None}


def write_report(
    path: Path,
    script: str,
    argv: list[str],
    started: float,
    body: dict,
    load_before: tuple | None = None,
) -> None:
    """Writes ``body`` as JSON with the command, date, duration, git state and machine."""
    path.parent.mkdir(parents=True, exist_ok=True)
    machine = {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }
    if load_before is not None:
        machine["loadavg_before"] = load_before
    machine["loadavg_after"] = os.getloadavg()
    report = {
        "command": f"python benchmarks/{script} " + " ".join(argv),
        "date": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(started)),
        "duration_s": round(time.time() - started, 1),
        "git": git_state(),
        "machine": machine,
        **body,
    }
    path.write_text(json.dumps(report, indent=2) + "\n")
