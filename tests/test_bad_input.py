"""Bad input, everywhere (issue 14, item 4): each bad call to a public entry point raises an
error of the expected type whose message names the argument and the value (or what is wrong).

One table row per call: ``id -> (call, exception type, message fragment)``; a call takes the
``Env`` fixture (a tiny trained graph, a checkpoint, scratch paths). ``log_every_n_steps=0`` is
not bad input: slim logs only ``if log_every_n_steps > 0``, so 0 means never log
(``test_log_every_n_steps_zero_means_never_log``).
"""

from __future__ import annotations

import contextlib
import io
import logging
import os

import numpy as np
import pytest
import tensorflow as tf

import kslim as slim
from kslim import checkpoints, cli

X4 = np.zeros((2, 8, 8, 3), np.float32)
X2 = np.zeros((2, 4), np.float32)
Y2 = np.eye(3, dtype=np.float32)[[0, 1]]


def _arrays(n: int = 16):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    return x, np.eye(3, dtype=np.float32)[rng.integers(0, 3, n)]


def _dataset(labels_dtype=tf.float32, feature_dim: int = 4):
    x, y = _arrays()
    x = np.zeros((len(x), feature_dim), np.float32)
    return tf.data.Dataset.from_tensor_slices((x, tf.cast(y, labels_dtype))).repeat().batch(4)


class Env:
    """A trained MLP graph (``train_op``, ``logits``, ``labels``), its checkpoint, scratch dirs."""

    def __init__(self, tmp_path) -> None:
        self.tmp = tmp_path
        self.graph = slim.Graph()
        with self.graph.as_default():
            images, self.labels = slim.data.inputs(_dataset())
            net = slim.fully_connected(images, 8, scope="fc1")
            self.logits = slim.fully_connected(net, 3, activation_fn=None, scope="fc2")
            slim.losses.softmax_cross_entropy(self.logits, self.labels)
            self.total_loss = slim.losses.get_total_loss()
            self.train_op = slim.learning.create_train_op(
                self.total_loss, tf.compat.v1.train.GradientDescentOptimizer(0.1)
            )
        self.logdir = str(tmp_path / "logdir")
        self.prefix = str(tmp_path / "ckpt" / "model.ckpt-1")
        checkpoints.save_variables(self.prefix, {"w": np.ones([64], np.float32), "global_step": 1})
        self.file = str(tmp_path / "a_file")
        with open(self.file, "w") as f:
            f.write("not a directory")
        self.empty_dir = str(tmp_path / "empty")
        os.makedirs(self.empty_dir, exist_ok=True)

    def train(self, **kwargs):
        kwargs.setdefault("number_of_steps", 1)
        logdir = kwargs.pop("logdir", self.logdir)
        with self.graph.as_default():
            return slim.learning.train(self.train_op, logdir, **kwargs)

    def in_graph(self, fn):
        with slim.Graph().as_default():
            return fn()


class CliError(Exception):
    """A ``kslim`` command returned nonzero; the message is its stderr."""


def _cli(*argv: str) -> None:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = cli.main(list(argv))
        except SystemExit as exc:  # argparse usage errors
            code = exc.code
    if code:
        raise CliError(err.getvalue())


def _undecorated(x, a=1):
    return x


def _truncated(env):
    prefix = str(env.tmp / "trunc" / "model.ckpt-3")
    checkpoints.save_variables(prefix, {"w": np.ones([4096], np.float32)})
    data = prefix + ".data-00000-of-00001"
    with open(data, "r+b") as f:
        f.truncate(os.path.getsize(data) // 2)
    return prefix


def _metric(fn):
    def call(env):
        with slim.Graph().as_default():
            return fn()

    return call


CASES = {
    # ----------------------------------------------------------------- layers
    "conv2d_negative_num_outputs": (
        lambda e: e.in_graph(lambda: slim.conv2d(X4, -1, [3, 3])),
        ValueError,
        "num_outputs=-1",
    ),
    "conv2d_zero_num_outputs": (
        lambda e: e.in_graph(lambda: slim.conv2d(X4, 0, [3, 3])),
        ValueError,
        "num_outputs=0",
    ),
    "conv2d_float_num_outputs": (
        lambda e: e.in_graph(lambda: slim.conv2d(X4, 2.5, [3, 3])),
        ValueError,
        "num_outputs=2.5",
    ),
    "fully_connected_zero_num_outputs": (
        lambda e: e.in_graph(lambda: slim.fully_connected(X2, 0)),
        ValueError,
        "num_outputs=0",
    ),
    "fully_connected_str_num_outputs": (
        lambda e: e.in_graph(lambda: slim.fully_connected(X2, "10")),
        ValueError,
        "num_outputs='10'",
    ),
    "fully_connected_rank_1_input": (
        lambda e: e.in_graph(lambda: slim.fully_connected(np.zeros([4], np.float32), 3)),
        ValueError,
        "rank >= 2",
    ),
    "conv2d_transpose_zero_num_outputs": (
        lambda e: e.in_graph(lambda: slim.conv2d_transpose(X4, 0, [3, 3])),
        ValueError,
        "num_outputs=0",
    ),
    "separable_conv2d_zero_num_outputs": (
        lambda e: e.in_graph(lambda: slim.separable_conv2d(X4, 0, [3, 3], 1)),
        ValueError,
        "num_outputs=0",
    ),
    # -------------------------------------------------------------- arg_scope
    "arg_scope_undecorated_function": (
        lambda e: slim.arg_scope([_undecorated], a=2).__enter__(),
        ValueError,
        "_undecorated is not decorated with @add_arg_scope",
    ),
    "arg_scope_not_a_list": (
        lambda e: slim.arg_scope(slim.conv2d, padding="SAME").__enter__(),
        TypeError,
        "list",
    ),
    # ----------------------------------------------------------------- losses
    "get_total_loss_without_losses": (
        lambda e: e.in_graph(lambda: slim.losses.get_total_loss()),
        ValueError,
        "get_total_loss: the graph has no losses",
    ),
    "softmax_cross_entropy_missing_labels": (
        lambda e: e.in_graph(lambda: slim.losses.softmax_cross_entropy(Y2, None)),
        ValueError,
        "labels",
    ),
    # ---------------------------------------------------------------- metrics
    "streaming_accuracy_mismatched_shapes": (
        _metric(lambda: slim.metrics.streaming_accuracy(np.zeros(4), np.zeros(5))),
        ValueError,
        "predictions of shape [4] and labels of shape [5]",
    ),
    "streaming_mean_metrics_collections_str": (
        _metric(lambda: slim.metrics.streaming_mean(np.zeros(4), metrics_collections="c")),
        ValueError,
        "metrics_collections",
    ),
    "streaming_mean_updates_collections_str": (
        _metric(lambda: slim.metrics.streaming_mean(np.zeros(4), updates_collections="c")),
        ValueError,
        "updates_collections",
    ),
    # -------------------------------------------------------- create_train_op
    "create_train_op_optimizer_none": (
        lambda e: slim.learning.create_train_op(e.total_loss, None),
        ValueError,
        "optimizer=None",
    ),
    "create_train_op_loss_not_a_tensor": (
        lambda e: slim.learning.create_train_op(1.0, tf.keras.optimizers.SGD()),
        ValueError,
        "total_loss must be a KerasTensor",
    ),
    "create_train_op_loss_not_scalar": (
        lambda e: slim.learning.create_train_op(e.logits, tf.keras.optimizers.SGD()),
        ValueError,
        "total_loss must be a scalar",
    ),
    "create_train_op_no_variables_to_train": (
        lambda e: slim.learning.create_train_op(
            e.total_loss, tf.keras.optimizers.SGD(), variables_to_train=[]
        ),
        ValueError,
        "variables_to_train",
    ),
    # ------------------------------------------------------------------ train
    "train_op_none": (
        lambda e: slim.learning.train(None, e.logdir),
        ValueError,
        "train_op cannot be None",
    ),
    "train_op_not_a_train_op": (
        lambda e: slim.learning.train("op", e.logdir),
        TypeError,
        "train_op must be the TrainOp",
    ),
    "train_number_of_steps_str": (
        lambda e: e.train(number_of_steps="100"),
        TypeError,
        "number_of_steps='100'",
    ),
    "train_number_of_steps_zero": (
        lambda e: e.train(number_of_steps=0),
        ValueError,
        "number_of_steps=0",
    ),
    "train_number_of_steps_negative": (
        lambda e: e.train(number_of_steps=-3),
        ValueError,
        "number_of_steps=-3",
    ),
    "train_number_of_steps_float": (
        lambda e: e.train(number_of_steps=10.5),
        TypeError,
        "number_of_steps=10.5",
    ),
    "train_log_every_n_steps_negative": (
        lambda e: e.train(log_every_n_steps=-1),
        ValueError,
        "log_every_n_steps=-1",
    ),
    "train_log_every_n_steps_float": (
        lambda e: e.train(log_every_n_steps=1.5),
        ValueError,
        "log_every_n_steps=1.5",
    ),
    "train_save_interval_secs_negative": (
        lambda e: e.train(save_interval_secs=-1),
        ValueError,
        "save_interval_secs=-1",
    ),
    "train_save_summaries_secs_str": (
        lambda e: e.train(save_summaries_secs="60"),
        ValueError,
        "save_summaries_secs='60'",
    ),
    "train_max_steps_per_chunk_zero": (
        lambda e: e.train(max_steps_per_chunk=0),
        ValueError,
        "max_steps_per_chunk=0",
    ),
    "train_trace_every_n_steps_negative": (
        lambda e: e.train(trace_every_n_steps=-2),
        ValueError,
        "trace_every_n_steps must be a positive int, got -2",
    ),
    "train_init_fn_not_callable": (
        lambda e: e.train(init_fn=5),
        TypeError,
        "init_fn must be callable, got 5",
    ),
    "train_max_to_keep_negative": (
        lambda e: e.train(max_to_keep=-1),
        ValueError,
        "max_to_keep must be a non-negative int or None, got -1",
    ),
    "train_keep_every_n_hours_zero": (
        lambda e: e.train(keep_checkpoint_every_n_hours=0),
        ValueError,
        "keep_checkpoint_every_n_hours must be a positive number, got 0",
    ),
    "train_logdir_is_a_file": (
        lambda e: e.train(logdir=e.file),
        NotADirectoryError,
        "is not a directory",
    ),
    "train_logdir_none_with_saver": (
        lambda e: e.train(logdir=None, saver=object()),
        ValueError,
        "Cannot provide saver because logdir=None",
    ),
    "train_dataset_label_dtype": (
        lambda e: e.train(dataset=_dataset(labels_dtype=tf.int32)),
        ValueError,
        "dtype int32",
    ),
    "train_dataset_feature_shape": (
        lambda e: e.train(dataset=_dataset(feature_dim=5)),
        ValueError,
        "5",
    ),
    "train_dataset_wrong_type": (
        lambda e: e.train(dataset="train.tfrecord"),
        TypeError,
        "dataset must be a tf.data.Dataset or numpy arrays",
    ),
    "train_numpy_batch_size_zero": (
        lambda e: e.train(dataset=_arrays(), batch_size=0),
        ValueError,
        "batch_size=0",
    ),
    "train_empty_dataset": (
        lambda e: e.train(logdir=None, dataset=_dataset().take(0)),
        ValueError,
        "ran no step: the dataset produced no batch",
    ),
    # ------------------------------------------------------------- evaluation
    "evaluate_once_missing_checkpoint": (
        lambda e: _evaluate_once(e, str(e.tmp / "nope" / "model.ckpt-9")),
        checkpoints.CheckpointError,
        "model.ckpt-9",
    ),
    "evaluate_once_num_evals_zero": (
        lambda e: _evaluate_once(e, e.prefix, num_evals=0),
        ValueError,
        "num_evals",
    ),
    "evaluate_once_variables_to_restore_int": (
        lambda e: _evaluate_once(e, e.prefix, variables_to_restore=5),
        TypeError,
        "variables_to_restore must be a list of variables or a dict",
    ),
    "evaluation_loop_max_evaluations_zero": (
        lambda e: _evaluation_loop(e, max_number_of_evaluations=0),
        ValueError,
        "max_number_of_evaluations must be a positive int or None, got 0",
    ),
    "evaluation_loop_interval_negative": (
        lambda e: _evaluation_loop(e, eval_interval_secs=-1),
        ValueError,
        "eval_interval_secs must be >= 0, got -1",
    ),
    # ------------------------------------------------------------ checkpoints
    "read_checkpoint_missing_prefix": (
        lambda e: checkpoints.read_checkpoint(str(e.tmp / "model.ckpt-404")),
        checkpoints.CheckpointError,
        "model.ckpt-404.index' does not exist",
    ),
    "read_checkpoint_directory_without_checkpoint": (
        lambda e: checkpoints.read_checkpoint(e.empty_dir),
        checkpoints.CheckpointError,
        "no checkpoint found in directory",
    ),
    "read_checkpoint_missing_names": (
        lambda e: checkpoints.read_checkpoint(e.prefix, ["nope", "w"]),
        checkpoints.CheckpointError,
        "missing variables ['nope']",
    ),
    "read_checkpoint_truncated_data": (
        lambda e: checkpoints.read_checkpoint(_truncated(e)),
        checkpoints.CorruptCheckpointError,
        "model.ckpt-3",
    ),
    "restore_variables_shape_mismatch": (
        lambda e: checkpoints.restore_variables(e.prefix, {"w": tf.Variable(np.zeros(3))}),
        checkpoints.CheckpointError,
        "w: checkpoint shape [64] vs variable shape [3]",
    ),
    "checkpoint_manager_max_to_keep_str": (
        lambda e: checkpoints.CheckpointManager(e.logdir, max_to_keep="5"),
        ValueError,
        "max_to_keep must be a non-negative int or None, got '5'",
    ),
    "assign_from_checkpoint_fn_missing_variable": (
        lambda e: slim.assign_from_checkpoint_fn(e.prefix, {"nope": tf.Variable(1.0)})(e.train_op),
        checkpoints.CheckpointError,
        "nope",
    ),
    # ------------------------------------------------------------------- data
    "inputs_not_a_dataset": (
        lambda e: e.in_graph(lambda: slim.data.inputs("images.tfrecord")),
        TypeError,
        "dataset must be a tf.data.Dataset or numpy arrays (a tuple/dict of them), got str",
    ),
    "inputs_unbatched_scalars": (
        lambda e: e.in_graph(lambda: slim.data.inputs(tf.data.Dataset.range(3))),
        ValueError,
        "dataset must be batched",
    ),
    "as_dataset_batch_size_str": (
        lambda e: slim.data.as_dataset(_arrays(), batch_size="8"),
        ValueError,
        "batch_size='8'",
    ),
    "as_dataset_batch_size_negative": (
        lambda e: slim.data.as_dataset(_arrays(), batch_size=-4),
        ValueError,
        "batch_size=-4",
    ),
    # -------------------------------------------------------------------- CLI
    "cli_train_unknown_optimizer": (
        lambda e: _cli("train", "--train-dir", e.logdir, "--optimizer", "nadam"),
        CliError,
        "invalid choice: 'nadam'",
    ),
    "cli_train_unknown_model": (
        lambda e: _cli("train", "--train-dir", e.logdir, "--model-name", "resnet_x"),
        CliError,
        "Name of network unknown 'resnet_x'",
    ),
    "cli_train_unknown_dataset": (
        lambda e: _cli("train", "--train-dir", e.logdir, "--dataset-name", "mnist_x"),
        CliError,
        "Name of dataset unknown 'mnist_x'",
    ),
    "cli_train_batch_size_zero": (
        lambda e: _cli("train", "--train-dir", e.logdir, "--batch-size", "0"),
        CliError,
        "--batch-size",
    ),
    "cli_eval_missing_checkpoint": (
        lambda e: _cli("eval", "--checkpoint-path", str(e.tmp / "model.ckpt-7")),
        CliError,
        "model.ckpt-7': no such checkpoint",
    ),
    "cli_eval_directory_without_checkpoint": (
        lambda e: _cli("eval", "--checkpoint-path", e.empty_dir),
        CliError,
        "is a directory without a checkpoint",
    ),
    "cli_inspect_missing_checkpoint": (
        lambda e: _cli("inspect-checkpoint", str(e.tmp / "model.ckpt-8")),
        CliError,
        "model.ckpt-8",
    ),
    "cli_convert_unknown_dataset": (
        lambda e: _cli("convert", "imagenet_x", "--dataset-dir", e.empty_dir),
        CliError,
        "Name of dataset unknown 'imagenet_x'",
    ),
}


def _evaluate_once(env, path, **kwargs):
    with env.graph.as_default():
        value, update = slim.metrics.streaming_mean(env.logits)
        return slim.evaluation.evaluate_once(
            "", path, None, eval_op=update, final_op=value, summary_op=None, **kwargs
        )


def _evaluation_loop(env, **kwargs):
    with env.graph.as_default():
        value, update = slim.metrics.streaming_mean(env.logits)
        return slim.evaluation.evaluation_loop(
            "", env.empty_dir, None, eval_op=update, final_op=value, summary_op=None, **kwargs
        )


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    return Env(tmp_path_factory.mktemp("bad_input"))


def test_the_table_covers_every_entry_point_with_at_least_50_calls():
    assert len(CASES) >= 50
    families = {name.split("_")[0] for name in CASES}
    for family in ("conv2d", "arg", "get", "streaming", "create", "train", "evaluate", "read"):
        assert family in families, family
    assert {"inputs", "cli"} <= families


@pytest.mark.parametrize("case", list(CASES))
def test_bad_call_raises_error_naming_argument_and_value(case, env):
    call, error, fragment = CASES[case]
    with pytest.raises(error) as info:
        call(env)
    assert fragment in str(info.value), str(info.value)


def test_log_every_n_steps_zero_means_never_log(env, caplog):
    with caplog.at_level(logging.INFO, logger="kslim"):
        loss = env.train(logdir=None, number_of_steps=3, log_every_n_steps=0)
    assert np.isfinite(loss)
    assert not [r for r in caplog.records if r.getMessage().startswith("global step ")]
