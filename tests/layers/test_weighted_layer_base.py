"""The weighted layers (conv, conv-transpose, separable, in-plane, fc) share one base."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import kslim as slim
from kslim.layers.weighted import SHARED_ARGUMENTS, WeightedLayer

_SHARED_CONFIG = (
    "activation",
    "use_bias",
    "weights_initializer",
    "biases_initializer",
    "weights_regularizer",
    "biases_regularizer",
)

_CASES = {
    "conv2d": lambda x: slim.conv2d(x, 4, 3, scope="layer"),
    "conv2d_transpose": lambda x: slim.conv2d_transpose(x, 4, 3, stride=2, scope="layer"),
    "separable_conv2d": lambda x: slim.separable_conv2d(x, 4, 3, scope="layer"),
    "conv2d_in_plane": lambda x: slim.conv2d_in_plane(x, 3, scope="layer"),
    "fully_connected": lambda x: slim.fully_connected(x, 4, scope="layer"),
}


@pytest.mark.parametrize("name", sorted(_CASES))
def test_weighted_layer_config_round_trips_through_from_config(name):
    with slim.Graph().as_default():
        x = keras.Input((6, 6, 3), batch_size=2)
        out = _CASES[name](x)
        model = keras.Model(x, out)
    layer = model.get_layer("layer")
    assert isinstance(layer, WeightedLayer)
    config = layer.get_config()
    assert set(_SHARED_CONFIG) <= set(config)
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    clone.build(tuple(x.shape))
    assert [v.path for v in clone.weights] == [v.path for v in layer.weights]
    for source, target in zip(layer.weights, clone.weights, strict=True):
        target.assign(source)
    batch = np.random.default_rng(0).normal(size=(2, 6, 6, 3)).astype("float32")
    np.testing.assert_allclose(clone(batch), layer(batch), rtol=1e-6)


@pytest.mark.parametrize("name", sorted(_CASES))
def test_with_a_normalizer_the_layer_has_no_biases_and_no_activation(name):
    with slim.Graph().as_default():
        x = keras.Input((6, 6, 3), batch_size=2)
        with slim.arg_scope([getattr(slim, name)], normalizer_fn=slim.batch_norm):
            _CASES[name](x)
        layer = slim.get_default_graph().get_layer("layer")
    assert layer.biases_var is None
    assert layer.activation is None
    assert not layer.get_config()["use_bias"]


def test_every_weighted_layer_function_takes_the_shared_arguments():
    import inspect

    for fn in (
        slim.convolution,
        slim.conv2d,
        slim.conv2d_transpose,
        slim.conv3d_transpose,
        slim.separable_conv2d,
        slim.conv2d_in_plane,
        slim.fully_connected,
    ):
        parameters = inspect.signature(fn).parameters
        assert set(SHARED_ARGUMENTS) <= set(parameters), fn.__name__


def test_channels_first_conv_transposes_around_op_bias_and_activation():
    rng = np.random.default_rng(1)
    images = rng.normal(size=(2, 5, 5, 3)).astype("float32")
    biases = tf.constant_initializer(rng.normal(size=4))
    with slim.Graph().as_default():
        last = slim.conv2d(tf.constant(images), 4, 3, biases_initializer=biases, scope="last")
        first = slim.conv2d(
            tf.constant(np.moveaxis(images, -1, 1)),
            4,
            3,
            data_format="NCHW",
            biases_initializer=biases,
            weights_initializer=tf.constant_initializer(
                slim.get_default_graph().get_layer("last").weights_var.numpy()
            ),
            scope="first",
        )
    np.testing.assert_allclose(
        np.moveaxis(first.numpy(), 1, -1), last.numpy(), rtol=1e-5, atol=1e-6
    )
