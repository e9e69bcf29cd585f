"""kslim.ops.keras_graph: walking the Keras functional graph."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from kslim.ops import keras_graph


def _graph():
    images = keras.Input((4,), name="images")
    labels = keras.Input((3,), name="labels")
    dense = keras.layers.Dense(3, name="fc")
    logits = dense(images)
    loss = keras.layers.Add(name="add")([logits, labels])
    return images, labels, dense, logits, loss


def test_producer_call_inputs_and_output_name_follow_the_call():
    images, _, dense, logits, _ = _graph()
    assert keras_graph.producer(logits) is dense
    assert keras_graph.call_inputs(logits) == [images]
    assert keras_graph.output_name(logits, "fallback") == "fc"
    assert keras_graph.producer(np.zeros(2)) is None
    assert keras_graph.output_name(np.zeros(2), "fallback") == "fallback"


def test_find_inputs_returns_each_input_the_tensors_depend_on_once():
    images, labels, _, logits, loss = _graph()
    found = keras_graph.find_inputs([loss, logits])
    assert sorted(t.name for t in found) == ["images", "labels"]
    assert keras_graph.find_inputs(logits) == [images]


def test_bound_inputs_matches_bindings_by_the_rule_asked():
    images, labels, _, logits, _ = _graph()
    data = tf.data.Dataset.from_tensors((np.zeros((1, 4)), np.zeros((1, 3))))
    bindings = [((images, labels), data)]
    # An eval model reading only the images may use a binding that also holds labels.
    assert keras_graph.bound_inputs([images], bindings, allow_unused=True) == (
        (images, labels),
        data,
    )
    # A train model must use every bound tensor.
    structure, bound = keras_graph.bound_inputs([images], bindings, allow_unused=False)
    assert structure is images and bound is None


def test_set_tracked_attributes_adds_variables_to_a_built_model():
    images, _, _, logits, _ = _graph()
    model = keras.Model(images, logits)
    extra = keras.Variable(1.0, name="extra")
    keras_graph.set_tracked_attributes(model, extra_variables=[extra])
    assert any(v is extra for v in model.weights)
