"""tf_slim's remaining top-level modules: model_analyzer, training, train_eval, queues,
normalization, train, optimize_loss."""

from __future__ import annotations

import os

import keras
import numpy as np
import pytest
import tensorflow as tf

import kslim as slim
from kslim import checkpoints

RNG = np.random.RandomState(0)
X = RNG.rand(64, 4).astype(np.float32)
Y = np.eye(3, dtype=np.float32)[RNG.randint(0, 3, 64)]


def _dataset():
    return tf.data.Dataset.from_tensor_slices((X, Y)).batch(8).repeat()


def _loss():
    images, labels = slim.data.inputs(_dataset())
    hidden = slim.fully_connected(images, 8, scope="fc1")
    logits = slim.fully_connected(hidden, 3, activation_fn=None, scope="fc2")
    slim.losses.softmax_cross_entropy(logits, labels)
    return slim.losses.get_total_loss()


# ------------------------------------------------------------------ namespace
@pytest.mark.parametrize(
    "name",
    ["model_analyzer", "training", "train_eval", "normalization", "queues", "train"],
)
def test_tf_slim_top_level_module_names_exist(name):
    assert hasattr(slim, name)
    assert name in slim.__all__


def test_slim_train_is_tensorflows_training_module():
    assert slim.train.AdamOptimizer is tf.compat.v1.train.AdamOptimizer


def test_normalization_module_reexports_group_and_instance_norm():
    from kslim.layers import normalization

    assert slim.normalization.group_norm is normalization.group_norm
    assert slim.normalization.instance_norm is normalization.instance_norm


# ------------------------------------------------------------- model_analyzer
def test_analyze_vars_returns_sizes_and_prints_slims_table(capsys):
    with slim.Graph().as_default():
        x = keras.Input((8, 8, 3), batch_size=2)
        net = slim.conv2d(x, 4, [3, 3], scope="conv1")
        slim.fully_connected(slim.flatten(net), 10, scope="fc")
        total = slim.model_analyzer.analyze_vars(slim.get_model_variables(), print_info=True)
        ops_size = slim.model_analyzer.analyze_ops(slim.get_default_graph(), print_info=True)
    assert total == (108 + 4 + 256 * 10 + 10, 4 * (108 + 4 + 2560 + 10))
    out = capsys.readouterr().out.splitlines()
    assert out[:3] == ["---------", "Variables: name (type shape) [size]", "---------"]
    assert out[3] == "conv1/weights:0 (float32 3x3x3x4) [108, bytes: 432]"
    assert "Total size of variables: 2682" in out
    assert "Total bytes of variables: 10728" in out
    assert "conv1 \t-> (float32 2x8x8x4) [512]" in out
    assert ops_size == 2 * 8 * 8 * 4 + 2 * 10


def test_tensor_description_is_dtype_and_dims():
    var = tf.Variable(tf.zeros([1, 8, 8, 1024]))
    assert slim.model_analyzer.tensor_description(var) == "(float32 1x8x8x1024)"


def test_analyze_ops_rejects_non_graph():
    with pytest.raises(TypeError, match="graph must be"):
        slim.model_analyzer.analyze_ops(42)


# ---------------------------------------------------------------------- queues
def test_queue_runners_is_a_noop_context_and_cannot_nest():
    with slim.queues.QueueRunners(None):
        with pytest.raises(slim.queues.NestedQueueRunnerError, match="cannot be nested"):
            with slim.queues.QueueRunners(None):
                pass
    with slim.queues.QueueRunners(None):  # released after exit
        pass


# --------------------------------------------------------------------- training
def test_clip_gradient_norms_fn_clips_each_gradient():
    v = tf.Variable([0.0, 0.0])
    clipped = slim.training.clip_gradient_norms_fn(1.0)([(tf.constant([3.0, 4.0]), v)])
    np.testing.assert_allclose(clipped[0][0].numpy(), [0.6, 0.8], rtol=1e-6)


def test_training_helpers_are_learnings():
    assert slim.training.multiply_gradients is slim.learning.multiply_gradients
    assert slim.training.clip_gradient_norms is slim.learning.clip_gradient_norms
    assert slim.training.add_gradients_summaries is slim.learning.add_gradients_summaries


def test_create_train_op_applies_transform_grads_fn(tmp_path):
    seen = []

    def zero_grads(grads_and_vars):
        seen.append(len(grads_and_vars))
        return [(tf.zeros_like(g), v) for g, v in grads_and_vars]

    with slim.Graph().as_default():
        train_op = slim.training.create_train_op(
            _loss(), tf.compat.v1.train.GradientDescentOptimizer(0.5), transform_grads_fn=zero_grads
        )
        before = {v.path: v.numpy().copy() for v in train_op.trainable_weights}
        slim.training.train(
            train_op,
            str(tmp_path),
            hooks=[slim.training.StopAtStepHook(last_step=3)],
            save_summaries_steps=None,
        )
    assert seen and seen[0] == 4
    assert int(train_op.optimizer.iterations.numpy()) == 3
    for v in train_op.trainable_weights:
        np.testing.assert_array_equal(v.numpy(), before[v.path])


def test_create_train_op_rejects_non_callable_transform():
    with slim.Graph().as_default():
        with pytest.raises(TypeError, match="transform_grads_fn must be callable"):
            slim.training.create_train_op(_loss(), keras.optimizers.SGD(0.1), transform_grads_fn=3)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({}, "logdir cannot be None when save_summaries_steps is not None"),
        ({"save_summaries_steps": None}, "logdir cannot be None when save_checkpoint_secs"),
    ],
)
def test_train_without_logdir_raises_slims_errors(kwargs, message):
    with slim.Graph().as_default():
        train_op = slim.training.create_train_op(_loss(), keras.optimizers.SGD(0.1))
        with pytest.raises(ValueError, match=message):
            slim.training.train(train_op, None, **kwargs)


def test_stop_at_step_hook_validates_like_tf():
    with pytest.raises(ValueError, match="One of num_steps or last_step must be specified."):
        slim.training.StopAtStepHook()
    with pytest.raises(ValueError, match="Only one of num_steps or last_step can be specified."):
        slim.training.StopAtStepHook(num_steps=1, last_step=2)


def test_train_num_steps_is_relative_and_checkpoints_and_summaries_written(tmp_path):
    logdir = str(tmp_path)
    with slim.Graph().as_default():
        train_op = slim.training.create_train_op(_loss(), keras.optimizers.SGD(0.1))
        loss = slim.training.train(
            train_op,
            logdir,
            hooks=[tf.compat.v1.train.StopAtStepHook(last_step=4)],
            save_summaries_steps=2,
        )
        assert np.isfinite(loss)
        assert int(train_op.optimizer.iterations.numpy()) == 4
        slim.training.train(train_op, logdir, hooks=[slim.training.StopAtStepHook(num_steps=3)])
        assert int(train_op.optimizer.iterations.numpy()) == 7
    assert checkpoints.checkpoint_step(checkpoints.latest_checkpoint(logdir)) == 7
    from tensorboard.backend.event_processing import event_accumulator

    steps = set()
    for name in os.listdir(logdir):
        if name.startswith("events.out"):
            acc = event_accumulator.EventAccumulator(os.path.join(logdir, name))
            acc.Reload()
            if "total_loss" in acc.Tags()["tensors"]:
                steps |= {e.step for e in acc.Tensors("total_loss")}
    assert {0, 2}.issubset(steps)


def test_train_warns_on_tf1_session_run_hooks(tmp_path):
    with slim.Graph().as_default():
        train_op = slim.training.create_train_op(_loss(), keras.optimizers.SGD(0.1))
        with pytest.warns(UserWarning, match="SessionRunHook and is ignored"):
            slim.training.train(
                train_op,
                str(tmp_path),
                hooks=[
                    tf.compat.v1.train.SessionRunHook(),
                    slim.training.StopAtStepHook(last_step=1),
                ],
                save_summaries_steps=None,
            )


# --------------------------------------------------------------- optimize_loss
@pytest.mark.parametrize("name", ["Adagrad", "Adam", "Ftrl", "Momentum", "RMSProp", "SGD"])
def test_optimize_loss_accepts_every_optimizer_name(name, tmp_path):
    with slim.Graph().as_default():
        train_op = slim.optimize_loss(_loss(), None, 0.1, name, clip_gradients=1.0)
        slim.training.train(
            train_op, str(tmp_path), hooks=[slim.training.StopAtStepHook(last_step=2)]
        )
    assert int(train_op.optimizer.iterations.numpy()) == 2


def test_optimize_loss_momentum_uses_0_9():
    with slim.Graph().as_default():
        train_op = slim.optimize_loss(_loss(), None, 0.1, "Momentum")
    assert train_op.optimizer.momentum == pytest.approx(0.9)


def test_optimize_loss_errors_are_slims():
    with slim.Graph().as_default():
        loss = _loss()
        with pytest.raises(ValueError, match="Optimizer name should be one of"):
            slim.optimize_loss(loss, None, 0.1, "Nope")
        with pytest.raises(ValueError, match=r"Invalid learning_rate -1.0\."):
            slim.optimize_loss(loss, None, -1.0, "SGD")
        with pytest.raises(ValueError, match="Summaries should be one of"):
            slim.optimize_loss(loss, None, 0.1, "SGD", summaries=["bad"])
        with pytest.raises(ValueError, match="Unknown type"):
            slim.optimize_loss(loss, None, 0.1, "SGD", clip_gradients=1)
        with pytest.raises(ValueError, match="gradient_noise_scale"):
            slim.optimize_loss(loss, None, 0.1, "SGD", gradient_noise_scale=1.0)


def test_optimize_loss_decay_fn_becomes_a_schedule():
    with slim.Graph().as_default():
        train_op = slim.optimize_loss(
            _loss(), None, 0.5, "SGD", learning_rate_decay_fn=lambda lr, step: lr / 2.0
        )
    assert float(train_op.optimizer.learning_rate) == pytest.approx(0.25)
