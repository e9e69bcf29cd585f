"""The TF1 tensor API on kslim symbolic tensors and variables."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import kslim as slim


@pytest.fixture
def images():
    with slim.Graph().as_default():
        yield keras.Input((8, 8, 3), batch_size=2, name="images")


def test_get_shape_is_a_tensor_shape(images):
    shape = images.get_shape()
    assert isinstance(shape, tf.TensorShape)
    assert shape.as_list() == [2, 8, 8, 3]
    assert shape[1:3].as_list() == [8, 8]
    assert shape.is_fully_defined() and shape.ndims == 4


def test_shape_is_a_keras_tuple_with_tensor_shape_methods(images):
    shape = slim.conv2d(images, 4, 3).shape
    assert shape == (2, 8, 8, 4) and isinstance(shape, tuple)
    assert shape.as_list() == [2, 8, 8, 4]
    assert shape.ndims == 4 and shape.rank == 4
    assert shape[1:3].as_list() == [8, 8] and shape[-1] == 4
    assert shape.is_fully_defined() and shape.num_elements() == 2 * 8 * 8 * 4


def test_shape_with_unknown_batch_is_not_fully_defined():
    with slim.Graph().as_default():
        x = keras.Input((5,))
    assert x.shape.as_list() == [None, 5]
    assert not x.get_shape().is_fully_defined()
    with pytest.raises(ValueError):
        x.get_shape().assert_is_fully_defined()


def test_assert_has_rank_and_compatibility(images):
    images.get_shape().assert_has_rank(4)
    images.shape.assert_has_rank(4)
    images.get_shape().assert_is_compatible_with([None, 8, 8, 3])
    with pytest.raises(ValueError):
        images.get_shape().assert_has_rank(2)
    with pytest.raises(ValueError):
        images.shape.assert_is_compatible_with([2, 7, 8, 3])
    assert images.shape.merge_with([None, 8, None, 3]).as_list() == [2, 8, 8, 3]


def test_set_shape_refines_unknown_dimensions():
    with slim.Graph().as_default():
        x = keras.Input((None, None, 3))
        x.set_shape([None, 32, 32, 3])
        assert x.shape.as_list() == [None, 32, 32, 3]
        net = slim.conv2d(x, 4, 3, stride=2)
        assert net.get_shape().as_list() == [None, 16, 16, 4]
        with pytest.raises(ValueError):
            x.set_shape([None, 16, 32, 3])


def test_dtype_answers_tf_dtype_attributes(images):
    assert images.dtype == "float32" and images.dtype == tf.float32
    assert images.dtype.base_dtype == tf.float32
    assert images.dtype.is_floating and not images.dtype.is_integer
    assert images.dtype.as_numpy_dtype is np.float32
    assert tf.as_dtype(tf.cast(images, tf.int64).dtype) == tf.int64


def test_op_name_is_slims_op_name(images):
    relu = slim.conv2d(images, 4, 3, scope="conv1")
    linear = slim.conv2d(images, 4, 3, activation_fn=None, scope="conv2")
    relu6 = slim.fully_connected(slim.flatten(images), 3, activation_fn=tf.nn.relu6, scope="fc")
    assert relu.op.name == "conv1/Relu" and relu.name == "conv1/Relu:0"
    assert linear.op.name == "conv2/BiasAdd"
    assert relu6.op.name == "fc/Relu6"
    assert images.op.name == "images" and images.name == "images"
    assert tf.concat([relu, linear], 3).op.name == "concat"


def test_variable_op_name_is_its_slim_name(images):
    slim.conv2d(images, 4, 3, scope="conv1")
    names = [v.op.name for v in slim.get_model_variables()]
    assert names == ["conv1/weights", "conv1/biases"]


def test_graph_only_apis_say_what_to_do(images):
    with pytest.raises(AttributeError, match="TF1 graph API.*eagerly"):
        images.graph.get_operations()
    with pytest.raises(AttributeError, match="TF1 graph API"):
        images.eval()
    with pytest.raises(AttributeError, match="TF1 graph API"):
        _ = images.op.inputs


def test_python_control_flow_on_a_symbolic_value_says_what_to_do(images):
    with pytest.raises(TypeError, match=r"Python control flow on a symbolic value.*tf\.cond"):
        if tf.shape(images)[0] > 1:
            pass


def test_keras_layers_still_read_the_shape_as_a_tuple(images):
    model = keras.Sequential([keras.layers.Conv2D(2, 3), keras.layers.Flatten()])
    out = model(images)
    assert out.shape == (2, 72)
    assert keras.ops.reshape(out, (2, 8, 9)).shape.as_list() == [2, 8, 9]


@pytest.mark.parametrize(
    "product",
    [
        lambda x: x * 2.0,
        lambda x: 2.0 * x,
        lambda x: x * tf.constant(0.5),
        lambda x: x * np.float32(3.0),
    ],
    ids=["tensor_times_float", "float_times_tensor", "tensor_times_tf_tensor", "times_numpy"],
)
def test_dense_tensor_times_a_dense_value_is_dense_and_feeds_slim_layers(product):
    # Keras counts a number or tf.Tensor factor as sparse; the next slim layer was then
    # traced on a SparseTensor (NASNet's drop path: net * tf.cast(1 / keep_prob, ...)).
    with slim.Graph().as_default():
        x = keras.Input((4, 4, 2))
        y = product(x)
        assert not y.sparse
        pooled = slim.avg_pool2d(y, [2, 2])
        model = keras.Model(x, pooled)
        out = model(np.ones((1, 4, 4, 2), np.float32))
        expected = np.asarray(product(np.ones((1, 4, 4, 2), np.float32)))[:, ::2, ::2, :]
        np.testing.assert_allclose(np.asarray(out), expected)


def test_scaling_a_symbolic_tensor_by_a_number_keeps_it_dense(images):
    net = slim.conv2d(images, 4, 3)
    for scaled in (net * 0.5, 0.5 * net, net * np.float32(2.0), tf.constant(2.0) * net):
        assert not scaled.sparse
        assert slim.conv2d(scaled, 2, 1).shape == (2, 8, 8, 2)
    residual = net + 0.17 * slim.conv2d(net, 4, 1, activation_fn=None)
    model = keras.Model(images, slim.conv2d(residual, 2, 1))
    assert model(np.ones((2, 8, 8, 3), np.float32)).shape == (2, 8, 8, 2)


def test_op_of_an_eager_tensor_says_where_op_names_exist():
    with slim.Graph().as_default():
        net = slim.conv2d(tf.ones((1, 4, 4, 3)), 2, 3, scope="conv1")
    with pytest.raises(AttributeError, match=r"eager.*keras\.Input.*conv1/Relu"):
        _ = net.op.name
    assert not hasattr(net, "op")
