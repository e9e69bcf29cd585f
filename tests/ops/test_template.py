"""make_template: slim model functions as Keras layers that share their variables."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import kslim as slim


def _net(x):
    x = slim.conv2d(x, 4, [3, 3], weights_regularizer=slim.l2_regularizer(0.1), scope="conv1")
    x = slim.flatten(x)
    return slim.fully_connected(x, 3, activation_fn=None, scope="fc")


X = np.random.RandomState(0).rand(2, 6, 6, 1).astype("float32")


def test_template_second_call_reuses_variables_of_first():
    t = slim.make_template("net", _net)
    a = t(X)
    b = t(X)
    assert [v.path for v in t.weights] == [
        "net/conv1/weights",
        "net/conv1/biases",
        "net/fc/weights",
        "net/fc/biases",
    ]
    np.testing.assert_array_equal(a, b)


def test_template_collects_regularization_losses_as_keras_losses():
    t = slim.make_template("net", _net)
    t(X)
    assert len(t.losses) == 1
    w = t.weights[0].numpy()
    np.testing.assert_allclose(float(t.losses[0]), 0.1 * np.sum(w**2) / 2, rtol=1e-5)


def test_template_in_sequential_trains_with_fit():
    model = keras.Sequential([keras.Input((6, 6, 1)), slim.make_template("tower", _net)])
    before = [v.numpy().copy() for v in model.trainable_weights]
    model.compile("sgd", "mse")
    model.fit(X, np.ones((2, 3)), epochs=2, verbose=0)
    assert any(
        not np.allclose(b, v.numpy()) for b, v in zip(before, model.trainable_weights, strict=True)
    )
    assert model.weights[0].path == "tower/conv1/weights"


def test_template_in_subclassed_model_shares_variables_between_calls():
    class Siamese(keras.Model):
        def __init__(self):
            super().__init__()
            self.tower = slim.make_template("shared", _net)

        def call(self, x):
            return self.tower(x) - self.tower(x)

    model = Siamese()
    out = model(X)
    assert len(model.weights) == 4
    np.testing.assert_array_equal(out, np.zeros_like(out))


def test_template_inside_tf_function_matches_eager():
    t = slim.make_template("net", _net)
    eager = t(X)
    traced = tf.function(lambda x: t(x))(X)
    np.testing.assert_allclose(eager, traced, rtol=1e-6)


def test_template_binds_keyword_arguments():
    def scaled(x, factor):
        return slim.fully_connected(x, 2, scope="fc") * factor

    t = slim.make_template("s", scaled, factor=0.0)
    assert np.all(t(np.ones((1, 3), "float32")).numpy() == 0)


def test_template_rejects_custom_getter_and_bad_names():
    with pytest.raises(ValueError, match="custom_getter_"):
        slim.make_template("n", _net, custom_getter_=lambda *a, **k: None)
    with pytest.raises(ValueError, match="name_"):
        slim.make_template("a/b", _net)
    with pytest.raises(TypeError, match="func_"):
        slim.make_template("n", 3)
