"""repeat / stack naming, and a .keras round trip of a model using the newer layers."""

from __future__ import annotations

import functools

import keras
import numpy as np
import pytest
import tensorflow as tf

import kslim as slim


def _weight_names() -> list[str]:
    return [
        v.path
        for v in slim.get_collection(slim.GraphKeys.GLOBAL_VARIABLES)
        if v.path.endswith("weights")
    ]


def test_repeat_with_scope_names_inner_scopes_scope_i():
    with slim.Graph().as_default():
        net = slim.repeat(keras.Input((8, 8, 3)), 3, slim.conv2d, 4, [3, 3], scope="conv1")
        assert tuple(net.shape) == (None, 8, 8, 4)
        assert _weight_names() == [
            "conv1/conv1_1/weights",
            "conv1/conv1_2/weights",
            "conv1/conv1_3/weights",
        ]


def test_repeat_without_scope_uses_function_name_and_repeat_counter():
    assert slim.conv2d.__name__ == "convolution2d"
    with slim.Graph().as_default():
        x = keras.Input((4, 4, 3))
        net = slim.repeat(x, 2, slim.conv2d, 3, 1)
        net = slim.repeat(net, 1, slim.conv2d, 3, 1)
        slim.repeat(slim.flatten(net), 1, slim.relu, 5)
        assert _weight_names() == [
            "Repeat/convolution2d_1/weights",
            "Repeat/convolution2d_2/weights",
            "Repeat_1/convolution2d_1/weights",
            "Repeat_2/fully_connected_1/weights",
        ]


def test_repeat_of_object_without_name_falls_back_to_repeat():
    class Layer:
        def __call__(self, inputs, scope=None):
            return slim.fully_connected(inputs, 2, scope=scope)

    with slim.Graph().as_default():
        slim.repeat(keras.Input((3,)), 2, Layer())
        assert _weight_names() == ["Repeat/repeat_1/weights", "Repeat/repeat_2/weights"]


def test_repeat_inside_variable_scope_and_arg_scope():
    x = tf.constant(np.ones((1, 4, 4, 2), np.float32))
    with slim.Graph().as_default():
        with slim.arg_scope(
            [slim.conv2d],
            activation_fn=None,
            weights_initializer=tf.compat.v1.constant_initializer(0.5),
        ):
            with slim.variable_scope("vgg"):
                net = slim.repeat(x, 2, slim.conv2d, 2, [1, 1], scope="conv1")
        assert _weight_names() == ["vgg/conv1/conv1_1/weights", "vgg/conv1/conv1_2/weights"]
        # 1x1 convs of 0.5 over 2 channels: 1 -> 1 -> 1 (no relu under the arg_scope).
        np.testing.assert_allclose(net.numpy(), np.ones((1, 4, 4, 2)))


def test_repeat_reuse_shares_layers_of_the_same_scope():
    with slim.Graph().as_default():
        x = keras.Input((3,))
        a = slim.repeat(x, 2, slim.fully_connected, 3, scope="fc")
        b = slim.repeat(x, 2, slim.fully_connected, 3, scope="fc", reuse=True)
        assert a.shape == b.shape
        assert _weight_names() == ["fc/fc_1/weights", "fc/fc_2/weights"]
        with pytest.raises(ValueError, match="Variable fc/fc_1/weights already exists"):
            slim.repeat(x, 2, slim.fully_connected, 3, scope="fc")


def test_repeat_rejects_non_int_repetitions_and_non_callable_layer():
    with slim.Graph().as_default():
        with pytest.raises(TypeError, match="repetitions must be an int, got '2'"):
            slim.repeat(keras.Input((3,)), "2", slim.fully_connected, 3)
        with pytest.raises(TypeError, match="layer must be callable"):
            slim.repeat(keras.Input((3,)), 2, "fully_connected", 3)


def test_stack_with_scope_and_scalar_args():
    with slim.Graph().as_default():
        net = slim.stack(keras.Input((5,)), slim.fully_connected, [32, 64], scope="fc")
        assert tuple(net.shape) == (None, 64)
        assert _weight_names() == ["fc/fc_1/weights", "fc/fc_2/weights"]


def test_stack_tuple_args_become_positional_and_default_scope_is_stack():
    with slim.Graph().as_default():
        x = keras.Input((6, 6, 3))
        net = slim.stack(x, slim.conv2d, [(4, [3, 3]), (6, [1, 1], 2)], scope="core")
        assert tuple(net.shape) == (None, 3, 3, 6)
        slim.stack(slim.flatten(net), slim.fully_connected, (3,))
        slim.stack(slim.flatten(net), functools.partial(slim.fully_connected, num_outputs=2), [()])
        assert _weight_names() == [
            "core/core_1/weights",
            "core/core_2/weights",
            "Stack/fully_connected_1/weights",
            "Stack_1/fully_connected_1/weights",
        ]


def test_stack_args_must_be_list_or_tuple():
    with slim.Graph().as_default():
        with pytest.raises(ValueError, match="^stack_args need to be a list or tuple$"):
            slim.stack(keras.Input((5,)), slim.fully_connected, 6)


def test_model_of_new_layers_round_trips_through_keras_file(tmp_path):
    rng = np.random.RandomState(0)
    x = rng.randn(2, 8, 8, 3).astype(np.float32)
    with slim.Graph().as_default():
        inputs = keras.Input((8, 8, 3))
        net = slim.separable_conv2d(inputs, 8, 3, depth_multiplier=2, scope="sep")
        net = slim.conv2d_in_plane(net, [2, 2], scope="plane")
        net = slim.group_norm(net, groups=4)
        net = slim.repeat(
            net, 2, slim.conv2d_transpose, 4, 3, normalizer_fn=slim.layer_norm, scope="up"
        )
        net = slim.instance_norm(net, activation_fn=tf.nn.relu)
        net = slim.bias_add(net)
        net = slim.maxout(net, 2)
        net = slim.scale_gradient(net, 0.5)
        keypoints = slim.spatial_softmax(net, temperature=2.0)
        probs = slim.softmax(slim.stack(keypoints, slim.fully_connected, [6, 5], scope="fc"))
        seq = slim.images_to_sequence(net)
        images = slim.unit_norm(slim.sequence_to_images(seq, 8), 3)
        model = keras.Model(inputs, [probs, images])
        expected = [o.numpy() for o in model(x)]
        names = sorted(w.path for w in model.weights)
        assert "up/up_2/LayerNorm/gamma" in names and "sep/pointwise_weights" in names

        path = str(tmp_path / "x.keras")
        model.save(path)
    loaded = keras.models.load_model(path)
    assert sorted(w.path for w in loaded.weights) == names
    for got, want in zip(loaded(x), expected, strict=True):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-6, atol=1e-6)
