"""kslim.nets.cifarnet: the options of the published CifarNet code.

Names, shapes and values against tf_slim are in test_zoo_reference.py.
"""

from __future__ import annotations

import keras
import numpy as np

import kslim as slim
from kslim.nets import cifarnet, nets_factory


def _build(**kwargs):
    images = keras.Input((32, 32, 3), batch_size=4)
    with slim.arg_scope(cifarnet.cifarnet_arg_scope()):
        net, end_points = cifarnet.cifarnet(images, **kwargs)
    return images, net, end_points


def test_nets_factory_has_cifarnet_with_default_image_size_32():
    assert nets_factory.networks_map["cifarnet"] is cifarnet.cifarnet
    assert nets_factory.arg_scopes_map["cifarnet"] is cifarnet.cifarnet_arg_scope
    assert nets_factory.get_network_fn("cifarnet", 10).default_image_size == 32


def test_no_num_classes_returns_the_fc4_features_without_a_logits_layer():
    with slim.Graph().as_default():
        _, net, end_points = _build(num_classes=0)
        assert net is end_points["fc4"] and net.shape == (4, 192)
        assert "Logits" not in end_points
        assert not slim.get_variables("CifarNet/logits")


def test_arg_scope_regularizes_the_fully_connected_weights_but_not_the_logits():
    with slim.Graph().as_default():
        _build(num_classes=10)
        names = [t.name for t in slim.losses.get_regularization_losses()]
        assert len(names) == 2
        assert all("fc3" in n or "fc4" in n for n in names), names


def test_dropout_is_active_only_when_training():
    x = np.random.default_rng(0).uniform(-1, 1, (4, 32, 32, 3)).astype(np.float32)
    for is_training, same in [(False, True), (True, False)]:
        with slim.Graph().as_default():
            images, net, end_points = _build(num_classes=10, is_training=is_training)
            model = keras.Model(images, end_points["Predictions"])
            a, b = np.asarray(model(x)), np.asarray(model(x))
            np.testing.assert_allclose(a.sum(axis=1), 1.0, rtol=1e-5)
            assert np.array_equal(a, b) == same
