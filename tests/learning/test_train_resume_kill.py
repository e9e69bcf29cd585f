"""SIGKILL a training process mid-run, rerun the same command: it resumes from the last
checkpoint and stops exactly at ``number_of_steps``. The chaos tests kill it again and again at
random moments (during saves too) and check what is left: complete latest checkpoints, the
exact final step, ``init_fn`` once, and no leftovers."""

from __future__ import annotations

import glob
import os
import random
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
    init_calls = sys.argv[3] if len(sys.argv) > 3 else None

    def init_fn(model):
        if init_calls:
            with open(init_calls, "a") as f:
                f.write("called\\n")

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
                                   max_steps_per_chunk=1, callbacks=[Slow()],
                                   init_fn=init_fn)
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


def _latest(logdir: Path) -> str | None:
    return tf.train.latest_checkpoint(str(logdir)) if logdir.is_dir() else None


def _listed(logdir: Path) -> list[str]:
    state = tf.train.get_checkpoint_state(str(logdir))
    return [os.path.basename(p) for p in state.all_model_checkpoint_paths] if state else []


def _chaos(tmp_path, kills: int, seed: int, steps: int = 400) -> None:
    from kslim.checkpoints import checkpoint_problem

    rng = random.Random(seed)
    script = tmp_path / "train.py"
    script.write_text(_SCRIPT)
    logdir = tmp_path / "logdir"
    calls = tmp_path / "init_fn_calls"
    cmd = [sys.executable, str(script), str(logdir), str(steps), str(calls)]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    for kill in range(kills):
        before = _latest(logdir)
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        try:
            deadline = time.time() + 180
            # Wait for this run's first new checkpoint, then kill at a random moment
            # (saves come every 0.5 s, so some kills land inside one).
            while _latest(logdir) in (None, before):
                assert proc.poll() is None, f"kill {kill}: training ended before it was killed"
                assert time.time() < deadline, f"kill {kill}: no new checkpoint"
                time.sleep(0.02)
            time.sleep(rng.uniform(0.0, 1.5))
            if proc.poll() is not None:
                break  # finished before the kill: the final checks follow
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        latest = tf.train.latest_checkpoint(str(logdir))
        assert latest and checkpoint_problem(latest) is None, f"kill {kill}: {latest} damaged"
        if _step(latest) >= steps:
            break  # killed after its final checkpoint: training is complete
    resumed_from = _step(tf.train.latest_checkpoint(str(logdir))) if _latest(logdir) else 0
    final = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    assert final.returncode == 0, final.stderr[-3000:]
    latest = tf.train.latest_checkpoint(str(logdir))
    # slim runs at least one step even when the logdir is already at number_of_steps (a
    # fast host can finish all the steps between kills): then the rerun adds exactly one.
    assert _step(latest) == (steps if resumed_from < steps else resumed_from + 1)
    assert int(tf.train.load_checkpoint(latest).get_tensor("global_step")) == _step(latest)
    assert calls.read_text().splitlines() == ["called"], "init_fn ran more than once"
    names = sorted(os.listdir(logdir))
    assert not [n for n in names if n.startswith((".tmp-ckpt-", ".checkpoint.tmp-"))], names
    assert not [n for n in names if ".corrupt-" in n], names
    on_disk = sorted(
        os.path.basename(p)[: -len(".index")] for p in glob.glob(str(logdir / "model.ckpt-*.index"))
    )
    data = sorted(
        os.path.basename(p)[: -len(".data-00000-of-00001")]
        for p in glob.glob(str(logdir / "model.ckpt-*.data-00000-of-00001"))
    )
    assert on_disk == data, (on_disk, data)
    assert sorted(_listed(logdir)) == on_disk and len(on_disk) <= 5, (on_disk, _listed(logdir))
    for name in on_disk:
        assert checkpoint_problem(str(logdir / name)) is None, name


# Four fresh TF processes: ~1 min on a busy 2-core machine (the default suite's kill and
# resume check is test_sigkill_mid_run_then_rerun_resumes_and_stops_exactly).
@pytest.mark.slow
def test_three_random_sigkills_leave_complete_checkpoints_and_no_leftovers(tmp_path):
    _chaos(tmp_path, kills=3, seed=14)


@pytest.mark.slow
def test_twelve_random_sigkills_leave_complete_checkpoints_and_no_leftovers(tmp_path):
    _chaos(tmp_path, kills=12, seed=1400)
