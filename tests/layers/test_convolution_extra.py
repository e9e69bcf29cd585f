"""conv2d/conv3d_transpose, separable_conv2d and conv2d_in_plane: names, shapes, numerics."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import kslim as slim


def _variables(prefix: str = "") -> dict[str, tuple]:
    return {
        v.path: tuple(v.shape)
        for v in slim.get_collection(slim.GraphKeys.GLOBAL_VARIABLES)
        if v.path.startswith(prefix)
    }


def _value(name: str) -> np.ndarray:
    (variable,) = [
        v for v in slim.get_collection(slim.GraphKeys.GLOBAL_VARIABLES) if v.path == name
    ]
    return np.asarray(variable)


def _randn(*shape, seed=0) -> np.ndarray:
    return np.random.RandomState(seed).randn(*shape).astype(np.float32)


def _numpy_transpose_conv2d(x, w, stride, padding):
    """Scatter form of a 2-D transposed convolution; w is [kh, kw, Cout, Cin]."""
    n, h, wd, _ = x.shape
    kh, kw, cout, _ = w.shape
    full = np.zeros((n, (h - 1) * stride + kh, (wd - 1) * stride + kw, cout), np.float64)
    for i in range(h):
        for j in range(wd):
            patch = np.einsum("nc,abdc->nabd", x[:, i, j, :], w)
            full[:, i * stride : i * stride + kh, j * stride : j * stride + kw, :] += patch
    if padding == "VALID":
        out_h, out_w = h * stride + max(kh - stride, 0), wd * stride + max(kw - stride, 0)
        return full[:, :out_h, :out_w, :]
    pad_h, pad_w = max(kh - stride, 0) // 2, max(kw - stride, 0) // 2
    return full[:, pad_h : pad_h + h * stride, pad_w : pad_w + wd * stride, :]


def test_conv2d_transpose_names_weights_kh_kw_cout_cin_under_default_scope():
    with slim.Graph().as_default():
        slim.conv2d_transpose(keras.Input((6, 6, 3)), 4, [3, 2])
        slim.conv2d_transpose(keras.Input((6, 6, 3)), 5, 3)
        assert _variables() == {
            "Conv2d_transpose/weights": (3, 2, 4, 3),
            "Conv2d_transpose/biases": (4,),
            "Conv2d_transpose_1/weights": (3, 3, 5, 3),
            "Conv2d_transpose_1/biases": (5,),
        }


@pytest.mark.parametrize(
    "padding,stride,kernel,expected",
    [("SAME", 2, 3, (12, 12)), ("VALID", 2, [3, 2], (13, 12)), ("VALID", 1, 3, (8, 8))],
)
def test_conv2d_transpose_output_size_follows_padding(padding, stride, kernel, expected):
    with slim.Graph().as_default():
        y = slim.conv2d_transpose(keras.Input((6, 6, 3)), 4, kernel, stride=stride, padding=padding)
        assert tuple(y.shape) == (None, *expected, 4)


@pytest.mark.parametrize("padding", ["SAME", "VALID"])
def test_conv2d_transpose_matches_scatter_formula_eagerly(padding):
    x = _randn(2, 4, 5, 3, seed=1)
    with slim.Graph().as_default():
        y = slim.conv2d_transpose(
            tf.constant(x),
            4,
            [3, 2],
            stride=2,
            padding=padding,
            activation_fn=None,
            biases_initializer=tf.compat.v1.constant_initializer(0.25),
            scope="up",
        )
        expected = _numpy_transpose_conv2d(x, _value("up/weights"), 2, padding) + 0.25
        np.testing.assert_allclose(y.numpy(), expected, rtol=1e-5, atol=1e-5)


def test_conv2d_transpose_nchw_equals_nhwc_with_same_weights():
    x = _randn(2, 5, 5, 3, seed=2)
    with slim.Graph().as_default():
        nhwc = slim.conv2d_transpose(tf.constant(x), 4, 3, stride=2, scope="a")
        weights = _value("a/weights")
        nchw = slim.conv2d_transpose(
            tf.constant(x.transpose(0, 3, 1, 2)),
            4,
            3,
            stride=2,
            data_format="NCHW",
            weights_initializer=tf.compat.v1.constant_initializer(weights),
            scope="b",
        )
        assert tuple(nchw.shape) == (2, 4, 10, 10)
        np.testing.assert_allclose(
            nchw.numpy().transpose(0, 2, 3, 1), nhwc.numpy(), rtol=1e-5, atol=1e-6
        )


def test_conv2d_transpose_with_normalizer_drops_biases_and_nests_batch_norm():
    with slim.Graph().as_default():
        slim.conv2d_transpose(
            keras.Input((4, 4, 3)), 2, 3, normalizer_fn=slim.batch_norm, scope="up"
        )
        assert set(_variables()) == {
            "up/weights",
            "up/BatchNorm/beta",
            "up/BatchNorm/moving_mean",
            "up/BatchNorm/moving_variance",
        }


def test_conv2d_transpose_reuse_shares_weights_and_duplicate_scope_raises():
    with slim.Graph().as_default():
        x = keras.Input((4, 4, 3))
        a = slim.conv2d_transpose(x, 2, 3, scope="up")
        b = slim.conv2d_transpose(x, 2, 3, scope="up", reuse=True)
        assert a.shape == b.shape
        assert len(_variables()) == 2
        with pytest.raises(ValueError, match="Variable up/weights already exists"):
            slim.conv2d_transpose(x, 2, 3, scope="up")


def test_conv2d_transpose_rejects_bad_data_format_rank_and_num_outputs():
    with slim.Graph().as_default():
        x = keras.Input((4, 4, 3))
        with pytest.raises(ValueError, match="data_format has to be either NCHW or NHWC."):
            slim.conv2d_transpose(x, 2, 3, data_format="NDHWC")
        with pytest.raises(ValueError, match="num_outputs type should be one of"):
            slim.conv2d_transpose(x, 2.0, 3)
        with pytest.raises(ValueError, match="rank 4"):
            slim.conv2d_transpose(keras.Input((4, 3)), 2, 3)
        with pytest.raises(ValueError, match="padding"):
            slim.conv2d_transpose(x, 2, 3, padding="FULL")


def test_conv3d_transpose_default_scope_shape_and_formats():
    with slim.Graph().as_default():
        y = slim.conv3d_transpose(keras.Input((2, 3, 4, 3)), 5, [2, 2, 3], stride=2)
        assert tuple(y.shape) == (None, 4, 6, 8, 5)
        assert _variables() == {
            "Conv3d_transpose/weights": (2, 2, 3, 5, 3),
            "Conv3d_transpose/biases": (5,),
        }
        z = slim.conv3d_transpose(keras.Input((3, 2, 3, 4)), 5, 2, stride=2, data_format="NCDHW")
        assert tuple(z.shape) == (None, 5, 4, 6, 8)
        with pytest.raises(ValueError, match="data_format has to be either NCDHW or NDHWC."):
            slim.conv3d_transpose(keras.Input((2, 3, 4, 3)), 5, 2, data_format="NHWC")


def test_transpose_aliases_keep_slim_function_names():
    assert slim.conv2d_transpose is slim.convolution2d_transpose
    assert slim.conv3d_transpose is slim.convolution3d_transpose
    assert slim.conv2d_transpose.__name__ == "convolution2d_transpose"
    assert slim.separable_conv2d.__name__ == "separable_convolution2d"
    assert slim.conv2d_in_plane.__name__ == "convolution2d_in_plane"


def test_separable_conv2d_creates_depthwise_pointwise_and_biases():
    with slim.Graph().as_default():
        y = slim.separable_conv2d(keras.Input((6, 6, 3)), 5, [3, 2], depth_multiplier=2)
        assert tuple(y.shape) == (None, 6, 6, 5)
        assert _variables() == {
            "SeparableConv2d/depthwise_weights": (3, 2, 3, 2),
            "SeparableConv2d/pointwise_weights": (1, 1, 6, 5),
            "SeparableConv2d/biases": (5,),
        }


def test_separable_conv2d_without_num_outputs_is_depthwise_only():
    with slim.Graph().as_default():
        y = slim.separable_conv2d(
            keras.Input((6, 6, 3)), None, 3, depth_multiplier=2, stride=2, scope="dw"
        )
        assert tuple(y.shape) == (None, 3, 3, 6)
        assert _variables() == {"dw/depthwise_weights": (3, 3, 3, 2), "dw/biases": (6,)}


def test_separable_conv2d_matches_depthwise_then_pointwise_formula():
    x = _randn(2, 6, 6, 3, seed=3)
    with slim.Graph().as_default():
        y = slim.separable_conv2d(
            tf.constant(x),
            4,
            3,
            depth_multiplier=2,
            rate=2,
            activation_fn=None,
            biases_initializer=tf.compat.v1.constant_initializer(0.5),
            scope="s",
        )
        dw, pw = _value("s/depthwise_weights"), _value("s/pointwise_weights")
        depthwise = tf.nn.depthwise_conv2d(x, dw, [1, 1, 1, 1], "SAME", dilations=[2, 2])
        expected = tf.nn.conv2d(depthwise, pw, 1, "VALID") + 0.5
        np.testing.assert_allclose(y.numpy(), expected.numpy(), rtol=1e-5, atol=1e-5)


def test_separable_conv2d_pointwise_initializer_defaults_to_weights_initializer():
    with slim.Graph().as_default():
        slim.separable_conv2d(
            keras.Input((4, 4, 2)), 3, 3, weights_initializer=tf.compat.v1.constant_initializer(0.7)
        )
        slim.separable_conv2d(
            keras.Input((4, 4, 2)),
            3,
            3,
            weights_initializer=tf.compat.v1.constant_initializer(0.7),
            pointwise_initializer=tf.compat.v1.constant_initializer(-1.0),
        )
        np.testing.assert_allclose(_value("SeparableConv2d/pointwise_weights"), 0.7)
        np.testing.assert_allclose(_value("SeparableConv2d_1/pointwise_weights"), -1.0)
        np.testing.assert_allclose(_value("SeparableConv2d_1/depthwise_weights"), 0.7)


def test_separable_conv2d_nchw_equals_nhwc():
    x = _randn(2, 5, 5, 3, seed=4)
    with slim.Graph().as_default():
        nhwc = slim.separable_conv2d(tf.constant(x), 4, 3, scope="a")
        nchw = slim.separable_conv2d(
            tf.constant(x.transpose(0, 3, 1, 2)),
            4,
            3,
            data_format="NCHW",
            weights_initializer=tf.compat.v1.constant_initializer(_value("a/depthwise_weights")),
            pointwise_initializer=tf.compat.v1.constant_initializer(_value("a/pointwise_weights")),
            scope="b",
        )
        np.testing.assert_allclose(
            nchw.numpy().transpose(0, 2, 3, 1), nhwc.numpy(), rtol=1e-5, atol=1e-6
        )


def test_separable_conv2d_collections_dict_is_keyed_weights_and_biases():
    with slim.Graph().as_default():
        slim.separable_conv2d(
            keras.Input((4, 4, 2)),
            3,
            3,
            variables_collections={"weights": ["w"], "biases": ["b"]},
            weights_regularizer=slim.l2_regularizer(0.1),
        )
        assert [v.path for v in slim.get_collection("w")] == [
            "SeparableConv2d/depthwise_weights",
            "SeparableConv2d/pointwise_weights",
        ]
        assert [v.path for v in slim.get_collection("b")] == ["SeparableConv2d/biases"]
        assert len(slim.losses.get_regularization_losses()) == 2


def test_separable_conv2d_rejects_bad_data_format():
    with slim.Graph().as_default():
        with pytest.raises(ValueError, match="data_format has to be either NCHW or NHWC."):
            slim.separable_conv2d(keras.Input((4, 4, 2)), 3, 3, data_format="NCW")


def test_conv2d_in_plane_single_kernel_and_per_channel_biases():
    with slim.Graph().as_default():
        y = slim.conv2d_in_plane(keras.Input((6, 6, 3)), [2, 1])
        assert tuple(y.shape) == (None, 6, 6, 3)
        assert _variables() == {"ConvInPlane/weights": (2, 1, 1, 1), "ConvInPlane/biases": (3,)}


def test_conv2d_in_plane_applies_same_kernel_to_every_channel():
    x = _randn(2, 6, 7, 3, seed=5)
    with slim.Graph().as_default():
        y = slim.conv2d_in_plane(
            tf.constant(x), [2, 3], stride=2, padding="VALID", activation_fn=None, scope="grad"
        )
        w = _value("grad/weights")[:, :, 0, 0]
        out_h, out_w = (6 - 2) // 2 + 1, (7 - 3) // 2 + 1
        expected = np.zeros((2, out_h, out_w, 3), np.float64)
        for i in range(out_h):
            for j in range(out_w):
                patch = x[:, 2 * i : 2 * i + 2, 2 * j : 2 * j + 3, :]
                expected[:, i, j, :] = np.einsum("nabc,ab->nc", patch, w)
        np.testing.assert_allclose(y.numpy(), expected, rtol=1e-5, atol=1e-5)


def test_conv2d_in_plane_needs_rank_4_with_slim_message():
    with slim.Graph().as_default():
        with pytest.raises(ValueError, match="rank of shape must be at least 4 not: 3"):
            slim.conv2d_in_plane(keras.Input((4, 3)), 3)
