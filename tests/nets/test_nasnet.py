"""NASNet / PNASNet options (the published variables and parity: test_zoo_reference.py)."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import kslim as slim
from kslim.nets import nasnet, nasnet_utils, nets_factory, pnasnet

SMALL = {"num_cells": 3, "num_conv_filters": 8}


def _build(fn, scope_fn, size, **kwargs):
    images = keras.Input((size, size, 3), batch_size=2)
    with slim.arg_scope(scope_fn()):
        logits, end_points = fn(images, 10, **kwargs)
    return images, logits, end_points


def _paths(variables):
    return [v.path for v in variables]


def test_config_dict_overrides_the_default_hparams_and_unknown_names_raise():
    hparams = nasnet._resolve_hparams(SMALL, nasnet.cifar_config, is_training=True)
    assert hparams.num_cells == 3 and hparams.num_conv_filters == 8
    assert hparams.drop_path_keep_prob == 0.6  # untouched default
    assert nasnet._resolve_hparams(None, nasnet.cifar_config, False).drop_path_keep_prob == 1.0
    config = nasnet.mobile_imagenet_config()
    resolved = nasnet._resolve_hparams(config, nasnet.mobile_imagenet_config, False)
    assert resolved is not config and config.drop_path_keep_prob == 1.0
    with pytest.raises(ValueError, match="Unknown hparam 'num_cell'"):
        nasnet._resolve_hparams({"num_cell": 3}, nasnet.cifar_config, True)


def test_inference_build_has_no_aux_head_and_no_drop_path_global_step():
    with slim.Graph().as_default():
        _, logits, end_points = _build(
            nasnet.build_nasnet_cifar,
            nasnet.nasnet_cifar_arg_scope,
            32,
            is_training=False,
            config=SMALL,
        )
        names = _paths(slim.get_variables())
    assert "AuxLogits" not in end_points and list(logits.shape) == [2, 10]
    assert not any("aux_" in n or n.endswith("global_step") for n in names)


def test_training_build_names_the_drop_path_global_step_in_the_first_cell():
    with slim.Graph().as_default():
        _build(nasnet.build_nasnet_cifar, nasnet.nasnet_cifar_arg_scope, 32, config=SMALL)
        steps = [n for n in _paths(slim.get_variables()) if n.endswith("global_step")]
        assert steps == ["cell_0/comb_iter_0/left/global_step"]
        assert slim.get_global_step().path == steps[0]


def test_final_endpoint_stops_the_build_there():
    with slim.Graph().as_default():
        _, net, end_points = _build(
            pnasnet.build_pnasnet_mobile,
            pnasnet.pnasnet_mobile_arg_scope,
            96,
            final_endpoint="Cell_0",
            config=SMALL,
        )
        names = _paths(slim.get_variables())
    assert list(end_points) == ["Stem", "Cell_0"]
    assert net is end_points["Cell_0"]
    assert not any(n.startswith(("cell_1/", "final_layer/")) for n in names)


def test_bounded_activation_keeps_the_variables_and_changes_the_activations():
    def build(bounded):
        with slim.Graph().as_default():
            images, _, end_points = _build(
                nasnet.build_nasnet_mobile,
                nasnet.nasnet_mobile_arg_scope,
                96,
                is_training=False,
                config=dict(SMALL, use_bounded_activation=bounded),
            )
            model = keras.Model(images, end_points["Cell_2"])
            out = model(np.full((2, 96, 96, 3), 50.0, np.float32))
            return _paths(slim.get_variables()), np.asarray(out)

    plain_names, plain = build(False)
    bounded_names, bounded = build(True)
    assert bounded_names == plain_names
    # relu6 and clipping inside the branches; the cell output also holds the reduced
    # previous layer (a batch norm output), which is not clipped.
    assert np.abs(plain).max() > nasnet_utils.CLIP_BY_VALUE_CAP
    assert not np.allclose(bounded, plain)


def test_current_step_tensor_drives_the_drop_path_schedule():
    # keep prob 0.01 at full strength: at step >= total_training_steps most examples of
    # a drop-path branch are dropped; at step 0 nothing is.
    config = dict(SMALL, drop_path_keep_prob=0.01, total_training_steps=10)
    with slim.Graph().as_default():
        images = keras.Input((32, 32, 3), batch_size=8)
        step = keras.Input(batch_shape=(), dtype="int64")
        with slim.arg_scope(nasnet.nasnet_cifar_arg_scope()):
            _, end_points = nasnet.build_nasnet_cifar(
                images, 10, is_training=True, config=config, current_step=step
            )
        names = _paths(slim.get_variables())
        model = keras.Model([images, step], end_points["Cell_0"])
    assert not any(n.endswith("global_step") for n in names)
    x = np.random.default_rng(0).uniform(-1, 1, (8, 32, 32, 3)).astype(np.float32)
    at_start = [np.asarray(model([x, np.int64(0)])) for _ in range(2)]
    np.testing.assert_allclose(at_start[0], at_start[1], rtol=1e-5, atol=1e-5)
    late = [np.asarray(model([x, np.int64(100)])) for _ in range(3)]
    assert any(not np.allclose(late[0], other, atol=1e-5) for other in late[1:])


@pytest.mark.parametrize(
    "name, size",
    [
        ("nasnet_cifar", 32),
        ("nasnet_mobile", 224),
        ("nasnet_large", 331),
        ("pnasnet_mobile", 224),
        ("pnasnet_large", 331),
    ],
)
def test_nets_factory_registers_the_net_with_its_default_image_size(name, size):
    fn = nets_factory.get_network_fn(name, num_classes=10, is_training=False)
    assert fn.default_image_size == size
    assert nets_factory.networks_map[name].default_image_size == size


def test_drop_path_is_the_identity_outside_training():
    x = tf.ones((2, 4, 4, 3))
    np.testing.assert_array_equal(nasnet_utils.drop_path(x, 0.5, is_training=False), x)
