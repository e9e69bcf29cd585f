"""``kslim train/eval --strategy``: mirrored over two logical CPU devices in one process
(train to the exact step, checkpoints in --train-dir, the same accuracy as a plain eval);
multi_worker from TF_CONFIG with two worker processes (slow)."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from kslim.data import datasets

RUNNER = Path(__file__).with_name("_cli_strategy_runner.py")
ENV = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
ENV.pop("TF_CONFIG", None)
ACCURACY = re.compile(r"^eval/Accuracy: (\d\.\d{4})$", re.M)


def _run(out: Path, commands: list[list[str]], env=ENV, timeout=300) -> subprocess.Popen:
    argv = [sys.executable, str(RUNNER), str(out)]
    for command in commands:
        argv += ["--", *command]
    return subprocess.Popen(
        argv,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _finish(procs, timeout=300):
    results = []
    try:
        for proc in procs:
            _, stderr = proc.communicate(timeout=timeout)
            results.append((proc.returncode, stderr))
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    return results


@pytest.fixture(scope="module")
def digits_dir(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("digits")
    datasets.convert_digits(str(path))
    return str(path)


def _train(train_dir, digits_dir, strategy, steps=6):
    return [
        "train", "--train-dir", str(train_dir), "--dataset-dir", digits_dir,
        "--max-number-of-steps", str(steps), "--log-every-n-steps", "1", "--seed", "1",
        "--batch-size", "32", "--strategy", strategy,
    ]  # fmt: skip


def _eval(train_dir, digits_dir, strategy):
    return [
        "eval", "--checkpoint-path", str(train_dir), "--dataset-dir", digits_dir,
        "--eval-dir", str(train_dir / f"eval-{strategy}"), "--strategy", strategy,
        "--batch-size", "32", "--max-num-batches", "2",
    ]  # fmt: skip


def test_cli_mirrored_strategy_trains_to_the_step_and_evaluates_as_without_it(tmp_path, digits_dir):
    train_dir = tmp_path / "run"
    out = tmp_path / "out.json"
    odd_batch = _train(tmp_path / "odd", digits_dir, "mirrored")
    odd_batch[odd_batch.index("--batch-size") + 1] = "33"
    commands = [
        _train(train_dir, digits_dir, "mirrored"),
        _eval(train_dir, digits_dir, "mirrored"),
        _eval(train_dir, digits_dir, "default"),
        odd_batch,
    ]
    [(code, stderr)] = _finish([_run(out, commands)])
    assert code == 0, stderr[-4000:]
    trained, mirrored, plain, odd = json.loads(out.read_text())
    # A global batch the 2 replicas do not divide is refused before anything is built.
    assert odd["code"] == 1
    assert "--batch-size 33 (the global batch) must be a multiple of the 2 replicas" in stderr
    assert trained["code"] == 0, stderr[-4000:]
    assert "to global step 6" in trained["stdout"], trained["stdout"]
    assert "global step 6: loss = " in stderr
    assert (train_dir / "model.ckpt-6.index").exists()
    assert 'model_checkpoint_path: "model.ckpt-6"' in (train_dir / "checkpoint").read_text()
    assert mirrored["code"] == 0 and plain["code"] == 0, stderr[-4000:]
    accuracy = ACCURACY.search(plain["stdout"]).group(1)
    assert ACCURACY.search(mirrored["stdout"]).group(1) == accuracy
    assert "64 examples" in mirrored["stdout"]


def _free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


@pytest.mark.slow
def test_cli_multi_worker_strategy_from_tf_config_trains_with_two_worker_processes(
    tmp_path, digits_dir
):
    ports = _free_ports(2)
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    procs, outs = [], []
    for index in (0, 1):
        env = dict(ENV, KSLIM_RUNNER_DEVICES="1")
        env["TF_CONFIG"] = json.dumps(
            {"cluster": cluster, "task": {"type": "worker", "index": index}}
        )
        out = tmp_path / f"worker{index}.json"
        train_dir = tmp_path / f"run{index}"
        procs.append(_run(out, [_train(train_dir, digits_dir, "multi_worker", 4)], env))
        outs.append(out)
    results = _finish(procs)
    for code, stderr in results:
        assert code == 0, stderr[-4000:]
    for index, out in enumerate(outs):
        [trained] = json.loads(out.read_text())
        assert trained["code"] == 0, results[index][1][-4000:]
        assert "to global step 4" in trained["stdout"]
    assert (tmp_path / "run0" / "model.ckpt-4.index").exists()
    assert not list((tmp_path / "run1").glob("model.ckpt-*"))
    assert "worker 1: global step 4: loss = " in results[1][1]
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith("-tmp")]
