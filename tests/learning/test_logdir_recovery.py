"""Logdirs that heal (issue 14, items 2 and 3): a damaged newest checkpoint or state file is
moved aside / rebuilt with a warning and training resumes from the newest intact checkpoint;
init_fn runs only when no intact checkpoint exists; leftovers of interrupted saves are removed;
max_to_keep holds on disk."""

from __future__ import annotations

import glob
import logging
import os
import shutil

import numpy as np
import pytest
import tensorflow as tf
from _train_utils import build_mlp, checkpoint_steps

import kslim as slim
from kslim import checkpoints

DATA = "data-00000-of-00001"


def _train(logdir, steps, init_fn=None, **kwargs):
    with slim.Graph().as_default():
        train_op, _ = build_mlp()
        slim.learning.train(
            train_op,
            str(logdir),
            number_of_steps=steps,
            init_fn=init_fn,
            log_every_n_steps=0,
            save_summaries_secs=None,
            **kwargs,
        )
    return int(train_op.optimizer.iterations.numpy())


@pytest.fixture(scope="module")
def trained_logdir(tmp_path_factory):
    """A logdir with model.ckpt-0, -3, -6 (three runs to 3, 6; listed in the state file)."""
    logdir = tmp_path_factory.mktemp("trained")
    _train(logdir, 3)
    _train(logdir, 6)
    assert checkpoint_steps(str(logdir)) == [0, 3, 6]
    return logdir


def _copy(src, tmp_path):
    dst = tmp_path / "logdir"
    shutil.copytree(src, dst)
    return dst


def _truncate(path, keep: float = 0.5):
    size = os.path.getsize(path)
    with open(path, "r+b") as f:
        f.truncate(int(size * keep))


def _flip_byte(path):
    with open(path, "r+b") as f:
        data = bytearray(f.read())
        data[len(data) // 2] ^= 0xFF
        f.seek(0)
        f.write(bytes(data))


DAMAGE = {
    "truncated_data": lambda d: _truncate(d / f"model.ckpt-6.{DATA}"),
    "deleted_index": lambda d: os.remove(d / "model.ckpt-6.index"),
    "deleted_data": lambda d: os.remove(d / f"model.ckpt-6.{DATA}"),
    "flipped_data_byte": lambda d: _flip_byte(d / f"model.ckpt-6.{DATA}"),
    "truncated_index": lambda d: _truncate(d / "model.ckpt-6.index"),
}


@pytest.mark.parametrize("case", sorted(DAMAGE))
def test_damaged_newest_checkpoint_is_moved_aside_and_training_resumes_from_older(
    case, trained_logdir, tmp_path, caplog
):
    logdir = _copy(trained_logdir, tmp_path)
    DAMAGE[case](logdir)
    calls = []
    with caplog.at_level(logging.INFO, logger="kslim"):
        step = _train(logdir, 9, init_fn=calls.append)
    assert calls == [], "init_fn ran although an intact checkpoint exists"
    assert step == 9
    text = caplog.text
    assert "model.ckpt-3 at global step 3" in text, text[-3000:]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("model.ckpt-6" in w and "damaged" in w for w in warnings), warnings
    aside = glob.glob(str(logdir / "model.ckpt-6.corrupt-*"))
    assert len(aside) == 1 and os.path.isdir(aside[0])
    assert "model.ckpt-6" in open(os.path.join(aside[0], "REASON")).read()
    # Nothing deleted: the surviving damaged files are in the folder.
    assert any(n.startswith("model.ckpt-6.") for n in os.listdir(aside[0]))
    assert checkpoint_steps(str(logdir)) == [0, 3, 9]
    assert checkpoints.latest_checkpoint(str(logdir)).endswith("model.ckpt-9")


@pytest.mark.parametrize(
    "content", ["garbage \x00\x01 not a proto {{{", ""], ids=["garbage", "empty"]
)
def test_damaged_state_file_is_rebuilt_from_index_files(content, trained_logdir, tmp_path, caplog):
    logdir = _copy(trained_logdir, tmp_path)
    (logdir / "checkpoint").write_text(content)
    calls = []
    with caplog.at_level(logging.INFO, logger="kslim"):
        step = _train(logdir, 8, init_fn=calls.append)
    assert calls == [] and step == 8
    assert "model.ckpt-6 at global step 6" in caplog.text
    assert any(
        "state file" in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records
    )
    state = tf.train.get_checkpoint_state(str(logdir))
    assert [os.path.basename(p) for p in state.all_model_checkpoint_paths] == [
        "model.ckpt-0",
        "model.ckpt-3",
        "model.ckpt-6",
        "model.ckpt-8",
    ]


def test_fresh_start_and_init_fn_only_when_no_intact_checkpoint(trained_logdir, tmp_path):
    logdir = _copy(trained_logdir, tmp_path)
    for step in (0, 3, 6):
        _truncate(logdir / f"model.ckpt-{step}.{DATA}")
    calls = []
    assert _train(logdir, 2, init_fn=calls.append) == 2
    assert len(calls) == 1
    assert len(glob.glob(str(logdir / "model.ckpt-*.corrupt-*"))) == 3
    assert checkpoint_steps(str(logdir)) == [0, 2]


def test_evaluation_loop_skips_damaged_checkpoint_with_warning(trained_logdir, tmp_path, caplog):
    logdir = _copy(trained_logdir, tmp_path)
    _truncate(logdir / f"model.ckpt-6.{DATA}")
    with slim.Graph().as_default():
        _, end_points = build_mlp()
        value, update = slim.metrics.streaming_mean(end_points["logits"])
        with caplog.at_level(logging.WARNING, logger="kslim"):
            result = slim.evaluation.evaluation_loop(
                "",
                str(logdir),
                str(tmp_path / "eval"),
                num_evals=1,
                eval_op=update,
                final_op=value,
                eval_interval_secs=0,
                timeout=1,
            )
    # The intact model.ckpt-3 is older than the damaged newest one: the loop waited for a
    # new checkpoint and timed out.
    assert result is None
    assert any(
        "Skipping damaged checkpoint" in r.getMessage() and "model.ckpt-6" in r.getMessage()
        for r in caplog.records
    )


# ----------------------------------------------------- CheckpointManager on its own


def _variables(value: float = 1.0):
    return {"w": tf.Variable(np.full([64], value, np.float32)), "global_step": tf.Variable(0)}


def test_tmp_folders_of_interrupted_saves_are_removed_on_recover_and_never_counted(tmp_path):
    manager = checkpoints.CheckpointManager(str(tmp_path))
    manager.save(_variables(), 1)
    leftover = tmp_path / ".tmp-ckpt-abc123"
    leftover.mkdir()
    (leftover / "model.ckpt-2.index").write_bytes(b"partial")
    (tmp_path / ".checkpoint.tmp-deadbeef").write_text("partial")
    latest = checkpoints.CheckpointManager(str(tmp_path)).recover()
    assert latest == str(tmp_path / "model.ckpt-1")
    assert not leftover.exists() and not (tmp_path / ".checkpoint.tmp-deadbeef").exists()


def test_checkpoint_missing_from_state_file_is_adopted_as_latest(tmp_path):
    manager = checkpoints.CheckpointManager(str(tmp_path))
    manager.save(_variables(1.0), 1)
    state = (tmp_path / "checkpoint").read_text()
    manager.save(_variables(2.0), 2)
    (tmp_path / "checkpoint").write_text(state)  # killed after the rename, before the state
    latest = checkpoints.CheckpointManager(str(tmp_path)).recover()
    assert latest == str(tmp_path / "model.ckpt-2")
    state = tf.train.get_checkpoint_state(str(tmp_path))
    assert [os.path.basename(p) for p in state.all_model_checkpoint_paths] == [
        "model.ckpt-1",
        "model.ckpt-2",
    ]


def test_unlisted_old_checkpoints_are_pruned_by_max_to_keep(tmp_path):
    manager = checkpoints.CheckpointManager(str(tmp_path), max_to_keep=None)
    for step in range(1, 6):
        manager.save(_variables(), step)
    (tmp_path / "checkpoint").unlink()
    checkpoints.CheckpointManager(str(tmp_path), max_to_keep=2).recover()
    assert checkpoint_steps(str(tmp_path)) == [4, 5]


def test_max_to_keep_holds_on_disk_during_saves(tmp_path, monkeypatch):
    manager = checkpoints.CheckpointManager(str(tmp_path), max_to_keep=2)
    on_disk = []
    real = checkpoints.save_variables

    def spy(prefix, variables):
        on_disk.append(len(glob.glob(str(tmp_path / "model.ckpt-*.index"))))
        return real(prefix, variables)

    # CheckpointManager.save calls the save_variables of kslim.checkpoints.manager.
    monkeypatch.setattr(checkpoints.manager, "save_variables", spy)
    for step in range(1, 6):
        manager.save(_variables(), step)
    # Before each save at most max_to_keep - 1 others remain, so after it max_to_keep.
    assert max(on_disk) == 1
    assert checkpoint_steps(str(tmp_path)) == [4, 5]


def test_checkpoint_problem_names_the_damaged_file(tmp_path):
    prefix = str(tmp_path / "model.ckpt-1")
    checkpoints.save_variables(prefix, _variables())
    assert checkpoints.checkpoint_problem(prefix) is None
    _flip_byte(tmp_path / f"model.ckpt-1.{DATA}")
    problem = checkpoints.checkpoint_problem(prefix)
    assert problem and f"model.ckpt-1.{DATA}" in problem
    with pytest.raises(checkpoints.CorruptCheckpointError, match="model.ckpt-1"):
        checkpoints.read_checkpoint(prefix)


@pytest.mark.slow
def test_kslim_train_and_eval_recover_from_a_damaged_newest_checkpoint(tmp_path, caplog, capsys):
    from kslim import cli

    train_dir = str(tmp_path / "run")
    common = ["--train-dir", train_dir, "--log-every-n-steps", "100", "--seed", "1"]
    assert cli.main(["train", *common, "--max-number-of-steps", "2"]) == 0
    assert cli.main(["train", *common, "--max-number-of-steps", "4"]) == 0
    _truncate(os.path.join(train_dir, f"model.ckpt-4.{DATA}"))
    capsys.readouterr()
    with caplog.at_level(logging.INFO, logger="kslim"):
        assert cli.main(["eval", "--checkpoint-path", train_dir, "--max-num-batches", "2"]) == 0
    assert f"evaluated {os.path.join(train_dir, 'model.ckpt-2')}" in capsys.readouterr().out
    assert "Skipping damaged checkpoint" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="kslim"):
        assert cli.main(["train", *common, "--max-number-of-steps", "6"]) == 0
    assert "model.ckpt-2 at global step 2" in caplog.text
    assert glob.glob(os.path.join(train_dir, "model.ckpt-4.corrupt-*"))
    assert checkpoint_steps(train_dir)[-1] == 6
