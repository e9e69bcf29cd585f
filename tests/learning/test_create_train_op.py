"""create_train_op: variables_to_train, gradient multipliers then per-tensor clipping,
check_numerics, update_ops callables, TF1-only arguments and the gradient helpers."""

from __future__ import annotations

import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf
from _train_utils import BATCH, MLP_VARIABLES, arrays, build_mlp

import kslim as slim
from kslim.learning.callbacks import ChunkPlan


def _weights(train_op) -> dict[str, np.ndarray]:
    return {v.path: v.numpy().copy() for v in train_op.weights}


def _reference_gradients(weights: dict) -> dict[str, np.ndarray]:
    """Gradients of the MLP loss on the first batch, with raw TF ops."""
    x, y = arrays()
    xb, yb = x[:BATCH], y[:BATCH]
    w = {k: tf.Variable(weights[k]) for k in MLP_VARIABLES}
    with tf.GradientTape() as tape:
        h = tf.nn.relu(xb @ w["fc1/weights"] + w["fc1/biases"])
        logits = h @ w["fc2/weights"] + w["fc2/biases"]
        loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(yb, logits))
    grads = tape.gradient(loss, [w[k] for k in MLP_VARIABLES])
    return {k: g.numpy() for k, g in zip(MLP_VARIABLES, grads, strict=True)}


def _one_step(train_op):
    """Runs one training step; returns (weights before, weights after)."""
    before = _weights(train_op)
    slim.learning.train(train_op, None, number_of_steps=1)
    return before, _weights(train_op)


def _sgd(lr=1.0):
    return tf.compat.v1.train.GradientDescentOptimizer(lr)


def test_returns_compiled_keras_model_with_optimizer_iterations_as_global_step():
    with slim.Graph().as_default() as graph:
        train_op, _ = build_mlp(_sgd())
        assert isinstance(train_op, keras.Model)
        assert train_op.optimizer is not None
        assert graph.get_collection(slim.GraphKeys.GLOBAL_STEP) == [train_op.optimizer.iterations]
        assert train_op in graph.get_collection(slim.GraphKeys.TRAIN_OP)


def test_variables_to_train_restricts_the_update():
    with slim.Graph().as_default():
        images, labels = slim.data.inputs(
            tf.data.Dataset.from_tensor_slices(arrays()).repeat().batch(BATCH)
        )
        hidden = slim.fully_connected(images, 8, scope="fc1")
        logits = slim.fully_connected(hidden, 3, activation_fn=None, scope="fc2")
        slim.losses.softmax_cross_entropy(logits, labels)
        total = slim.losses.get_total_loss()
        fc2_vars = slim.get_variables("fc2")
        train_op = slim.learning.create_train_op(total, _sgd(), variables_to_train=fc2_vars)
        before, after = _one_step(train_op)
    for name in ("fc1/weights", "fc1/biases"):
        np.testing.assert_array_equal(after[name], before[name], err_msg=name)
    assert not np.array_equal(after["fc2/weights"], before["fc2/weights"])
    assert not np.array_equal(after["fc2/biases"], before["fc2/biases"])


def test_empty_variables_to_train_is_rejected():
    with slim.Graph().as_default():
        images, labels = slim.data.inputs(tf.data.Dataset.from_tensor_slices(arrays()).batch(BATCH))
        logits = slim.fully_connected(images, 3, scope="fc")
        slim.losses.softmax_cross_entropy(logits, labels)
        with pytest.raises(ValueError, match="variables_to_train"):
            slim.learning.create_train_op(
                slim.losses.get_total_loss(), _sgd(), variables_to_train=[]
            )


def test_gradient_multipliers_accept_variable_or_name_keys():
    with slim.Graph().as_default():
        images, labels = slim.data.inputs(
            tf.data.Dataset.from_tensor_slices(arrays()).repeat().batch(BATCH)
        )
        hidden = slim.fully_connected(images, 8, scope="fc1")
        logits = slim.fully_connected(hidden, 3, activation_fn=None, scope="fc2")
        slim.losses.softmax_cross_entropy(logits, labels)
        (fc2_w,) = slim.get_variables("fc2/weights")
        # TF2 variables are unhashable: a variable key is given as ``ref()``.
        train_op = slim.learning.create_train_op(
            slim.losses.get_total_loss(),
            _sgd(),
            gradient_multipliers={"fc1/weights": 3.0, fc2_w.value.ref(): 0.5},
        )
        before, after = _one_step(train_op)
    grads = _reference_gradients(before)
    factors = {"fc1/weights": 3.0, "fc2/weights": 0.5, "fc1/biases": 1.0, "fc2/biases": 1.0}
    for name in MLP_VARIABLES:
        np.testing.assert_allclose(
            before[name] - after[name],
            factors[name] * grads[name],
            rtol=1e-5,
            atol=1e-7,
            err_msg=name,
        )


def test_gradient_multipliers_argument_of_create_train_op():
    with slim.Graph().as_default():
        train_op, _ = build_mlp(_sgd(), gradient_multipliers={"fc2/biases": 4.0})
        before, after = _one_step(train_op)
    grads = _reference_gradients(before)
    np.testing.assert_allclose(
        before["fc2/biases"] - after["fc2/biases"], 4.0 * grads["fc2/biases"], rtol=1e-5, atol=1e-7
    )
    np.testing.assert_allclose(
        before["fc1/biases"] - after["fc1/biases"], grads["fc1/biases"], rtol=1e-5, atol=1e-7
    )


def test_clip_gradient_norm_clips_each_tensor_after_multipliers():
    clip = 0.05
    with slim.Graph().as_default():
        train_op, _ = build_mlp(
            _sgd(), clip_gradient_norm=clip, gradient_multipliers={"fc1/biases": 100.0}
        )
        before, after = _one_step(train_op)
    grads = _reference_gradients(before)
    grads["fc1/biases"] = grads["fc1/biases"] * 100.0
    for name in MLP_VARIABLES:
        g = grads[name]
        expected = g * min(1.0, clip / np.linalg.norm(g))  # per tensor, not global
        np.testing.assert_allclose(
            before[name] - after[name], expected, rtol=1e-4, atol=1e-7, err_msg=name
        )
        assert np.linalg.norm(before[name] - after[name]) <= clip * (1 + 1e-5)
    # The multiplied gradient was clipped: multipliers come first.
    assert np.linalg.norm(grads["fc1/biases"]) > clip


def test_check_numerics_stops_before_updating_on_nan_loss():
    x, y = arrays()
    y = y.copy()
    y[0] = np.nan
    with slim.Graph().as_default():
        train_op, _ = build_mlp(
            _sgd(), data=tf.data.Dataset.from_tensor_slices((x, y)).batch(BATCH)
        )
        before = _weights(train_op)
        with pytest.raises(FloatingPointError, match="global step 0"):
            slim.learning.train(train_op, None, number_of_steps=1)
        after = _weights(train_op)
    for name in MLP_VARIABLES:
        np.testing.assert_array_equal(after[name], before[name])
    assert int(train_op.optimizer.iterations.numpy()) == 0


def test_check_numerics_false_lets_a_nan_loss_through():
    x, y = arrays()
    y = y.copy()
    y[0] = np.nan
    with slim.Graph().as_default():
        train_op, _ = build_mlp(
            _sgd(),
            data=tf.data.Dataset.from_tensor_slices((x, y)).batch(BATCH),
            check_numerics=False,
        )
        loss = slim.learning.train(train_op, None, number_of_steps=1)
    assert np.isnan(loss)


def test_update_ops_callables_run_before_each_step():
    counter = tf.Variable(0, dtype=tf.int64)
    with slim.Graph().as_default():
        train_op, _ = build_mlp(_sgd(), update_ops=[lambda: counter.assign_add(1)])
        slim.learning.train(train_op, None, number_of_steps=4)
    assert int(counter.numpy()) == 4


def test_update_ops_must_be_callables():
    with slim.Graph().as_default(), pytest.raises(ValueError, match="update_ops"):
        build_mlp(_sgd(), update_ops=[tf.constant(1)])


def test_total_loss_must_be_a_keras_tensor():
    with slim.Graph().as_default(), pytest.raises(ValueError, match="total_loss"):
        slim.learning.create_train_op(tf.constant(1.0), _sgd())


@pytest.mark.parametrize(
    "name, value",
    [
        ("gate_gradients", 0),
        ("aggregation_method", 2),
        ("colocate_gradients_with_ops", True),
        ("global_step", None),
    ],
)
def test_tf1_graph_arguments_warn_naming_them(name, value):
    with slim.Graph().as_default():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            build_mlp(_sgd(), **{name: value})
    ours = [str(w.message) for w in caught if "create_train_op" in str(w.message)]
    assert len(ours) == 1 and f"{name}=" in ours[0], ours


def test_summarize_gradients_adds_gradient_summaries_to_the_step():
    with slim.Graph().as_default():
        train_op, _ = build_mlp(_sgd(), summarize_gradients=True)
        assert train_op.summarize_gradients
        iterator = iter(train_op.bound_dataset)
        logs = train_op.run_chunk(iterator, ChunkPlan(steps=1, summaries=True))
    tags = {k[len("summaries/") :] for k in logs if k.startswith("summaries/")}
    for var in MLP_VARIABLES:
        assert "histogram:" + var + "_gradient" in tags
        assert "scalar:" + var + "_gradient_norm" in tags


# ----------------------------------------------------------------- helpers


def test_clip_gradient_norms_is_per_tensor_and_keeps_none():
    v1, v2, v3 = tf.Variable([0.0, 0.0]), tf.Variable([0.0]), tf.Variable([0.0])
    out = slim.learning.clip_gradient_norms(
        [(tf.constant([3.0, 4.0]), v1), (tf.constant([0.5]), v2), (None, v3)], 1.0
    )
    np.testing.assert_allclose(out[0][0].numpy(), [0.6, 0.8], rtol=1e-6)
    np.testing.assert_allclose(out[1][0].numpy(), [0.5])
    assert out[2][0] is None and out[2][1] is v3


def test_clip_gradient_norms_clips_indexed_slices_values():
    v = tf.Variable(tf.zeros([4, 2]))
    grad = tf.IndexedSlices(tf.constant([[3.0, 4.0]]), tf.constant([1]), tf.constant([4, 2]))
    ((clipped, _),) = slim.learning.clip_gradient_norms([(grad, v)], 1.0)
    assert isinstance(clipped, tf.IndexedSlices)
    np.testing.assert_allclose(clipped.values.numpy(), [[0.6, 0.8]], rtol=1e-6)


@pytest.mark.parametrize(
    "args, message",
    [
        (((1, 2), {"a": 1.0}), "`grads_and_vars` must be a list."),
        (([], {}), "`gradient_multipliers` is empty."),
        (([], [("a", 1.0)]), "`gradient_multipliers` must be a dict."),
    ],
)
def test_multiply_gradients_errors_are_slims(args, message):
    with pytest.raises(ValueError) as info:
        slim.learning.multiply_gradients(*args)
    assert str(info.value) == message


def test_multiply_gradients_of_none_gradient_is_rejected():
    v = keras.Variable([1.0], name="w")
    with pytest.raises(ValueError) as info:
        slim.learning.multiply_gradients([(None, v)], {"w": 2.0})
    assert str(info.value) == "Requested multiple of `None` gradient."


def test_add_gradients_summaries_uses_training_tags():
    v = keras.Variable([1.0, 2.0], name="w")
    summaries = slim.learning.add_gradients_summaries([(tf.constant([3.0, 4.0]), v)])
    assert set(summaries) == {"histogram:w_gradient", "scalar:w_gradient_norm"}
    assert float(summaries["scalar:w_gradient_norm"]) == pytest.approx(5.0)
