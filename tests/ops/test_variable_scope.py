"""variable_scope: TF1's naming rules for slim layers (reference §13)."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import kslim as slim


def var_names(graph=None):
    graph = graph or slim.get_default_graph()
    return [v.path for v in graph.get_collection(slim.GraphKeys.MODEL_VARIABLES)]


def image(shape=(8, 8, 3)):
    return keras.Input(shape)


def test_default_scope_names_conv_then_conv_1():
    with slim.Graph().as_default():
        x = image()
        slim.conv2d(x, 4, [3, 3])
        slim.conv2d(x, 4, [3, 3])
        assert var_names() == ["Conv/weights", "Conv/biases", "Conv_1/weights", "Conv_1/biases"]


def test_conv1d_conv2d_conv3d_share_the_conv_counter():
    with slim.Graph().as_default():
        slim.conv1d(keras.Input((8, 3)), 2, 3)
        slim.conv2d(keras.Input((8, 8, 3)), 2, [3, 3])
        slim.conv3d(keras.Input((4, 4, 4, 3)), 2, [3, 3, 3])
        slim.convolution(keras.Input((8, 8, 3)), 2, [3, 3])
        layers = slim.get_default_graph().layers
        assert list(layers) == ["Conv", "Conv_1", "Conv_2", "Conv_3"]


def test_default_names_fully_connected_and_batch_norm():
    with slim.Graph().as_default():
        x = keras.Input((5,))
        slim.fully_connected(x, 3)
        slim.fully_connected(x, 3)
        slim.batch_norm(x)
        names = var_names()
    assert names[:4] == [
        "fully_connected/weights",
        "fully_connected/biases",
        "fully_connected_1/weights",
        "fully_connected_1/biases",
    ]
    assert "BatchNorm/beta" in names
    assert "BatchNorm/moving_mean" in names
    assert "BatchNorm/gamma" not in names


def test_normalizer_nests_under_the_layer_scope():
    with slim.Graph().as_default():
        slim.conv2d(image(), 4, [3, 3], normalizer_fn=slim.batch_norm, scope="convbn")
        names = var_names()
    assert "convbn/weights" in names
    assert "convbn/BatchNorm/beta" in names
    assert "convbn/biases" not in names


def test_default_names_nest_under_variable_scope():
    with slim.Graph().as_default():
        x = image()
        with slim.variable_scope("net"):
            slim.conv2d(x, 4, [3, 3])
            slim.conv2d(x, 4, [3, 3])
        slim.conv2d(x, 4, [3, 3])
        assert list(slim.get_default_graph().layers) == ["net/Conv", "net/Conv_1", "Conv"]
        assert var_names()[0] == "net/Conv/weights"


def test_explicit_scope_under_variable_scope():
    with slim.Graph().as_default():
        with slim.variable_scope("shared"):
            slim.conv2d(image(), 4, [3, 3], scope="c")
        assert var_names() == ["shared/c/weights", "shared/c/biases"]


def test_keras_variable_path_is_the_slim_name():
    with slim.Graph().as_default():
        x = image()
        with slim.variable_scope("vgg_16"), slim.variable_scope("conv1"):
            y = slim.conv2d(x, 4, [3, 3], scope="conv1_1")
        model = keras.Model(x, y)
    assert [w.path for w in model.weights] == [
        "vgg_16/conv1/conv1_1/weights",
        "vgg_16/conv1/conv1_1/biases",
    ]


def test_second_creation_without_reuse_raises_already_exists():
    with slim.Graph().as_default():
        x = image()
        with slim.variable_scope("shared"):
            slim.conv2d(x, 4, [3, 3], scope="c")
        with slim.variable_scope("shared"):
            with pytest.raises(ValueError) as err:
                slim.conv2d(x, 4, [3, 3], scope="c")
    assert str(err.value) == (
        "Variable shared/c/weights already exists, disallowed. Did you mean to set "
        "reuse=True or reuse=tf.AUTO_REUSE in VarScope?"
    )


def test_reuse_true_shares_the_keras_layer_and_its_variables():
    with slim.Graph().as_default():
        a = image()
        b = image()
        ya = slim.conv2d(a, 4, [3, 3], scope="c")
        yb = slim.conv2d(b, 4, [3, 3], scope="c", reuse=True)
        layer = slim.get_default_graph().get_layer("c")
        model = keras.Model([a, b], [ya, yb])
    assert ya._keras_history.operation is layer
    assert yb._keras_history.operation is layer
    assert len(model.weights) == 2
    x = np.random.RandomState(0).rand(2, 8, 8, 3).astype(np.float32)
    out_a, out_b = model([x, x])
    np.testing.assert_allclose(np.asarray(out_a), np.asarray(out_b))


def test_reuse_true_on_variable_scope_shares_layers():
    with slim.Graph().as_default():
        x = image()
        with slim.variable_scope("tower"):
            slim.conv2d(x, 4, [3, 3], scope="c")
        with slim.variable_scope("tower", reuse=True):
            slim.conv2d(x, 4, [3, 3], scope="c")
        assert list(slim.get_default_graph().layers) == ["tower/c"]
        assert len(var_names()) == 2


def test_reuse_true_eagerly_reuses_variables():
    with slim.Graph().as_default():
        x = tf.ones((1, 4, 4, 1))
        y1 = slim.conv2d(x, 2, [3, 3], scope="c")
        y2 = slim.conv2d(x, 2, [3, 3], scope="c", reuse=True)
        assert len(var_names()) == 2
    np.testing.assert_allclose(np.asarray(y1), np.asarray(y2))


def test_reuse_true_for_a_missing_scope_raises_does_not_exist():
    with slim.Graph().as_default():
        with pytest.raises(ValueError, match="Variable nope/weights does not exist"):
            slim.conv2d(image(), 4, [3, 3], scope="nope", reuse=True)


def test_reuse_true_without_a_name_raises():
    with slim.Graph().as_default():
        with pytest.raises(ValueError) as err:
            slim.conv2d(image(), 4, [3, 3], reuse=True)
        assert str(err.value) == "reuse=True cannot be used without a name_or_scope"
        with pytest.raises(ValueError, match="reuse=True cannot be used without a name_or_scope"):
            with slim.variable_scope(None, default_name="x", reuse=True):
                pass


def test_reentering_variable_scope_resets_default_name_counters():
    with slim.Graph().as_default():
        x = image()
        with slim.variable_scope("a"):
            slim.conv2d(x, 4, [3, 3])
            slim.conv2d(x, 4, [3, 3])
        with slim.variable_scope("a"):
            with pytest.raises(ValueError, match="Variable a/Conv/weights already exists"):
                slim.conv2d(x, 4, [3, 3])


def test_reentering_with_reuse_restarts_counters_and_reuses_layers():
    with slim.Graph().as_default():
        x = image()
        with slim.variable_scope("a"):
            first = [slim.conv2d(x, 4, [3, 3]), slim.conv2d(x, 4, [3, 3])]
        with slim.variable_scope("a", reuse=True):
            second = [slim.conv2d(x, 4, [3, 3]), slim.conv2d(x, 4, [3, 3])]
        graph = slim.get_default_graph()
        assert list(graph.layers) == ["a/Conv", "a/Conv_1"]
    for old, new, name in zip(first, second, ["a/Conv", "a/Conv_1"], strict=True):
        assert old._keras_history.operation is graph.get_layer(name)
        assert new._keras_history.operation is graph.get_layer(name)


def test_reentering_by_scope_object_keeps_names():
    with slim.Graph().as_default():
        x = image()
        with slim.variable_scope("outer") as sc:
            slim.conv2d(x, 4, [3, 3], scope="c")
        with slim.variable_scope("elsewhere"):
            with slim.variable_scope(sc, reuse=True) as again:
                assert again.name == "outer"
                slim.conv2d(x, 4, [3, 3], scope="c")
        assert list(slim.get_default_graph().layers) == ["outer/c"]


def test_auto_reuse_creates_then_reuses():
    with slim.Graph().as_default():
        x = image()
        for _ in range(3):
            with slim.variable_scope("tower", reuse=slim.AUTO_REUSE):
                slim.conv2d(x, 4, [3, 3], scope="c")
                slim.fully_connected(slim.flatten(x), 2, scope="fc")
        assert list(slim.get_default_graph().layers) == ["tower/c", "tower/fc"]
        assert len(var_names()) == 4


def test_reuse_is_inherited_by_inner_scopes():
    with slim.Graph().as_default():
        x = image()
        with slim.variable_scope("m"):
            with slim.variable_scope("inner"):
                slim.conv2d(x, 4, [3, 3], scope="c")
        with slim.variable_scope("m", reuse=True):
            with slim.variable_scope("inner") as sc:
                assert sc.reuse is True
                slim.conv2d(x, 4, [3, 3], scope="c")
        assert list(slim.get_default_graph().layers) == ["m/inner/c"]


def test_variable_scope_default_name_is_uniquified():
    with slim.Graph().as_default():
        with slim.variable_scope(None, default_name="block") as a:
            pass
        with slim.variable_scope(None, default_name="block") as b:
            pass
        assert (a.name, b.name) == ("block", "block_1")
        assert slim.get_variable_scope().name == ""


def test_variable_scope_rejects_bad_arguments():
    with slim.Graph().as_default():
        with pytest.raises(ValueError, match="default_name"):
            with slim.variable_scope(None):
                pass
        with pytest.raises(TypeError, match="name_or_scope"):
            with slim.variable_scope(3):
                pass


def test_name_scope_is_uniquified_and_does_not_rename_variables():
    with slim.Graph().as_default():
        with slim.name_scope("ns") as ns1:
            slim.conv2d(image(), 4, [3, 3], scope="inns")
        with slim.name_scope("ns") as ns2:
            pass
        assert (ns1, ns2) == ("ns/", "ns_1/")
        assert var_names() == ["inns/weights", "inns/biases"]


def test_tf_compat_v1_variable_scope_names_kslim_layers_like_slim():
    with slim.Graph().as_default():
        x = keras.Input((8, 8, 3))
        with tf.compat.v1.variable_scope("vgg_16", "vgg_16", [x]) as sc:
            collection = sc.original_name_scope + "end_points"
            with slim.arg_scope([slim.conv2d, slim.max_pool2d], outputs_collections=collection):
                net = slim.repeat(x, 2, slim.conv2d, 4, [3, 3], scope="conv1")
                net = slim.max_pool2d(net, [2, 2], scope="pool1")
            end_points = slim.utils.convert_collection_to_dict(collection)
        model = keras.Model(x, net)
    assert [v.path for v in model.weights] == [
        "vgg_16/conv1/conv1_1/weights",
        "vgg_16/conv1/conv1_1/biases",
        "vgg_16/conv1/conv1_2/weights",
        "vgg_16/conv1/conv1_2/biases",
    ]
    assert list(end_points) == ["vgg_16/conv1/conv1_1", "vgg_16/conv1/conv1_2", "vgg_16/pool1"]
