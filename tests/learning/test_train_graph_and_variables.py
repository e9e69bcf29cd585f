"""Variables made with slim.variable (no layer owns them) are trained, regularized and saved."""

import keras
import numpy as np
import tensorflow as tf

import kslim as slim


def _graph(logdir=None):
    x = np.random.RandomState(0).rand(64, 4).astype("float32")
    y = np.random.RandomState(1).rand(64, 1).astype("float32")
    a, b = slim.data.inputs(tf.data.Dataset.from_tensor_slices((x, y)).repeat().batch(16))
    scale = slim.variable(
        "scale",
        shape=[4],
        initializer=tf.compat.v1.ones_initializer(),
        regularizer=slim.l2_regularizer(0.5),
    )
    pred = slim.fully_connected(keras.ops.add(a, scale), 1, activation_fn=None, scope="fc")
    slim.losses.mean_squared_error(pred, b)
    return scale


def test_regularizer_of_slim_variable_is_a_regularization_loss():
    with slim.Graph().as_default():
        scale = _graph()
        (penalty,) = slim.losses.get_regularization_losses()
        model = keras.Model(slim.get_default_graph().bindings[0][0], penalty)
        value = float(model([np.zeros((1, 4), "float32"), np.zeros((1, 1), "float32")]))
        np.testing.assert_allclose(value, 0.5 * np.sum(scale.numpy() ** 2) / 2, rtol=1e-6)


def test_slim_variable_is_trained_and_checkpointed_by_learning_train(tmp_path):
    with slim.Graph().as_default():
        scale = _graph()
        train_op = slim.learning.create_train_op(
            slim.losses.get_total_loss(), keras.optimizers.SGD(0.1)
        )
        assert any(v is scale for v in train_op.trainable_weights)
        slim.learning.train(train_op, str(tmp_path), number_of_steps=3, log_every_n_steps=0)
        assert not np.allclose(scale.numpy(), 1.0)
        reader = tf.train.load_checkpoint(str(tmp_path))
        np.testing.assert_allclose(reader.get_tensor("scale"), scale.numpy())


def test_train_records_the_model_structure_as_graph_json(tmp_path):
    import json

    with slim.Graph().as_default():
        _graph()
        train_op = slim.learning.create_train_op(
            slim.losses.get_total_loss(), keras.optimizers.SGD(0.1)
        )
        slim.learning.train(train_op, str(tmp_path), number_of_steps=1, log_every_n_steps=0)
    config = json.loads((tmp_path / "graph.json").read_text())
    scopes = [layer["config"].get("scope") for layer in config["config"]["layers"]]
    assert "fc" in scopes
