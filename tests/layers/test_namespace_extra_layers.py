"""gdn, dense_to_sparse, bucketize, poincare_normalize beyond the parity cases."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import kslim as slim

X = np.random.default_rng(0).standard_normal((2, 4, 4, 3)).astype("float32")


def test_gdn_channels_first_equals_channels_last_on_transposed_inputs():
    with slim.Graph().as_default():
        last = slim.gdn(tf.constant(X), name="last")
        first = slim.gdn(tf.constant(np.moveaxis(X, -1, 1)), data_format="channels_first")
    np.testing.assert_allclose(np.moveaxis(first.numpy(), 1, -1), last.numpy(), rtol=1e-5)


def test_gdn_model_round_trips_through_keras_file(tmp_path):
    with slim.Graph().as_default():
        inputs = keras.Input((4, 4, 3))
        model = keras.Model(inputs, slim.gdn(slim.gdn(inputs), inverse=True))
    for v in model.weights:
        v.assign(v.numpy() * 1.1)
    model.save(tmp_path / "gdn.keras")
    loaded = keras.models.load_model(tmp_path / "gdn.keras")
    assert sorted(v.path for v in loaded.weights) == [
        "gdn/reparam_beta",
        "gdn/reparam_gamma",
        "gdn_1/reparam_beta",
        "gdn_1/reparam_gamma",
    ]
    np.testing.assert_allclose(loaded(X), model(X), rtol=1e-6)


def test_gdn_activity_regularizer_joins_regularization_losses():
    with slim.Graph().as_default():
        inputs = keras.Input((4, 4, 3), batch_size=2)
        net = slim.gdn(inputs, activity_regularizer=lambda y: 0.5 * tf.reduce_sum(y * y))
        (penalty,) = slim.losses.get_regularization_losses()
        model = keras.Model(inputs, [net, penalty])
        out, value = model(X)
    np.testing.assert_allclose(value, 0.5 * np.sum(np.square(out)), rtol=1e-5)


def test_gdn_class_is_a_keras_layer_with_tf1_apply():
    layer = slim.GDN(inverse=True, name="igdn")
    out = layer.apply(tf.constant(X))
    assert [v.path for v in layer.weights] == ["igdn/reparam_beta", "igdn/reparam_gamma"]
    with slim.Graph().as_default():
        want = slim.gdn(tf.constant(X), inverse=True, name="igdn")
    np.testing.assert_allclose(out, want, rtol=1e-6)


def test_gdn_rejects_bad_data_format_and_rank():
    with slim.Graph().as_default():
        with pytest.raises(ValueError, match="data_format.*channels_middle"):
            slim.gdn(tf.constant(X), data_format="channels_middle")
        with pytest.raises(ValueError, match="rank 3 to 5"):
            slim.gdn(tf.ones([2, 3]))


def test_dense_to_sparse_on_keras_input_gives_a_sparse_model_output():
    labels = np.array([[1, 2, 0], [3, 0, 0]], "int32")
    with slim.Graph().as_default():
        inputs = keras.Input((3,), dtype="int32")
        sparse = slim.dense_to_sparse(inputs)
        assert sparse.sparse
        out = keras.Model(inputs, sparse)(labels)
    np.testing.assert_array_equal(tf.sparse.to_dense(out), labels)
    np.testing.assert_array_equal(out.indices, [[0, 0], [0, 1], [1, 0]])


def test_dense_to_sparse_rejects_a_non_integer_eos_token():
    with pytest.raises(TypeError, match="eos_token"):
        slim.dense_to_sparse(tf.constant([[1, 0]]), eos_token=0.5)


def test_bucketize_rejects_unsorted_or_non_numeric_boundaries():
    with pytest.raises(ValueError, match="sorted"):
        slim.bucketize(tf.constant([1.0]), [2.0, 1.0])
    with pytest.raises(TypeError, match="boundaries"):
        slim.bucketize(tf.constant([1.0]), ["a"])


def test_poincare_normalize_rejects_a_non_integer_axis():
    with pytest.raises(TypeError, match="axis"):
        slim.poincare_normalize(tf.ones([2, 2]), axis=0.5)
