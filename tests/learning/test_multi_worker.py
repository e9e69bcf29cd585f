"""learning.train under MultiWorkerMirroredStrategy: two local worker processes on loopback
ports train the per-step losses of one replica on the same global batch; only the chief
(worker 0) writes into its logdir."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
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


def _start(index, ports, tmp_path):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    env.pop("TF_CONFIG", None)
    out = tmp_path / f"worker{index}.json"
    args = [sys.executable, str(RUNNER), str(index), ",".join(map(str, ports))]
    args += [str(tmp_path / f"logdir{index}"), str(out)]
    proc = subprocess.Popen(
        args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    return proc, out


@pytest.mark.slow
def test_two_worker_processes_train_the_losses_of_one_replica_and_only_the_chief_writes(
    tmp_path,
):
    ports = _free_ports(2)
    workers = [_start(i, ports, tmp_path) for i in (0, 1)]
    reference = _start(-1, ports, tmp_path)
    try:
        for proc, _ in [*workers, reference]:
            output, _ = proc.communicate(timeout=TIMEOUT)
            assert proc.returncode == 0, output[-4000:]
    finally:
        for proc, _ in [*workers, reference]:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    one = json.loads(reference[1].read_text())
    for _, out in workers:
        got = json.loads(out.read_text())
        assert len(got["losses"]) == 4
        np.testing.assert_allclose(got["losses"], one["losses"], rtol=1e-5)
        assert got["final"] == pytest.approx(one["final"], rel=1e-5)
    chief, other = tmp_path / "logdir0", tmp_path / "logdir1"
    assert (chief / "checkpoint").exists() and list(chief.glob("model.ckpt-4.index"))
    assert list(chief.glob("events.out.tfevents.*"))
    assert not other.exists() or not [p for p in other.iterdir() if p.name != ".keep"], list(
        other.iterdir()
    )
