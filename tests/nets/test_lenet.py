"""kslim.nets.lenet and nets_factory: shapes, end_points, slim variable names, parity.

The parity test runs the TF-Slim models repository's LeNet (tf_slim 1.1.0 does not ship
``nets/lenet.py``; the code below is that file's) with tf_slim in a subprocess, and
kslim's ``kslim.nets.lenet`` on the same weights and images.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

import kslim as slim
from kslim.nets import lenet as lenet_module
from kslim.nets import nets_factory

END_POINTS = {
    "conv1": (28, 28, 32),
    "pool1": (14, 14, 32),
    "conv2": (14, 14, 64),
    "pool2": (7, 7, 64),
    "Flatten": (3136,),
    "fc3": (1024,),
    "dropout3": (1024,),
    "Logits": (10,),
    "Predictions": (10,),
}

VARIABLES = [
    ("LeNet/conv1/weights", (5, 5, 1, 32)),
    ("LeNet/conv1/biases", (32,)),
    ("LeNet/conv2/weights", (5, 5, 32, 64)),
    ("LeNet/conv2/biases", (64,)),
    ("LeNet/fc3/weights", (3136, 1024)),
    ("LeNet/fc3/biases", (1024,)),
    ("LeNet/fc4/weights", (1024, 10)),
    ("LeNet/fc4/biases", (10,)),
]


def test_lenet_returns_logits_and_slims_end_points_in_order():
    with slim.Graph().as_default():
        images = keras.Input((28, 28, 1))
        logits, end_points = lenet_module.lenet(images)
    assert tuple(logits.shape) == (None, 10)
    assert list(end_points) == list(END_POINTS)
    assert {k: tuple(v.shape[1:]) for k, v in end_points.items()} == END_POINTS
    assert end_points["Logits"] is logits


def test_lenet_creates_slim_variable_names_and_shapes():
    with slim.Graph().as_default():
        lenet_module.lenet(keras.Input((28, 28, 1)))
        got = [(v.path, tuple(v.shape)) for v in slim.get_model_variables()]
        trainable = [v.path for v in slim.get_trainable_variables()]
    assert got == VARIABLES
    assert trainable == [name for name, _ in VARIABLES]


def test_lenet_scope_argument_renames_the_variables():
    with slim.Graph().as_default():
        lenet_module.lenet(keras.Input((28, 28, 1)), num_classes=3, scope="Digits")
        names = [v.path for v in slim.get_model_variables()]
    assert names[0] == "Digits/conv1/weights"
    assert names[-2:] == ["Digits/fc4/weights", "Digits/fc4/biases"]


def test_lenet_without_num_classes_returns_fc3_features():
    with slim.Graph().as_default():
        net, end_points = lenet_module.lenet(keras.Input((28, 28, 1)), num_classes=None)
        names = [v.path for v in slim.get_model_variables()]
    assert tuple(net.shape) == (None, 1024)
    assert net is end_points["fc3"]
    assert "Logits" not in end_points and "Predictions" not in end_points
    assert not any("fc4" in n for n in names)


def test_lenet_runs_eagerly_on_concrete_images_with_probabilities():
    with slim.Graph().as_default():
        images = tf.random.stateless_uniform([3, 28, 28, 1], seed=[1, 2])
        logits, end_points = lenet_module.lenet(images, num_classes=4)
    assert logits.shape == (3, 4)
    np.testing.assert_allclose(tf.reduce_sum(end_points["Predictions"], 1), np.ones(3), 1e-5)


def test_lenet_dropout_is_identity_unless_training():
    images = tf.random.stateless_uniform([2, 28, 28, 1], seed=[3, 4])
    with slim.Graph().as_default():
        x = keras.Input((28, 28, 1))
        _, end_points = lenet_module.lenet(x, is_training=False)
        model = keras.Model(x, [end_points["fc3"], end_points["dropout3"]])
        fc3, dropped = model(images)
    np.testing.assert_array_equal(fc3, dropped)
    with slim.Graph().as_default():
        x = keras.Input((28, 28, 1))
        _, end_points = lenet_module.lenet(x, is_training=True, dropout_keep_prob=0.5)
        model = keras.Model(x, [end_points["fc3"], end_points["dropout3"]])
        fc3, dropped = (np.asarray(t) for t in model(images, training=True))
    kept = dropped != 0
    assert 0 < kept.mean() < 1
    np.testing.assert_allclose(dropped[kept], fc3[kept] / 0.5, rtol=1e-5)


def test_lenet_arg_scope_adds_l2_weight_decay_on_weights_only():
    with slim.Graph().as_default():
        images = tf.random.stateless_uniform([1, 28, 28, 1], seed=[5, 6])
        with slim.arg_scope(lenet_module.lenet_arg_scope(weight_decay=0.01)):
            lenet_module.lenet(images)
        losses = slim.losses.get_regularization_losses()
        weights = slim.get_variables_by_suffix("weights")
        expected = sum(0.01 * float(tf.reduce_sum(tf.square(w))) / 2 for w in weights)
    assert len(losses) == 4
    np.testing.assert_allclose(float(tf.add_n(losses)), expected, rtol=1e-5)


def test_lenet_default_image_size_is_28():
    assert lenet_module.lenet.default_image_size == 28


def test_get_network_fn_applies_arg_scope_and_keeps_default_image_size():
    network_fn = nets_factory.get_network_fn("lenet", 5, weight_decay=0.001, is_training=True)
    assert network_fn.default_image_size == 28
    assert network_fn.__name__ == "lenet"
    with slim.Graph().as_default():
        logits, end_points = network_fn(keras.Input((28, 28, 1)))
        assert len(slim.losses.get_regularization_losses()) == 4
    assert tuple(logits.shape) == (None, 5)
    assert "Predictions" in end_points


def test_get_network_fn_unknown_name_raises_slims_message():
    with pytest.raises(ValueError, match="^Name of network unknown resnet_9000$"):
        nets_factory.get_network_fn("resnet_9000", 10)


def test_networks_map_accepts_a_new_network(monkeypatch):
    def tiny(images, num_classes=10, is_training=False, scope="Tiny"):
        with slim.variable_scope(scope):
            net = slim.flatten(images)
            return slim.fully_connected(net, num_classes, activation_fn=None, scope="fc"), {}

    def tiny_arg_scope(weight_decay=0.0):
        with slim.arg_scope([slim.fully_connected], biases_initializer=None) as sc:
            return sc

    monkeypatch.setitem(nets_factory.networks_map, "tiny", tiny)
    monkeypatch.setitem(nets_factory.arg_scopes_map, "tiny", tiny_arg_scope)
    with slim.Graph().as_default():
        logits, _ = nets_factory.get_network_fn("tiny", 3)(keras.Input((4, 4, 1)))
        names = [v.path for v in slim.get_variables()]
    assert tuple(logits.shape) == (None, 3)
    assert names == ["Tiny/fc/weights"]
    assert not hasattr(nets_factory.get_network_fn("tiny", 3), "default_image_size")


# The models repository's research/slim/nets/lenet.py, run with tf_slim.
TF_SLIM_LENET = """
def lenet(images, num_classes=10, is_training=False,
          dropout_keep_prob=0.5,
          prediction_fn=slim.softmax,
          scope='LeNet'):
  end_points = {}

  with variable_scope(scope, 'LeNet', [images]):
    net = end_points['conv1'] = slim.conv2d(images, 32, [5, 5], scope='conv1')
    net = end_points['pool1'] = slim.max_pool2d(net, [2, 2], 2, scope='pool1')
    net = end_points['conv2'] = slim.conv2d(net, 64, [5, 5], scope='conv2')
    net = end_points['pool2'] = slim.max_pool2d(net, [2, 2], 2, scope='pool2')
    net = slim.flatten(net)
    end_points['Flatten'] = net

    net = end_points['fc3'] = slim.fully_connected(net, 1024, scope='fc3')
    if not num_classes:
      return net, end_points
    net = end_points['dropout3'] = slim.dropout(
        net, dropout_keep_prob, is_training=is_training, scope='dropout3')
    logits = end_points['Logits'] = slim.fully_connected(
        net, num_classes, activation_fn=None, scope='fc4')

  end_points['Predictions'] = prediction_fn(logits, scope='Predictions')

  return logits, end_points


def lenet_arg_scope(weight_decay=0.0):
  with slim.arg_scope(
      [slim.conv2d, slim.fully_connected],
      weights_regularizer=slim.l2_regularizer(weight_decay),
      weights_initializer=tf.truncated_normal_initializer(stddev=0.1),
      activation_fn=tf.nn.relu) as sc:
    return sc

"""

RUN = """
with slim.arg_scope(lenet_arg_scope(weight_decay=0.004)):
  logits, end_points = lenet(x)
keys = sorted(end_points)
points = [end_points[k] for k in keys]
reg = slim.losses.get_regularization_losses()
"""

KSLIM_RUN = "from kslim.nets.lenet import lenet, lenet_arg_scope\n" + RUN


def _peer_harness():
    path = Path(__file__).resolve().parents[1] / "peer" / "conftest.py"
    spec = importlib.util.spec_from_file_location("_kslim_peer_harness_lenet", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve annotations through it
    spec.loader.exec_module(module)
    return module


@pytest.mark.peer
def test_lenet_matches_slims_lenet_run_with_tf_slim(tmp_path):
    harness = _peer_harness()
    images = np.random.default_rng(0).uniform(size=(2, 28, 28, 1)).astype(np.float32)
    case = harness.Case(
        id="lenet",
        code=KSLIM_RUN,
        tf_code=TF_SLIM_LENET.replace("tf.truncated", "tf.compat.v1.truncated") + RUN,
        inputs={"x": images},
        outputs=("logits", "points", "reg"),
        rtol=1e-4,
        atol=1e-5,
        ordered_variables=True,
    )
    reference = harness.run_tfslim([case], tmp_path)["lenet"]
    got = harness.run_kslim(case, reference)
    harness.assert_parity(case, reference, got)
    assert reference.variables == [name for name, _ in VARIABLES]
