"""SIGKILL a training process mid-run, rerun the same command: it resumes from the last
checkpoint and stops exactly at ``number_of_steps``."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import tensorflow as tf

REPO = Path(__file__).resolve().parents[2]

_SCRIPT = textwrap.dedent(
    """
    import logging, sys, time
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
    import keras, numpy as np, tensorflow as tf
    import kslim as slim

    logdir, steps = sys.argv[1], int(sys.argv[2])

    class Slow(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            time.sleep(0.02)

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 64)]
    with slim.Graph().as_default():
        images, labels = slim.data.inputs(
            tf.data.Dataset.from_tensor_slices((x, y)).repeat().batch(8))
        net = slim.fully_connected(images, 8, scope="fc1")
        net = slim.fully_connected(net, 3, activation_fn=None, scope="fc2")
        slim.losses.softmax_cross_entropy(net, labels)
        train_op = slim.learning.create_train_op(
            slim.losses.get_total_loss(), tf.compat.v1.train.RMSPropOptimizer(0.001, 0.9))
        loss = slim.learning.train(train_op, logdir, number_of_steps=steps,
                                   save_interval_secs=0.5, log_every_n_steps=1,
                                   max_steps_per_chunk=1, callbacks=[Slow()])
    print("final loss", loss, flush=True)
    """
)


def _checkpoints(logdir: Path) -> int:
    state = tf.train.get_checkpoint_state(str(logdir)) if logdir.is_dir() else None
    return len(state.all_model_checkpoint_paths) if state else 0


def _kill_after_checkpoints(cmd, logdir: Path, wanted: int, timeout: float = 120) -> None:
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    try:
        deadline = time.time() + timeout
        while _checkpoints(logdir) < wanted:
            assert proc.poll() is None, "training ended before it could be killed"
            assert time.time() < deadline, "no checkpoints before the deadline"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL


def _step(prefix: str) -> int:
    return int(prefix.rsplit("-", 1)[1])


def _check_resumed(output: str, killed_at: int, number_of_steps: int, logdir: Path) -> None:
    assert f"model.ckpt-{killed_at} at global step {killed_at}" in output, output[-2000:]
    steps = [int(s) for s in re.findall(r"^global step (\d+): loss = ", output, re.M)]
    assert steps and steps[0] == killed_at + 1 and steps[-1] == number_of_steps, steps
    latest = tf.train.latest_checkpoint(str(logdir))
    assert _step(latest) == number_of_steps
    reader = tf.train.load_checkpoint(latest)
    assert int(reader.get_tensor("global_step")) == number_of_steps


# Two fresh TF processes: ~20 s idle, 40+ s on a busy 2-core machine.
def test_sigkill_mid_run_then_rerun_resumes_and_stops_exactly(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(_SCRIPT)
    logdir = tmp_path / "logdir"
    steps = 400
    cmd = [sys.executable, str(script), str(logdir), str(steps)]
    _kill_after_checkpoints(cmd, logdir, wanted=3)
    killed_at = _step(tf.train.latest_checkpoint(str(logdir)))
    assert 0 < killed_at < steps
    rerun = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    _check_resumed(rerun.stdout + rerun.stderr, killed_at, steps, logdir)


@pytest.mark.slow
def test_sigkill_lenet_example_then_rerun_resumes_and_stops_exactly(tmp_path):
    logdir = tmp_path / "lenet"
    steps = 250
    cmd = [
        sys.executable,
        str(REPO / "examples" / "train_lenet.py"),
        "--logdir",
        str(logdir),
        "--number-of-steps",
        str(steps),
        "--save-interval-secs",
        "1",
        "--log-every-n-steps",
        "1",
    ]
    _kill_after_checkpoints(cmd, logdir, wanted=2, timeout=300)
    killed_at = _step(tf.train.latest_checkpoint(str(logdir)))
    assert 0 < killed_at < steps
    rerun = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    _check_resumed(rerun.stdout + rerun.stderr, killed_at, steps, logdir)
