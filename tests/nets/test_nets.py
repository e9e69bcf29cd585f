"""kslim.nets behaviours that need no tf_slim: graphs that save, eager use, slim's errors.

The nets are built small (tiny custom ResNet blocks, low Inception depth multipliers) so
the module stays fast; parity with tf_slim is in test_parity_nets.py.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import kslim as slim
from kslim.nets import (
    inception,
    inception_utils,
    inception_v1,
    inception_v2,
    inception_v3,
    nets_factory,
    resnet_utils,
    resnet_v1,
    resnet_v2,
    vgg,
)


def _tiny_blocks(block_fn):
    return [
        block_fn("block1", base_depth=2, num_units=2, stride=2),
        block_fn("block2", base_depth=4, num_units=1, stride=1),
    ]


def _inputs(shape):
    return np.random.default_rng(0).uniform(-1, 1, shape).astype(np.float32)


def _save_and_reload(model, path, x):
    model.save(path)
    loaded = keras.saving.load_model(path)
    expected = model(x, training=False)
    got = loaded(x, training=False)
    for e, g in zip(tf.nest.flatten(expected), tf.nest.flatten(got), strict=True):
        np.testing.assert_allclose(np.asarray(g), np.asarray(e), rtol=1e-5, atol=1e-5)
    return loaded


def test_resnet_v1_50_graph_saves_and_reloads_as_keras_file(tmp_path):
    with slim.Graph().as_default():
        x = keras.Input((32, 32, 3), batch_size=1)
        with slim.arg_scope(resnet_v1.resnet_arg_scope()):
            net, end_points = resnet_v1.resnet_v1_50(x, 10, is_training=False)
        model = keras.Model(x, [net, end_points["predictions"]])
    loaded = _save_and_reload(model, tmp_path / "resnet_v1_50.keras", _inputs((1, 32, 32, 3)))
    assert {v.path for v in loaded.weights} == {v.path for v in model.weights}


def test_inception_v2_graph_with_concat_and_squeeze_saves_and_reloads(tmp_path):
    with slim.Graph().as_default():
        x = keras.Input((64, 64, 3), batch_size=2)
        with slim.arg_scope(inception_v2.inception_v2_arg_scope()):
            logits, _ = inception_v2.inception_v2(x, 5, is_training=False, depth_multiplier=0.1)
        model = keras.Model(x, logits)
    _save_and_reload(model, tmp_path / "inception_v2.keras", _inputs((2, 64, 64, 3)))


@pytest.mark.slow
def test_vgg_16_graph_saves_and_reloads_as_keras_file(tmp_path):
    with slim.Graph().as_default():
        x = keras.Input((224, 224, 3), batch_size=1)
        with slim.arg_scope(vgg.vgg_arg_scope()):
            logits, _ = vgg.vgg_16(x, 10, is_training=False)
        model = keras.Model(x, logits)
    _save_and_reload(model, tmp_path / "vgg_16.keras", _inputs((1, 224, 224, 3)))


def test_resnet_runs_eagerly_on_tensors_and_reuses_its_variables():
    blocks = _tiny_blocks(resnet_v2.resnet_v2_block)
    x = tf.constant(_inputs((2, 16, 16, 3)))
    with slim.Graph().as_default():
        with slim.arg_scope(resnet_v2.resnet_arg_scope()):
            net, end_points = resnet_v2.resnet_v2(x, blocks, 4, is_training=False, scope="r")
            count = len(slim.get_variables())
            again, _ = resnet_v2.resnet_v2(x, blocks, 4, is_training=False, reuse=True, scope="r")
        assert len(slim.get_variables()) == count
    assert isinstance(net, tf.Tensor) and net.shape == (2, 1, 1, 4)
    np.testing.assert_allclose(again.numpy(), net.numpy(), rtol=1e-6)
    np.testing.assert_allclose(end_points["predictions"].numpy().sum(-1), 1.0, rtol=1e-5)


def test_resnet_end_points_are_full_paths_with_bare_predictions():
    with slim.Graph().as_default():
        x = keras.Input((16, 16, 3), batch_size=1)
        with slim.arg_scope(resnet_v1.resnet_arg_scope()):
            net, end_points = resnet_v1.resnet_v1(
                x, _tiny_blocks(resnet_v1.resnet_v1_block), 3, scope="tiny"
            )
    assert list(end_points)[:2] == ["tiny/conv1", "tiny/block1/unit_1/bottleneck_v1/shortcut"]
    assert "tiny/block1/unit_2/bottleneck_v1" in end_points
    assert "tiny/block2" in end_points
    assert list(end_points)[-2:] == ["tiny/logits", "predictions"]
    assert net.shape == (1, 1, 1, 3)  # resnet logits are not squeezed


def test_resnet_without_classes_or_global_pool_returns_dense_features():
    with slim.Graph().as_default():
        x = keras.Input((33, 33, 3), batch_size=1)
        with slim.arg_scope(resnet_v1.resnet_arg_scope()):
            net, end_points = resnet_v1.resnet_v1(
                x,
                _tiny_blocks(resnet_v1.resnet_v1_block),
                None,
                global_pool=False,
                output_stride=4,
            )
    assert net.shape == (1, 9, 9, 16)  # stride 4: the block stride became atrous
    assert "predictions" not in end_points


@pytest.mark.parametrize(
    "output_stride, message",
    [
        (6, "The output_stride needs to be a multiple of 4."),
        (32, "The target output_stride cannot be reached."),
    ],
)
def test_resnet_rejects_unreachable_output_stride(output_stride, message):
    with slim.Graph().as_default():
        x = keras.Input((16, 16, 3), batch_size=1)
        with pytest.raises(ValueError, match=message):
            resnet_v1.resnet_v1(
                x, _tiny_blocks(resnet_v1.resnet_v1_block), output_stride=output_stride
            )


def test_resnet_is_training_through_arg_scope_updates_moving_averages():
    x = _inputs((4, 16, 16, 3))
    moved = {}
    for is_training in (True, False):
        with slim.Graph().as_default():
            inputs = keras.Input((16, 16, 3), batch_size=4)
            with slim.arg_scope(resnet_v1.resnet_arg_scope()):
                net, _ = resnet_v1.resnet_v1(
                    inputs,
                    _tiny_blocks(resnet_v1.resnet_v1_block),
                    2,
                    is_training=is_training,
                )
            model = keras.Model(inputs, net)
            (mean,) = slim.get_variables("resnet_v1/conv1/BatchNorm/moving_mean")
            before = mean.numpy().copy()
            model(x, training=True)
            moved[is_training] = not np.allclose(mean.numpy(), before)
    assert moved == {True: True, False: False}


def test_resnet_built_with_is_training_none_follows_keras_training_flag():
    x = _inputs((4, 16, 16, 3))
    with slim.Graph().as_default():
        inputs = keras.Input((16, 16, 3), batch_size=4)
        with slim.arg_scope(resnet_v1.resnet_arg_scope()):
            net, _ = resnet_v1.resnet_v1(
                inputs, _tiny_blocks(resnet_v1.resnet_v1_block), 2, is_training=None
            )
        model = keras.Model(inputs, net)
        (mean,) = slim.get_variables("resnet_v1/conv1/BatchNorm/moving_mean")
        before = mean.numpy().copy()
        model(x, training=False)
        np.testing.assert_array_equal(mean.numpy(), before)
        model(x, training=True)
        assert not np.allclose(mean.numpy(), before)


def test_subsample_takes_every_factor_th_pixel():
    x = tf.reshape(tf.range(25, dtype=tf.float32), (1, 5, 5, 1))
    out = resnet_utils.subsample(x, 2)
    np.testing.assert_array_equal(out.numpy()[0, :, :, 0], x.numpy()[0, ::2, ::2, 0])
    assert resnet_utils.subsample(x, 1) is x


def test_conv2d_same_equals_stride_1_conv_then_subsample():
    x = tf.constant(_inputs((1, 6, 6, 1)))
    with slim.Graph().as_default():
        with slim.arg_scope(
            [slim.conv2d], weights_initializer=tf.ones_initializer(), activation_fn=None
        ):
            strided = resnet_utils.conv2d_same(x, 1, 3, stride=2, scope="c")
            dense = slim.conv2d(x, 1, 3, stride=1, padding="SAME", scope="d")
        assert [v.path for v in slim.get_variables("c")] == ["c/weights", "c/biases"]
    # slim's docstring: explicit padding keeps the corners where stride-2 SAME would not.
    np.testing.assert_allclose(strided.numpy(), dense.numpy()[:, ::2, ::2], rtol=1e-5)


def test_inception_v1_base_stops_at_final_endpoint_and_rejects_unknown_ones():
    with slim.Graph().as_default():
        x = keras.Input((32, 32, 3), batch_size=1)
        net, end_points = inception_v1.inception_v1_base(x, final_endpoint="Conv2d_2b_1x1")
        assert list(end_points) == ["Conv2d_1a_7x7", "MaxPool_2a_3x3", "Conv2d_2b_1x1"]
        assert net.shape == (1, 8, 8, 64)
        with pytest.raises(ValueError, match="Unknown final endpoint Mixed_9z"):
            inception_v1.inception_v1_base(x, final_endpoint="Mixed_9z", scope="again")


@pytest.mark.parametrize("net_fn", [inception_v2.inception_v2, inception_v3.inception_v3])
def test_inception_rejects_non_positive_depth_multiplier(net_fn):
    with slim.Graph().as_default():
        x = keras.Input((80, 80, 3), batch_size=1)
        with pytest.raises(ValueError, match="depth_multiplier is not greater than zero."):
            net_fn(x, 10, depth_multiplier=0.0)


def test_inception_arg_scopes_put_moving_averages_in_moving_vars():
    with slim.Graph().as_default():
        x = keras.Input((64, 64, 3), batch_size=1)
        with slim.arg_scope(inception_v3.inception_v3_arg_scope()):
            inception_v3.inception_v3_base(x, final_endpoint="Conv2d_2a_3x3")
        names = [v.path for v in slim.get_collection("moving_vars")]
    assert names == [
        "InceptionV3/Conv2d_1a_3x3/BatchNorm/moving_mean",
        "InceptionV3/Conv2d_1a_3x3/BatchNorm/moving_variance",
        "InceptionV3/Conv2d_2a_3x3/BatchNorm/moving_mean",
        "InceptionV3/Conv2d_2a_3x3/BatchNorm/moving_variance",
    ]


def test_inception_utils_arg_scope_configures_conv_batch_norm():
    scope = inception_utils.inception_arg_scope(batch_norm_scale=True)
    conv = scope[slim.arg_scope_func_key(slim.conv2d)]
    assert conv["normalizer_fn"] is slim.batch_norm
    assert conv["normalizer_params"]["scale"] is True
    assert conv["normalizer_params"]["decay"] == 0.9997
    no_bn = inception_utils.inception_arg_scope(use_batch_norm=False)
    assert no_bn[slim.arg_scope_func_key(slim.conv2d)]["normalizer_fn"] is None


def test_inception_module_reexports_the_three_versions():
    assert inception.inception_v1 is inception_v1.inception_v1
    assert inception.inception_v2_base is inception_v2.inception_v2_base
    assert inception.inception_v3_arg_scope is inception_v3.inception_v3_arg_scope
    assert inception.inception_v3.default_image_size == 299


def test_nets_factory_knows_slim_zoo_and_applies_its_arg_scope():
    for name in ("alexnet_v2", "overfeat", "vgg_16", "inception_v3", "resnet_v2_152"):
        assert name in nets_factory.networks_map
        assert name in nets_factory.arg_scopes_map
    network_fn = nets_factory.get_network_fn("inception_v2", num_classes=7, weight_decay=0.01)
    assert network_fn.default_image_size == 224
    with slim.Graph().as_default():
        x = keras.Input((64, 64, 3), batch_size=1)
        logits, end_points = network_fn(x, depth_multiplier=0.1)
        assert logits.shape == (1, 7)
        assert "InceptionV2/Conv2d_2b_1x1/BatchNorm/moving_mean" in [
            v.path for v in slim.get_collection("moving_vars")
        ]
        assert slim.losses.get_regularization_losses()
