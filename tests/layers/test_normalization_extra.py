"""layer_norm, group_norm, instance_norm: names, slim's formulas and errors."""

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


def _normalize(x, axes, epsilon):
    x = x.astype(np.float64)
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + epsilon)


def test_layer_norm_default_normalizes_all_non_batch_axes_with_epsilon_1e_12():
    x = _randn(2, 3, 4, 5, seed=1)
    with slim.Graph().as_default():
        y = slim.layer_norm(tf.constant(x))
        assert _variables() == {"LayerNorm/beta": (5,), "LayerNorm/gamma": (5,)}
        np.testing.assert_allclose(y.numpy(), _normalize(x, (1, 2, 3), 1e-12), rtol=1e-4, atol=1e-5)


def test_layer_norm_epsilon_is_1e_12_not_keras_1e_3():
    # A constant row has zero variance: 1e-12 epsilon keeps tiny deviations huge.
    x = np.array([[1.0, 1.0, 1.0, 1.0 + 1e-3]], np.float32)
    with slim.Graph().as_default():
        y = slim.layer_norm(tf.constant(x), center=False, scale=False)
        np.testing.assert_allclose(y.numpy(), _normalize(x, (1,), 1e-12), rtol=1e-2)
        assert abs(float(y.numpy()[0, 3])) > 1.5


def test_layer_norm_params_axis_and_norm_axis():
    x = _randn(2, 3, 4, 5, seed=2)
    gamma = _randn(3, 4, 5, seed=3)
    with slim.Graph().as_default():
        inputs = keras.Input((3, 4, 5))
        y = slim.layer_norm(inputs, begin_norm_axis=-1, begin_params_axis=1, scope="ln")
        assert _variables() == {"ln/beta": (3, 4, 5), "ln/gamma": (3, 4, 5)}
        model = keras.Model(inputs, y)
        model.get_layer("ln").gamma.assign(gamma)
        expected = _normalize(x, (3,), 1e-12) * gamma
        np.testing.assert_allclose(model(x).numpy(), expected, rtol=1e-4, atol=1e-4)


def test_layer_norm_without_params_creates_no_variables_and_can_repeat_scope():
    x = _randn(2, 6, seed=4)
    with slim.Graph().as_default():
        slim.layer_norm(tf.constant(x), center=False, scale=False, scope="ln")
        slim.layer_norm(tf.constant(x), center=False, scale=False, scope="ln")
        inputs = keras.Input((6,))
        a = slim.layer_norm(inputs, center=False, scale=False, scope="kn")
        b = slim.layer_norm(a, center=False, scale=False, scope="kn")
        assert _variables() == {}
        model = keras.Model(inputs, b)
        assert [layer.name for layer in model.layers[1:]] == ["kn", "kn_1"]
        np.testing.assert_allclose(
            model(x).numpy(), _normalize(x, (1,), 1e-12), rtol=1e-3, atol=1e-4
        )


def test_layer_norm_activation_and_reuse():
    x = tf.constant(_randn(3, 6, seed=5))
    with slim.Graph().as_default():
        a = slim.layer_norm(x, activation_fn=tf.nn.relu, scope="ln")
        b = slim.layer_norm(x, activation_fn=tf.nn.relu, scope="ln", reuse=True)
        assert float(tf.reduce_min(a)) == 0.0
        np.testing.assert_array_equal(a.numpy(), b.numpy())
        assert len(_variables()) == 2
        with pytest.raises(ValueError, match="Variable ln/beta already exists"):
            slim.layer_norm(x, scope="ln")


def test_layer_norm_errors_follow_slim():
    with slim.Graph().as_default():
        with pytest.raises(ValueError, match=r"must be < rank\(inputs\) \(2\)"):
            slim.layer_norm(keras.Input((4,)), begin_norm_axis=2)
        with pytest.raises(ValueError, match="is not fully defined"):
            slim.layer_norm(keras.Input((None,)))


def test_group_norm_matches_slim_formula_and_names():
    x = _randn(2, 3, 3, 8, seed=6)
    with slim.Graph().as_default():
        y = slim.group_norm(tf.constant(x), groups=4)
        assert _variables() == {"GroupNorm/beta": (8,), "GroupNorm/gamma": (8,)}
        grouped = x.reshape(2, 3, 3, 4, 2)
        expected = _normalize(grouped, (1, 2, 4), 1e-6).reshape(x.shape)
        np.testing.assert_allclose(y.numpy(), expected, rtol=1e-4, atol=1e-5)


def test_group_norm_nchw_axes_with_gamma_and_beta():
    x = _randn(2, 6, 3, 4, seed=7)
    gamma, beta = _randn(6, seed=8), _randn(6, seed=9)
    with slim.Graph().as_default():
        y = slim.group_norm(
            tf.constant(x),
            groups=3,
            channels_axis=-3,
            reduction_axes=(-2, -1),
            param_initializers={
                "gamma": tf.compat.v1.constant_initializer(gamma),
                "beta": tf.compat.v1.constant_initializer(beta),
            },
        )
        grouped = x.reshape(2, 3, 2, 3, 4)
        normalized = _normalize(grouped, (2, 3, 4), 1e-6).reshape(x.shape)
        expected = normalized * gamma[None, :, None, None] + beta[None, :, None, None]
        np.testing.assert_allclose(y.numpy(), expected, rtol=1e-4, atol=1e-4)


def test_group_norm_mean_close_to_zero_gives_same_result():
    x = tf.constant(_randn(2, 4, 4, 4, seed=10))
    with slim.Graph().as_default():
        a = slim.group_norm(x, groups=2)
        b = slim.group_norm(x, groups=2, mean_close_to_zero=True)
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"groups": 16}, "Invalid groups 16 for 8 channels."),
        ({"groups": 3}, "8 channels is not commensurate with 3 groups."),
        (
            {"groups": 2, "channels_axis": -1, "reduction_axes": (-1, -2)},
            "reduction_axis must be mutually exclusive with channels_axis",
        ),
        ({"groups": 2, "channels_axis": 4}, "Axis is out of bounds."),
        ({"groups": 2, "reduction_axes": (4,)}, "Axis is out of bounds."),
    ],
)
def test_group_norm_errors_use_slim_messages(kwargs, message):
    with slim.Graph().as_default():
        with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(".", r"\.")):
            slim.group_norm(keras.Input((3, 3, 8)), **kwargs)
        assert _variables() == {}


def test_group_norm_default_groups_32():
    with slim.Graph().as_default():
        y = slim.group_norm(keras.Input((2, 2, 64)))
        assert tuple(y.shape) == (None, 2, 2, 64)
        with pytest.raises(ValueError, match="Invalid groups 32 for 16 channels."):
            slim.group_norm(keras.Input((2, 2, 16)))


def test_instance_norm_nhwc_per_example_and_channel():
    x = _randn(2, 4, 5, 3, seed=11)
    with slim.Graph().as_default():
        y = slim.instance_norm(tf.constant(x))
        assert _variables() == {"InstanceNorm/beta": (3,), "InstanceNorm/gamma": (3,)}
        np.testing.assert_allclose(y.numpy(), _normalize(x, (1, 2), 1e-6), rtol=1e-4, atol=1e-5)


def test_instance_norm_nchw_broadcasts_params_on_axis_1():
    x = _randn(2, 3, 4, 5, seed=12)
    beta = np.array([1.0, 2.0, 3.0], np.float32)
    with slim.Graph().as_default():
        y = slim.instance_norm(
            tf.constant(x),
            data_format="NCHW",
            scale=False,
            epsilon=1e-3,
            param_initializers={"beta": tf.compat.v1.constant_initializer(beta)},
        )
        assert _variables() == {"InstanceNorm/beta": (3,)}
        expected = _normalize(x, (2, 3), 1e-3) + beta[None, :, None, None]
        np.testing.assert_allclose(y.numpy(), expected, rtol=1e-4, atol=1e-4)


def test_instance_norm_rejects_other_data_format():
    with slim.Graph().as_default():
        with pytest.raises(ValueError, match="data_format has to be either NCHW or NHWC."):
            slim.instance_norm(keras.Input((4, 4, 3)), data_format="NCDHW")


def test_norms_on_keras_tensors_build_a_functional_graph():
    x = _randn(2, 4, 4, 8, seed=13)
    with slim.Graph().as_default():
        inputs = keras.Input((4, 4, 8))
        net = slim.layer_norm(inputs)
        net = slim.group_norm(net, groups=2)
        net = slim.instance_norm(net, activation_fn=tf.nn.relu)
        model = keras.Model(inputs, net)
        assert [w.path for w in model.weights] == [
            "LayerNorm/beta",
            "LayerNorm/gamma",
            "GroupNorm/beta",
            "GroupNorm/gamma",
            "InstanceNorm/beta",
            "InstanceNorm/gamma",
        ]
        out = model(x).numpy()
        expected = _normalize(x, (1, 2, 3), 1e-12)
        expected = _normalize(expected.reshape(2, 4, 4, 2, 4), (1, 2, 4), 1e-6).reshape(x.shape)
        expected = np.maximum(_normalize(expected, (1, 2), 1e-6), 0)
        np.testing.assert_allclose(out, expected, rtol=1e-3, atol=1e-4)
