"""bias_add, one_hot_encoding, softmax, unit_norm, maxout, spatial_softmax,
images_to_sequence / sequence_to_images and scale_gradient."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import kslim as slim


def _variables() -> dict[str, tuple]:
    return {v.path: tuple(v.shape) for v in slim.get_collection(slim.GraphKeys.GLOBAL_VARIABLES)}


def _randn(*shape, seed=0) -> np.ndarray:
    return np.random.RandomState(seed).randn(*shape).astype(np.float32)


# ------------------------------------------------------------------- bias_add


def test_bias_add_creates_biases_on_last_axis():
    x = _randn(2, 3, 4, seed=1)
    with slim.Graph().as_default():
        y = slim.bias_add(tf.constant(x), initializer=tf.compat.v1.constant_initializer(0.5))
        assert _variables() == {"BiasAdd/biases": (4,)}
        np.testing.assert_allclose(y.numpy(), x + 0.5, rtol=1e-6)


def test_bias_add_nchw_adds_on_axis_1_then_activation():
    x = _randn(2, 3, 4, 4, seed=2)
    biases = np.array([-10.0, 0.0, 10.0], np.float32)
    with slim.Graph().as_default():
        y = slim.bias_add(
            tf.constant(x),
            activation_fn=tf.nn.relu,
            data_format="NCHW",
            initializer=tf.compat.v1.constant_initializer(biases),
            scope="b",
        )
        assert _variables() == {"b/biases": (3,)}
        np.testing.assert_allclose(
            y.numpy(), np.maximum(x + biases[None, :, None, None], 0), rtol=1e-6
        )


def test_bias_add_as_normalizer_nests_under_the_layer_scope():
    with slim.Graph().as_default():
        slim.conv2d(keras.Input((4, 4, 3)), 2, 3, normalizer_fn=slim.bias_add, scope="conv")
        assert set(_variables()) == {"conv/weights", "conv/BiasAdd/biases"}


def test_bias_add_errors_use_slim_messages():
    with slim.Graph().as_default():
        with pytest.raises(ValueError, match="data_format has to be either NCHW or NHWC."):
            slim.bias_add(keras.Input((3,)), data_format="NCW")
        with pytest.raises(ValueError, match="Data format NCHW only supports 4D Tensor"):
            slim.bias_add(keras.Input((3, 4)), data_format="NCHW")
        with pytest.raises(ValueError, match="`C` dimension must be known but is None"):
            slim.bias_add(keras.Input((3, None)))


def test_bias_add_reuse_and_regularizer():
    with slim.Graph().as_default():
        x = keras.Input((3,))
        slim.bias_add(x, regularizer=slim.l2_regularizer(0.5), scope="b")
        slim.bias_add(x, scope="b", reuse=True)
        assert _variables() == {"b/biases": (3,)}
        assert len(slim.losses.get_regularization_losses()) == 1
        with pytest.raises(ValueError, match="Variable b/biases already exists"):
            slim.bias_add(x, scope="b")


# ----------------------------------------------------------- one_hot_encoding


def test_one_hot_encoding_float32_from_int32_labels():
    with slim.Graph().as_default():
        y = slim.one_hot_encoding(tf.constant([0, 2], tf.int32), 3)
        assert y.dtype == tf.float32
        np.testing.assert_array_equal(y.numpy(), [[1, 0, 0], [0, 0, 1]])


def test_one_hot_encoding_on_keras_tensor_with_values_and_collection():
    with slim.Graph().as_default():
        labels = keras.Input((), dtype="int32")
        y = slim.one_hot_encoding(
            labels, 4, on_value=0.9, off_value=0.05, outputs_collections="end_points"
        )
        assert tuple(y.shape) == (None, 4)
        assert list(slim.utils.convert_collection_to_dict("end_points")) == ["OneHotEncoding"]
        out = keras.Model(labels, y)(tf.constant([3, 1])).numpy()
        np.testing.assert_allclose(out, [[0.05, 0.05, 0.05, 0.9], [0.05, 0.9, 0.05, 0.05]])
        with pytest.raises(TypeError, match="num_classes"):
            slim.one_hot_encoding(labels, tf.constant(4))


# -------------------------------------------------------------------- softmax


def test_softmax_over_last_axis_of_rank3():
    x = _randn(2, 3, 5, seed=3)
    with slim.Graph().as_default():
        y = slim.softmax(tf.constant(x))
        e = np.exp(x - x.max(-1, keepdims=True))
        np.testing.assert_allclose(y.numpy(), e / e.sum(-1, keepdims=True), rtol=1e-5)


def test_softmax_uses_uniquified_variable_scope_names():
    with slim.Graph().as_default():
        x = keras.Input((3, 4))
        y = slim.softmax(slim.softmax(x))
        z = slim.softmax(x, scope="probs")
        names = [layer.name for layer in keras.Model(x, [y, z]).layers[1:]]
        assert names == ["softmax", "softmax_1", "probs"]


def test_softmax_needs_rank_2():
    with slim.Graph().as_default():
        with pytest.raises(ValueError, match="rank of shape must be at least 2 not: 1"):
            slim.softmax(tf.constant([1.0, 2.0]))


# ------------------------------------------------------------------ unit_norm


def test_unit_norm_divides_by_sqrt_epsilon_plus_sum_of_squares():
    x = _randn(2, 3, 4, seed=4)
    with slim.Graph().as_default():
        y = slim.unit_norm(tf.constant(x), 1, epsilon=1e-3)
        expected = x / np.sqrt(1e-3 + (x**2).sum(1, keepdims=True))
        np.testing.assert_allclose(y.numpy(), expected, rtol=1e-5)


def test_unit_norm_errors_use_slim_messages():
    with slim.Graph().as_default():
        with pytest.raises(ValueError, match="dim must be positive but smaller than the input"):
            slim.unit_norm(keras.Input((3,)), 2)
        with pytest.raises(ValueError, match="dim must be positive but smaller than the input"):
            slim.unit_norm(keras.Input((3,)), -1)
        with pytest.raises(ValueError, match="The input rank must be known."):
            slim.unit_norm(tf.constant(1.0), 0)


# --------------------------------------------------------------------- maxout


def test_maxout_takes_max_over_consecutive_channel_groups():
    x = _randn(2, 3, 6, seed=5)
    with slim.Graph().as_default():
        y = slim.maxout(tf.constant(x), 2)
        np.testing.assert_array_equal(y.numpy(), x.reshape(2, 3, 2, 3).max(-1))


def test_maxout_on_inner_axis_uses_slims_reshape():
    x = _randn(2, 6, 4, seed=6)
    with slim.Graph().as_default():
        inputs = keras.Input((6, 4))
        y = slim.maxout(inputs, 3, axis=1)
        assert tuple(y.shape) == (None, 3, 4)
        out = keras.Model(inputs, y)(x).numpy()
        np.testing.assert_array_equal(out, x.reshape(2, 3, 4, 2).max(-1))


def test_maxout_rejects_non_divisor():
    with slim.Graph().as_default():
        with pytest.raises(
            ValueError, match=r"number of features\(6\) is not a multiple of num_units\(4\)"
        ):
            slim.maxout(keras.Input((6,)), 4)


# ------------------------------------------------------------ spatial_softmax


def _numpy_spatial_softmax(x, temperature):
    n, h, w, c = x.shape
    pos_x, pos_y = np.meshgrid(np.linspace(-1, 1, h), np.linspace(-1, 1, w), indexing="ij")
    feats = x.transpose(0, 3, 1, 2).reshape(n * c, h * w) / temperature
    attention = np.exp(feats - feats.max(1, keepdims=True))
    attention /= attention.sum(1, keepdims=True)
    ex = (attention * pos_x.reshape(-1)).sum(1)
    ey = (attention * pos_y.reshape(-1)).sum(1)
    return np.stack([ex, ey], 1).reshape(n, 2 * c)


def test_spatial_softmax_expected_positions_and_temperature_variable():
    x = _randn(2, 5, 6, 3, seed=7)
    with slim.Graph().as_default():
        y = slim.spatial_softmax(tf.constant(x), temperature=0.5)
        assert _variables() == {"spatial_softmax/temperature": ()}
        assert [v.path for v in slim.get_collection(slim.GraphKeys.TRAINABLE_VARIABLES)] == [
            "spatial_softmax/temperature"
        ]
        np.testing.assert_allclose(y.numpy(), _numpy_spatial_softmax(x, 0.5), rtol=1e-4, atol=1e-6)


def test_spatial_softmax_nchw_and_keras_tensor():
    x = _randn(2, 4, 3, 5, seed=8)
    with slim.Graph().as_default():
        inputs = keras.Input((5, 4, 3))
        y = slim.spatial_softmax(inputs, data_format="NCHW", name="kp", trainable=False)
        assert tuple(y.shape) == (None, 10)
        assert slim.get_collection(slim.GraphKeys.TRAINABLE_VARIABLES) == []
        out = keras.Model(inputs, y)(x.transpose(0, 3, 1, 2)).numpy()
        np.testing.assert_allclose(out, _numpy_spatial_softmax(x, 1.0), rtol=1e-4, atol=1e-6)


def test_spatial_softmax_errors():
    with slim.Graph().as_default():
        with pytest.raises(ValueError, match="data_format has to be either NCHW or NHWC."):
            slim.spatial_softmax(keras.Input((4, 4, 3)), data_format="NCW")
        with pytest.raises(ValueError, match="num_channels dimension"):
            slim.spatial_softmax(keras.Input((4, 4, None)))


# ------------------------------------------------ images <-> sequence


def test_images_to_sequence_and_back_round_trip():
    x = _randn(2, 3, 5, 4, seed=9)
    with slim.Graph().as_default():
        seq = slim.images_to_sequence(tf.constant(x))
        np.testing.assert_array_equal(seq.numpy(), x.transpose(2, 0, 1, 3).reshape(5, 6, 4))
        back = slim.sequence_to_images(seq, 3)
        np.testing.assert_array_equal(back.numpy(), x)
        first = slim.sequence_to_images(seq, 3, output_data_format="channels_first")
        np.testing.assert_array_equal(first.numpy(), x.transpose(0, 3, 1, 2))


def test_images_to_sequence_nchw_on_keras_tensors():
    x = _randn(2, 3, 5, 4, seed=10)
    with slim.Graph().as_default():
        inputs = keras.Input((4, 3, 5))
        seq = slim.images_to_sequence(inputs, data_format="NCHW")
        assert tuple(seq.shape) == (5, None, 4)
        images = slim.sequence_to_images(seq, 3)
        out = keras.Model(inputs, images)(x.transpose(0, 3, 1, 2)).numpy()
        np.testing.assert_array_equal(out, x)
        with pytest.raises(ValueError, match="data_format has to be either NCHW or NHWC."):
            slim.images_to_sequence(inputs, data_format="NWC")


# ------------------------------------------------------------- scale_gradient


def test_scale_gradient_is_identity_forward_and_scales_gradient_eagerly():
    x = tf.constant(_randn(3, 4, seed=11))
    multiplier = tf.constant(0.25)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = slim.scale_gradient(x, multiplier)
        loss = tf.reduce_sum(3.0 * y)
    np.testing.assert_array_equal(y.numpy(), x.numpy())
    np.testing.assert_allclose(tape.gradient(loss, x).numpy(), np.full((3, 4), 0.75))


def test_scale_gradient_on_keras_tensors_scales_gradient_of_model():
    with slim.Graph().as_default():
        inputs = keras.Input((4,))
        net = slim.fully_connected(inputs, 3, activation_fn=None, scope="fc")
        net = slim.scale_gradient(net, -2.0)
        model = keras.Model(inputs, net)
        x = tf.constant(_randn(2, 4, seed=12))
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(model(x))
        (grad,) = tape.gradient(loss, [model.get_layer("fc").biases_var])
        np.testing.assert_allclose(grad.numpy(), np.full(3, -4.0))
        with pytest.raises(TypeError, match="gradient_multiplier"):
            slim.scale_gradient(inputs, tf.constant(2.0))
