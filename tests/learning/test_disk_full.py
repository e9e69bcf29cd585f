"""Disk full (issue 14, item 5), on a small tmpfs the test mounts and unmounts (skipped where
mounting is not allowed): a save that does not fit raises an error naming the logdir and the
bytes needed, the state file stays on the last complete checkpoint, training resumes once
space is freed without rewriting the checkpoint it restored, and retention frees the oldest
checkpoint before a save would exceed ``max_to_keep`` on disk."""

from __future__ import annotations

import os
import shutil
import subprocess

import numpy as np
import pytest
import tensorflow as tf
from _train_utils import build_mlp, checkpoint_steps

import kslim as slim
from kslim import checkpoints


@pytest.fixture
def small_disk(tmp_path):
    """A 2 MiB tmpfs at ``tmp_path/disk``."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root and mount(8)")
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def _fill(directory, leave: int = 0):
    """Fills the filesystem of ``directory`` until ``leave`` bytes are free; returns the file."""
    filler = os.path.join(directory, "filler")
    free = shutil.disk_usage(directory).free
    with open(filler, "wb") as f:
        try:
            f.write(b"\0" * max(0, free - leave))
            f.flush()
        except OSError:
            pass
    return filler


def _train(logdir, steps, init_fn=None):
    with slim.Graph().as_default():
        train_op, _ = build_mlp()
        slim.learning.train(
            train_op,
            str(logdir),
            number_of_steps=steps,
            init_fn=init_fn,
            log_every_n_steps=0,
            save_summaries_secs=None,
            save_interval_secs=0,
        )
    return int(train_op.optimizer.iterations.numpy())


def test_full_disk_save_fails_clearly_and_training_resumes_once_space_is_freed(small_disk):
    logdir = small_disk / "logdir"
    calls = []
    assert _train(logdir, 5, init_fn=calls.append) == 5
    assert checkpoint_steps(str(logdir)) == [0, 5]
    filler = _fill(small_disk)
    # The restart restores model.ckpt-5 without rewriting it (there is no room), trains,
    # and its final save does not fit.
    with pytest.raises(checkpoints.CheckpointSaveError) as info:
        _train(logdir, 8, init_fn=calls.append)
    message = str(info.value)
    assert str(logdir) in message and "model.ckpt-8" in message
    assert "bytes" in message and "no space left" in message
    assert checkpoints.latest_checkpoint(str(logdir)) == str(logdir / "model.ckpt-5")
    assert checkpoints.checkpoint_problem(str(logdir / "model.ckpt-5")) is None
    assert not [n for n in os.listdir(logdir) if n.startswith((".tmp-ckpt-", ".checkpoint.tmp"))]
    os.remove(filler)
    assert _train(logdir, 8, init_fn=calls.append) == 8
    assert len(calls) == 1
    assert checkpoint_steps(str(logdir)) == [0, 5, 8]


def test_retention_frees_the_oldest_checkpoint_before_the_save(small_disk):
    logdir = small_disk / "ckpts"
    manager = checkpoints.CheckpointManager(str(logdir), max_to_keep=2)
    variables = {"w": tf.Variable(np.ones([32768], np.float32))}  # 128 KiB per checkpoint
    manager.save(variables, 1)
    used = shutil.disk_usage(small_disk).used
    manager.save(variables, 2)
    size = shutil.disk_usage(small_disk).used - used
    # Less room than one more checkpoint: the save fits only if model.ckpt-1 goes first.
    _fill(small_disk, leave=size // 3)
    manager.save(variables, 3)
    manager.save(variables, 4)
    assert checkpoint_steps(str(logdir)) == [3, 4]
    state = tf.train.get_checkpoint_state(str(logdir))
    assert [os.path.basename(p) for p in state.all_model_checkpoint_paths] == [
        "model.ckpt-3",
        "model.ckpt-4",
    ]
