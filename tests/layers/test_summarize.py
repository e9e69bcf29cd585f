"""slim.summarize_* outside the parity harness: eager tensors, skipped dtypes, train outputs."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import kslim as slim


def test_summarize_tensor_of_an_eager_tensor_needs_a_tag():
    with slim.Graph().as_default():
        with pytest.raises(ValueError, match="pass tag="):
            slim.summarize_tensor(tf.ones([3]))
        tag, tensor, kind = slim.summarize_tensor(tf.ones([3]), tag="ones")
    assert (tag, kind) == ("ones", "histogram")


def test_summarize_tensor_skips_string_and_bool_tensors():
    with slim.Graph().as_default():
        assert slim.summarize_tensor(tf.constant(["a"]), tag="s") is None
        assert slim.summarize_tensor(keras.Input((2,), dtype="bool")) is None
        assert slim.get_collection(slim.GraphKeys.SUMMARIES) == []


def test_summarize_activation_summaries_become_train_op_outputs():
    with slim.Graph().as_default():
        x = keras.Input((4,), batch_size=2)
        net = slim.fully_connected(x, 3, activation_fn=tf.nn.relu6, scope="fc")
        slim.summarize_activation(net)
        entries = slim.get_collection(slim.GraphKeys.SUMMARIES)
        loss = slim.losses.mean_squared_error(net, tf.zeros([2, 3]))
        train_op = slim.learning.create_train_op(loss, keras.optimizers.SGD(0.1))
    assert [e[0] for e in entries] == ["fc/Relu6/zeros", "fc/Relu6/sixes", "fc/Relu6/activation"]
    for _, tensor, _ in entries:
        assert any(tensor is out for out in train_op.outputs)


def test_summarize_activation_of_a_tf_activation_on_keras_tensors_counts_zeros():
    with slim.Graph().as_default():
        x = keras.Input((4,), batch_size=2)
        slim.summarize_activation(tf.nn.relu(x))
        entries = slim.get_collection(slim.GraphKeys.SUMMARIES)
        kinds = [(e[0].rsplit("/", 1)[-1], e[2]) for e in entries]
        model = keras.Model(x, [e[1] for e in entries])
        zeros, _ = model(np.array([[-1.0, 2.0, -3.0, 4.0], [1.0, 0.0, -1.0, 5.0]], "float32"))
    assert kinds == [("zeros", "scalar"), ("activation", "histogram")]
    np.testing.assert_allclose(zeros, 3 / 8)  # slim's pre-activation < 0 (0.0 is not)
