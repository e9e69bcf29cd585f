"""slim.recompute_grad: same values and gradients, the block run again on backprop."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import kslim as slim

X = np.random.default_rng(0).standard_normal((2, 4)).astype("float32")
INIT = {"weights_initializer": tf.compat.v1.constant_initializer(0.3)}


def _block(x, calls=None):
    if calls is not None:
        calls.append(1)
    net = slim.fully_connected(x, 5, scope="fc1", **INIT)
    return slim.fully_connected(net, 3, activation_fn=tf.nn.tanh, scope="fc2", **INIT)


def _eager_gradients(fn):
    with slim.Graph().as_default():
        x = tf.constant(X)
        with tf.GradientTape() as tape:
            tape.watch(x)
            with slim.variable_scope("blk"):
                out = fn(x)
            loss = tf.reduce_sum(out * out)
        variables = slim.get_trainable_variables()
        grads = tape.gradient(loss, [x] + [v.value for v in variables])
    return out.numpy(), [g.numpy() for g in grads], [v.path for v in variables]


def test_recompute_grad_eager_matches_the_plain_block_and_runs_it_again():
    calls = []

    def counted(x):
        return _block(x, calls)

    plain_out, plain_grads, names = _eager_gradients(_block)
    out, grads, rec_names = _eager_gradients(slim.recompute_grad(counted))
    assert (
        rec_names
        == names
        == ["blk/fc1/weights", "blk/fc1/biases", "blk/fc2/weights", "blk/fc2/biases"]
    )
    assert len(calls) == 2
    np.testing.assert_allclose(out, plain_out, rtol=1e-6)
    for got, want in zip(grads, plain_grads, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-5)


def test_recompute_grad_passes_is_recomputing():
    flags = []

    def block(x, is_recomputing=False):
        flags.append(is_recomputing)
        return _block(x)

    _eager_gradients(slim.recompute_grad(block))
    assert flags == [False, True]


def test_recompute_grad_on_keras_inputs_rematerializes_the_layers():
    with slim.Graph().as_default():
        inputs = keras.Input((4,))
        with slim.variable_scope("blk"):
            out = slim.recompute_grad(_block)(inputs)
        model = keras.Model(inputs, out)
    remat = [layer for layer in model.layers if getattr(layer, "_remat_mode", None) is not None]
    assert {layer.name for layer in remat} >= {"blk.fc1", "blk.fc2"}
    x = tf.constant(X)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.square(model(x)))
    grads = tape.gradient(loss, model.trainable_weights)
    _, plain_grads, _ = _eager_gradients(_block)
    for got, want in zip(grads, plain_grads[1:], strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-5)


def test_recompute_grad_rejects_closures_over_tensors_and_non_tensor_inputs():
    captured = tf.constant(1.0)

    def closes_over(x):
        return x * captured

    with pytest.raises(ValueError, match="closes over Tensor"):
        slim.recompute_grad(closes_over)
    with pytest.raises(ValueError, match="must be Tensors"):
        slim.recompute_grad(_block)(X)
