"""Inference-mode batch_norm runs tf_slim's fused kernel on the moving averages.

tf_slim's default batch_norm path normalizes with ``tf.compat.v1.nn.fused_batch_norm`` in
inference mode too; the same kernel keeps deep nets (MobileNet v2's 52 batch norms) equal
to tf_slim to 1e-5 (tests/nets/test_zoo_reference.py checks that against tf_slim itself).
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import kslim as slim


def _input(shape):
    # A large mean beside a small spread: where formulas differ in their rounding.
    rng = np.random.default_rng(1)
    return (5.0 + 0.01 * rng.standard_normal(shape)).astype(np.float32)


def _set_stats(scope, channels, scale=True):
    slim.get_variables(f"{scope}/moving_mean")[0].assign(
        np.linspace(4.9, 5.1, channels).astype(np.float32)
    )
    slim.get_variables(f"{scope}/moving_variance")[0].assign(
        np.linspace(1e-4, 3e-4, channels).astype(np.float32)
    )
    slim.get_variables(f"{scope}/beta")[0].assign(np.linspace(-1, 1, channels).astype(np.float32))
    if scale:
        slim.get_variables(f"{scope}/gamma")[0].assign(
            np.linspace(0.5, 1.5, channels).astype(np.float32)
        )


def _fused(x, scope, scale=True):
    channels = x.shape[-1]
    gamma = slim.get_variables(f"{scope}/gamma")[0] if scale else tf.ones([channels])
    x4 = x.reshape(-1, 1, 1, channels) if x.ndim == 2 else x
    want, _, _ = tf.compat.v1.nn.fused_batch_norm(
        x4,
        gamma,
        slim.get_variables(f"{scope}/beta")[0],
        mean=slim.get_variables(f"{scope}/moving_mean")[0],
        variance=slim.get_variables(f"{scope}/moving_variance")[0],
        epsilon=0.001,
        is_training=False,
    )
    return np.asarray(want).reshape(x.shape)


@pytest.mark.parametrize("scale", [True, False], ids=["gamma", "no_gamma"])
@pytest.mark.parametrize("shape", [(2, 3, 3, 4), (6, 4)], ids=["rank4", "rank2"])
def test_inference_batch_norm_outputs_equal_the_fused_kernel_bit_for_bit(shape, scale):
    x = _input(shape)
    with slim.Graph().as_default():
        slim.batch_norm(tf.constant(x), scale=scale, is_training=False, scope="bn")
        _set_stats("bn", shape[-1], scale)
        y = slim.batch_norm(tf.constant(x), scale=scale, is_training=False, scope="bn", reuse=True)
        np.testing.assert_array_equal(np.asarray(y), _fused(x, "bn", scale))


def test_a_keras_model_in_inference_mode_gives_the_fused_outputs():
    import keras

    x = _input((2, 3, 3, 4))
    with slim.Graph().as_default():
        inputs = keras.Input((3, 3, 4), batch_size=2)
        model = keras.Model(
            inputs, slim.batch_norm(inputs, scale=True, is_training=False, scope="bn")
        )
        _set_stats("bn", 4)
        y = model(x, training=False)
        np.testing.assert_array_equal(np.asarray(y), _fused(x, "bn"))


def test_channels_first_inference_normalizes_with_the_moving_averages():
    x = _input((2, 4, 3, 3))
    with slim.Graph().as_default():
        slim.batch_norm(tf.constant(x), is_training=False, data_format="NCHW", scope="nchw")
        mean = slim.get_variables("nchw/moving_mean")[0]
        variance = slim.get_variables("nchw/moving_variance")[0]
        mean.assign(np.full([4], 5.0, np.float32))
        variance.assign(np.full([4], 4.0, np.float32))
        y = slim.batch_norm(
            tf.constant(x), is_training=False, data_format="NCHW", scope="nchw", reuse=True
        )
        np.testing.assert_allclose(np.asarray(y), (x - 5.0) / np.sqrt(4.001), rtol=1e-5, atol=1e-6)
