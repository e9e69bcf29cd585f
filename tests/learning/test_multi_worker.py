"""learning.train under MultiWorkerMirroredStrategy: two local worker processes on loopback
ports (started here, bounded in time, always killed at the end) train the per-step losses
of one replica on the same global batch; only the chief (worker 0) writes into its logdir;
a killed worker stops the other with WorkerLostError and the rerun resumes from the chief's
last complete checkpoint to the exact number_of_steps."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

RUNNER = Path(__file__).with_name("_multiworker_runner.py")
TIMEOUT = 240


def _free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


class Cluster:
    """Two worker processes of one run; ``finish()`` waits (bounded) and always kills."""

    def __init__(self, tmp_path, run, steps, extra=None):
        self.tmp_path = tmp_path
        ports = _free_ports(2)
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
        env.pop("TF_CONFIG", None)
        self.procs, self.outs = [], []
        for index in (0, 1):
            out = tmp_path / f"run{run}-worker{index}.json"
            cmd = [sys.executable, str(RUNNER), str(index), ",".join(map(str, ports))]
            cmd += [str(tmp_path / f"logdir{index}"), str(out), str(steps)]
            cmd += (extra or {}).get(index, [])
            self.procs.append(
                subprocess.Popen(
                    cmd,
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                    start_new_session=True,
                )
            )
            self.outs.append(out)

    def finish(self):
        """Returns each worker's (returncode, output, seconds since the first ended)."""
        results, ended = [], []
        deadline = time.monotonic() + TIMEOUT
        try:
            for proc in self.procs:
                output, _ = proc.communicate(timeout=max(1, deadline - time.monotonic()))
                ended.append(time.monotonic())
                results.append((proc.returncode, output))
        finally:
            for proc in self.procs:
                if proc.poll() is None:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
        return results, ended

    def result(self, index):
        return json.loads(self.outs[index].read_text())


def _init_calls(path):
    return sorted(path.read_text().split()) if path.exists() else []


def _leftovers(tmp_path):
    return [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_two_worker_processes_train_the_losses_of_one_replica_and_only_the_chief_writes(
    tmp_path,
):
    from tensorboard.backend.event_processing import event_accumulator

    init_log = tmp_path / "init.txt"
    common = ["--init-log", str(init_log), "--evaluate", str(tmp_path / "logdir0")]
    extra = {0: [*common, "--reference"], 1: common}
    cluster = Cluster(tmp_path, 0, 4, extra)
    (rc0, out0), (rc1, out1) = cluster.finish()[0]
    assert rc0 == 0, out0[-4000:]
    assert rc1 == 0, out1[-4000:]
    chief_run, other_run = cluster.result(0), cluster.result(1)
    for got in (chief_run, other_run):
        assert len(got["losses"]) == 4
        np.testing.assert_allclose(got["losses"], chief_run["reference"], rtol=1e-5)
        assert (got["start"], got["end"]) == (0, 4)
    assert other_run["final"] == pytest.approx(chief_run["final"], rel=1e-5)
    # evaluate_once under the cluster's strategy gives the values of a plain evaluation.
    for got in (chief_run, other_run):
        assert set(got["eval"]["without"]) == {"accuracy", "loss"}
        for name, value in got["eval"]["without"].items():
            assert got["eval"]["strategy"][name] == pytest.approx(value, rel=1e-6), name
    # init_fn ran once on every worker's copy (a fresh start).
    assert _init_calls(init_log) == ["0", "1"]
    chief, other = tmp_path / "logdir0", tmp_path / "logdir1"
    assert (chief / "checkpoint").exists() and list(chief.glob("model.ckpt-4.index"))
    assert (chief / "graph.json").exists()
    events = list(chief.glob("events.out.tfevents.*"))
    assert events
    acc = event_accumulator.EventAccumulator(str(events[0]), size_guidance={"tensors": 0})
    acc.Reload()
    assert acc.Tags()["tensors"] or acc.Tags()["scalars"], acc.Tags()
    assert not other.exists() or not [p for p in other.iterdir() if p.name != ".keep"], list(
        other.iterdir()
    )
    # The non-chief's temporary checkpoint folder is gone.
    assert _leftovers(tmp_path) == []
    # Non-chief log lines carry the task id; the chief's do not.
    lines1 = [line for line in out1.splitlines() if "global step" in line]
    assert lines1 and all(line.startswith("worker 1: ") for line in lines1), out1[-2000:]
    lines0 = [line for line in out0.splitlines() if "global step" in line]
    assert lines0 and not any(line.startswith("worker ") for line in lines0), out0[-2000:]


@pytest.mark.slow
def test_a_killed_worker_stops_the_other_and_the_rerun_resumes_to_the_exact_step(tmp_path):
    init_log = tmp_path / "init.txt"
    common = ["--save-secs", "0.01", "--init-log", str(init_log)]
    cluster = Cluster(tmp_path, 0, 6, {0: common, 1: [*common, "--kill-at", "3"]})
    (rc0, out0), (rc1, out1) = cluster.finish()[0]
    assert rc1 == -signal.SIGKILL, out1[-4000:]
    assert rc0 == 3, out0[-4000:]
    error = cluster.result(0)
    assert error["error"] == "WorkerLostError", error
    assert "restart all of them" in error["message"]
    chief = tmp_path / "logdir0"
    saved = sorted(int(p.name.split("-")[1].split(".")[0]) for p in chief.glob("*.index"))
    assert saved and 1 <= saved[-1] <= 4, saved
    assert _init_calls(init_log) == ["0", "1"]

    rerun = Cluster(tmp_path, 1, 6, {0: common, 1: common})
    (rc0, out0), (rc1, out1) = rerun.finish()[0]
    assert rc0 == 0, out0[-4000:]
    assert rc1 == 0, out1[-4000:]
    for index in (0, 1):
        got = rerun.result(index)
        assert (got["start"], got["end"]) == (saved[-1], 6), (index, got)
        assert len(got["losses"]) == 6 - saved[-1]
    # Resuming is no fresh start: init_fn did not run again.
    assert _init_calls(init_log) == ["0", "1"]
    assert list(chief.glob("model.ckpt-6.index"))
    other = tmp_path / "logdir1"
    assert not other.exists() or not [p for p in other.iterdir() if p.name != ".keep"]
    assert _leftovers(tmp_path) == []
