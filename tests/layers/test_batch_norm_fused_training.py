"""Training-mode batch_norm runs tf_slim's fused kernel (tf.compat.v1.nn.fused_batch_norm).

tf_slim's default batch_norm path normalizes with the fused kernel; the same kernel in
kslim gives tf_slim's numbers bit for bit, which keeps deep nets (27 training-mode batch
norms in MobileNet v1) equal to 1e-5 (tests/nets/test_zoo_reference.py checks that
against tf_slim itself).
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import kslim as slim


def _input(shape):
    # A large mean beside a small spread: where formulas differ in their rounding.
    rng = np.random.default_rng(0)
    return (5.0 + 0.01 * rng.standard_normal(shape)).astype(np.float32)


@pytest.mark.parametrize("shape", [(2, 3, 3, 4), (6, 4)], ids=["rank4", "rank2"])
def test_training_batch_norm_outputs_equal_the_fused_kernel_bit_for_bit(shape):
    x = _input(shape)
    with slim.Graph().as_default():
        slim.batch_norm(tf.constant(x), scale=True, is_training=True, scope="bn")
        gamma, beta = slim.get_variables("bn/gamma")[0], slim.get_variables("bn/beta")[0]
        gamma.assign(np.linspace(0.5, 1.5, shape[-1]).astype(np.float32))
        beta.assign(np.linspace(-1.0, 1.0, shape[-1]).astype(np.float32))
        y = slim.batch_norm(tf.constant(x), scale=True, is_training=True, scope="bn", reuse=True)
        x4 = x.reshape(-1, 1, 1, shape[-1]) if len(shape) == 2 else x
        want, _, _ = tf.compat.v1.nn.fused_batch_norm(
            x4, gamma, beta, epsilon=0.001, data_format="NHWC", is_training=True
        )
    np.testing.assert_array_equal(np.asarray(y), np.asarray(want).reshape(shape))


def test_training_batch_norm_updates_the_averages_with_the_unbiased_batch_variance():
    x = _input((2, 3, 3, 4))
    with slim.Graph().as_default():
        slim.batch_norm(tf.constant(x), decay=0.9, is_training=True, scope="bn")
        mean = slim.get_variables("bn/moving_mean")[0]
        variance = slim.get_variables("bn/moving_variance")[0]
        batch_mean = x.mean(axis=(0, 1, 2))
        batch_var = x.var(axis=(0, 1, 2), ddof=1)
        np.testing.assert_allclose(np.asarray(mean), 0.1 * batch_mean, rtol=1e-5)
        np.testing.assert_allclose(np.asarray(variance), 0.9 + 0.1 * batch_var, rtol=1e-5)


def test_training_batch_norm_on_a_keras_input_gives_the_fused_outputs_and_gradients():
    import keras

    x = _input((2, 3, 3, 4))
    with slim.Graph().as_default():
        inputs = keras.Input((3, 3, 4), batch_size=2)
        model = keras.Model(inputs, slim.batch_norm(inputs, is_training=True, scope="bn"))
        xt = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(xt)
            y = model(xt)
            loss = tf.reduce_sum(y * tf.range(1.0, 5.0))
        grad = tape.gradient(loss, xt)
    want, _, _ = tf.compat.v1.nn.fused_batch_norm(
        x, tf.ones([4]), tf.zeros([4]), epsilon=0.001, data_format="NHWC", is_training=True
    )
    np.testing.assert_array_equal(np.asarray(y), np.asarray(want))
    # Through the batch statistics: the gradient sums to 0 over the batch per channel.
    np.testing.assert_allclose(np.asarray(grad).sum(axis=(0, 1, 2)), 0.0, atol=1e-2)


def test_zero_debias_and_channels_first_keep_the_unfused_formula():
    x = _input((2, 4, 3, 3))
    with slim.Graph().as_default():
        y = slim.batch_norm(tf.constant(x), is_training=True, data_format="NCHW", scope="nchw")
        mean = x.mean(axis=(0, 2, 3), keepdims=True)
        var = x.var(axis=(0, 2, 3), keepdims=True)
        np.testing.assert_allclose(
            np.asarray(y), (x - mean) / np.sqrt(var + 0.001), rtol=1e-3, atol=1e-3
        )
        z = slim.batch_norm(
            tf.constant(_input((2, 3, 3, 4))),
            is_training=True,
            zero_debias_moving_mean=True,
            scope="debias",
        )
        assert z.shape == (2, 3, 3, 4)
        assert slim.get_variables("debias/debias/moving_mean/biased")
