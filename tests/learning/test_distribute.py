"""kslim.learning.distribute in one process: strategies from their CLI names, the checks
of ``strategy=``, the cluster-argument warnings and the non-chief temporary folder."""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
import tensorflow as tf

import kslim as slim
from kslim.learning import distribute
from tests.learning._train_utils import build_mlp


def test_make_strategy_multi_worker_without_tf_config_names_the_variable(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(ValueError, match="--strategy multi_worker needs the TF_CONFIG"):
        distribute.make_strategy("multi_worker")


def test_make_strategy_multi_worker_with_bad_tf_config_json_says_so(monkeypatch):
    monkeypatch.setenv("TF_CONFIG", "{not json")
    with pytest.raises(ValueError, match="TF_CONFIG is not valid JSON"):
        distribute.make_strategy("multi_worker")


def test_make_strategy_unknown_name_names_the_flag_and_the_choices():
    with pytest.raises(ValueError) as info:
        distribute.make_strategy("tpu")
    assert str(info.value) == (
        "--strategy must be one of default, mirrored, multi_worker, got 'tpu'"
    )


def test_make_strategy_default_and_mirrored_on_one_cpu():
    assert distribute.make_strategy("default") is tf.distribute.get_strategy()
    mirrored = distribute.make_strategy("mirrored")
    assert isinstance(mirrored, tf.distribute.MirroredStrategy)
    assert distribute.is_chief(mirrored) and distribute.task_label(mirrored) is None


def test_train_strategy_that_is_not_a_strategy_is_a_type_error_naming_it():
    with slim.Graph().as_default():
        train_op, _ = build_mlp()
        with pytest.raises(TypeError, match=r"strategy must be a tf.distribute.Strategy or None"):
            slim.learning.train(train_op, None, number_of_steps=1, strategy="mirrored")
    assert int(train_op.optimizer.iterations.numpy()) == 0


def test_train_with_a_strategy_the_train_op_was_not_built_under_names_the_scope():
    mirrored = tf.distribute.MirroredStrategy(["/cpu:0"])
    with slim.Graph().as_default():
        train_op, _ = build_mlp()
        with pytest.raises(ValueError) as info:
            slim.learning.train(train_op, None, number_of_steps=1, strategy=mirrored)
    assert "strategy=MirroredStrategy was given" in str(info.value)
    assert "with strategy.scope():" in str(info.value)
    assert int(train_op.optimizer.iterations.numpy()) == 0


def test_train_under_a_one_device_mirrored_scope_with_strategy_given_trains(tmp_path):
    mirrored = tf.distribute.MirroredStrategy(["/cpu:0"])
    with mirrored.scope(), slim.Graph().as_default():
        train_op, _ = build_mlp()
    with slim.Graph().as_default():
        loss = slim.learning.train(
            train_op, str(tmp_path), number_of_steps=3, strategy=mirrored, log_every_n_steps=0
        )
    assert int(train_op.optimizer.iterations.numpy()) == 3
    assert np.isfinite(loss)
    assert (tmp_path / "model.ckpt-3.index").exists()
    assert distribute.resolve_strategy(None, train_op) is mirrored


@pytest.mark.parametrize(
    "name, value, replaced_by",
    [
        ("master", "grpc://localhost:2222", "strategy=..."),
        ("startup_delay_steps", 3, "start together (strategy=...)"),
    ],
)
def test_cluster_argument_warns_once_saying_what_replaced_it(name, value, replaced_by):
    with slim.Graph().as_default():
        train_op, _ = build_mlp()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            slim.learning.train(train_op, None, number_of_steps=1, **{name: value})
    ours = [str(w.message) for w in caught if "learning.train" in str(w.message)]
    assert len(ours) == 1 and f"{name}=" in ours[0] and replaced_by in ours[0], ours


def test_sync_optimizer_warns_once_naming_multi_worker_mirrored_strategy():
    sync = tf.compat.v1.train.SyncReplicasOptimizer(
        tf.compat.v1.train.GradientDescentOptimizer(0.1), replicas_to_aggregate=1
    )
    with slim.Graph().as_default():
        train_op, _ = build_mlp()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            slim.learning.train(train_op, None, number_of_steps=1, sync_optimizer=sync)
    ours = [str(w.message) for w in caught if "learning.train" in str(w.message)]
    assert len(ours) == 1 and "MultiWorkerMirroredStrategy" in ours[0], ours


def test_evaluate_once_strategy_that_is_not_a_strategy_is_a_type_error_naming_it(tmp_path):
    with slim.Graph().as_default():
        train_op, _ = build_mlp()
        slim.learning.train(train_op, str(tmp_path), number_of_steps=1, log_every_n_steps=0)
    with slim.Graph().as_default():
        _, end_points = build_mlp()
        mean, update = slim.metrics.streaming_mean(end_points["logits"])
        with pytest.raises(TypeError, match="evaluation.evaluate_once: strategy must be"):
            slim.evaluation.evaluate_once(
                "", str(tmp_path / "model.ckpt-1"), None, eval_op=update, final_op=mean,
                summary_op=None, strategy=object(),
            )  # fmt: skip


def test_worker_temp_dir_is_an_empty_folder_beside_the_logdir_removed_after(tmp_path):
    strategy = tf.distribute.get_strategy()
    logdir = tmp_path / "train"
    first = distribute.worker_temp_dir(str(logdir), strategy)
    assert os.path.dirname(first) == str(tmp_path) and os.listdir(first) == []
    open(os.path.join(first, "leftover"), "w").close()
    # A killed run's leftover is emptied by the next run.
    second = distribute.worker_temp_dir(str(logdir), strategy)
    assert second == first and os.listdir(second) == []
    distribute.remove_worker_temp_dir(second)
    assert not os.path.exists(second)
    assert distribute.worker_temp_dir(None, strategy) is None


def test_one_replica_dataset_is_not_redistributed():
    data = tf.data.Dataset.range(4).batch(2)
    assert distribute.distribute_dataset(tf.distribute.get_strategy(), data) is data
