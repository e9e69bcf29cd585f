"""MobileNet v2 (``kslim/nets/mobilenet/``) options, at small sizes.

``test_zoo_reference.py`` checks the three published nets (full size against the
reference, small size against tf_slim). Here the options that change the graph are run by
tf_slim (the same files, one subprocess) and by kslim on the same weights, in inference
mode and after one training-mode batch norm update; and kslim-only behaviour (shapes,
errors, reuse, unknown sizes, eager building) is checked quickly.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf
from _zoo_peer import ZooSpec, assert_close, reference, run_kslim_zoo, run_tfslim_zoo

import kslim as slim
from kslim.nets import nets_factory
from kslim.nets.mobilenet import conv_blocks, mobilenet_v2


def _option(id: str, image_size: int, fn: str = "mobilenet", **kwargs):
    return ZooSpec(
        id=id,
        net="mobilenet_v2",
        module="mobilenet.mobilenet_v2",
        fn=fn,
        arg_scope_module="mobilenet.mobilenet_v2",
        arg_scope="training_scope",
        image_size=image_size,
        num_classes=10,
        kwargs=kwargs,
        arg_scope_kwargs={"dropout_keep_prob": 1.0},
    )


OPTIONS = [
    _option("output_stride_8", 64, depth_multiplier=0.35, output_stride=8),
    _option("explicit_padding_odd_size", 45, depth_multiplier=0.35, use_explicit_padding=True),
    _option(
        "min_depth_divisible_by_final_endpoint",
        48,
        depth_multiplier=0.5,
        min_depth=16,
        divisible_by=16,
        final_endpoint="layer_9",
    ),
    _option(
        "no_spatial_squeeze_reduce_mean",
        40,
        depth_multiplier=0.35,
        spatial_squeeze=False,
        use_reduce_mean_for_pooling=True,
    ),
    _option("mobilenet_v2_050", 40, fn="mobilenet_v2_050"),
    # num_classes is ignored by the base (no logits); is_training reaches it.
    _option("base", 40, fn="mobilenet_base", depth_multiplier=0.35),
]
OPTION_IDS = [o.id for o in OPTIONS]


@pytest.fixture(scope="module")
def tfslim_options(tmp_path_factory):
    """tf_slim's results for every option (one subprocess)."""
    return run_tfslim_zoo(OPTIONS, tmp_path_factory.mktemp("tfslim_mobilenet_v2"))


def _assert_matches(got, ref, what: str) -> None:
    assert got.variables == ref.variables, f"{what}: variable names / order"
    assert got.shapes == ref.shapes, f"{what}: variable shapes"
    assert got.model_variables == ref.model_variables, f"{what}: model variables"
    assert got.end_points == ref.end_points, f"{what}: end_points"
    assert got.logits_shape == ref.logits_shape, f"{what}: logits shape"
    assert_close(got.logits, ref.logits, f"{what}: output")
    for key, value in ref.end_point_values.items():
        assert_close(got.end_point_values[key], value, f"{what}: end_point {key!r}")
    for name, value in ref.values_after.items():
        assert_close(got.values_after[name], value, f"{what}: {name} after the run")


@pytest.mark.peer
@pytest.mark.slow
@pytest.mark.parametrize("option", OPTIONS, ids=OPTION_IDS)
def test_option_matches_tf_slim_in_inference_mode(option, tfslim_options):
    _assert_matches(run_kslim_zoo(option, "infer"), tfslim_options.get(option.id)["infer"], "infer")


@pytest.mark.peer
@pytest.mark.slow
@pytest.mark.parametrize("option", OPTIONS, ids=OPTION_IDS)
def test_option_matches_tf_slim_after_one_training_batch_norm_update(option, tfslim_options):
    _assert_matches(run_kslim_zoo(option, "train"), tfslim_options.get(option.id)["train"], "train")


def _build(input_shape=(2, 32, 32, 3), **kwargs):
    x = keras.Input(shape=input_shape[1:], batch_size=input_shape[0])
    with slim.arg_scope(mobilenet_v2.training_scope()):
        return x, *mobilenet_v2.mobilenet(x, **kwargs)


def _variables():
    return slim.get_collection(slim.GraphKeys.GLOBAL_VARIABLES)


def test_first_block_has_no_expansion_and_later_blocks_expand_six_times():
    published = dict(map(tuple, reference("mobilenet_v2")["variables"]))
    assert "MobilenetV2/expanded_conv/expand/weights" not in published
    with slim.Graph().as_default():
        _, _, end_points = _build(depth_multiplier=0.35, final_endpoint="layer_3")
        shapes = {v.path: list(v.shape) for v in _variables()}
    assert "MobilenetV2/expanded_conv/expand/weights" not in shapes
    assert "layer_2/expansion_output" not in end_points
    # 8 channels in, 6 x 8 = 48 expanded.
    assert shapes["MobilenetV2/expanded_conv_1/expand/weights"] == [1, 1, 8, 48]
    assert shapes["MobilenetV2/expanded_conv_1/depthwise/depthwise_weights"] == [3, 3, 48, 1]


def test_residual_adds_the_input_only_where_stride_and_depth_allow():
    with slim.Graph().as_default():
        x = keras.Input(shape=(8, 8, 16), batch_size=1)
        with slim.arg_scope(mobilenet_v2.training_scope(is_training=False)):
            same = conv_blocks.expanded_conv(x, 16, normalizer_fn=slim.batch_norm, scope="same")
            strided = conv_blocks.expanded_conv(x, 16, stride=2, scope="strided")
            deeper = conv_blocks.expanded_conv(x, 24, scope="deeper")
            model = keras.Model(x, [same, strided, deeper])
        for v in _variables():
            v.assign(tf.zeros(v.shape))
        inputs = np.random.default_rng(0).uniform(-1, 1, (1, 8, 8, 16)).astype(np.float32)
        got_same, got_strided, got_deeper = (np.asarray(t) for t in model(inputs))
    # Zero weights: the projection is zero, so only the residual is left.
    np.testing.assert_array_equal(got_same, inputs)
    assert got_strided.shape == (1, 4, 4, 16) and not got_strided.any()
    assert got_deeper.shape == (1, 8, 8, 24) and not got_deeper.any()


def test_finegrain_classification_mode_keeps_the_last_layer_at_1280():
    with slim.Graph().as_default():
        _, _, plain = _build(depth_multiplier=0.35, num_classes=10)
    with slim.Graph().as_default():
        _, _, finegrain = _build(
            depth_multiplier=0.35, finegrain_classification_mode=True, num_classes=10
        )
    assert plain["layer_19"].shape[-1] == 448
    assert finegrain["layer_19"].shape[-1] == 1280
    assert finegrain["layer_18"].shape[-1] == plain["layer_18"].shape[-1] == 112


def test_num_classes_zero_returns_the_global_pool_without_logits():
    with slim.Graph().as_default():
        _, net, end_points = _build(depth_multiplier=0.35, num_classes=0)
        names = [v.path for v in _variables()]
    assert list(net.shape) == [2, 1, 1, 448]
    assert net is end_points["global_pool"]
    assert not {"Logits", "Predictions"} & set(end_points)
    assert not [n for n in names if "/Logits/" in n]


def test_unknown_image_size_pools_globally_and_reuse_shares_the_variables():
    with slim.Graph().as_default():
        x = keras.Input(shape=(None, None, 3))
        with slim.arg_scope(mobilenet_v2.training_scope(is_training=False)):
            logits, end_points = mobilenet_v2.mobilenet(x, num_classes=7, depth_multiplier=0.35)
            count = len(_variables())
            again, _ = mobilenet_v2.mobilenet(x, num_classes=7, depth_multiplier=0.35, reuse=True)
        assert len(_variables()) == count
        model = keras.Model(x, [logits, again])
        images = np.random.default_rng(0).uniform(-1, 1, (1, 40, 56, 3)).astype(np.float32)
        first, second = model(images)
    assert list(logits.shape) == [None, 7]
    assert list(end_points["global_pool"].shape) == [None, 1, 1, 448]
    np.testing.assert_array_equal(np.asarray(first), np.asarray(second))


def test_eager_build_computes_what_the_functional_model_does():
    images = np.random.default_rng(0).uniform(-1, 1, (2, 32, 32, 3)).astype(np.float32)
    with slim.Graph().as_default():
        x, logits, _ = _build(depth_multiplier=0.35, num_classes=5, is_training=False)
        model = keras.Model(x, logits)
        values = {v.path: np.asarray(v) for v in _variables()}
        want = np.asarray(model(images))
    with slim.Graph().as_default():
        with slim.arg_scope(mobilenet_v2.training_scope()):
            mobilenet_v2.mobilenet(
                tf.constant(images), depth_multiplier=0.35, num_classes=5, is_training=False
            )
            for v in _variables():
                v.assign(values[v.path])
            got, _ = mobilenet_v2.mobilenet(
                tf.constant(images),
                depth_multiplier=0.35,
                num_classes=5,
                is_training=False,
                reuse=True,
            )
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5, atol=1e-5)


def test_generic_multiplier_and_bad_output_stride_raise():
    with slim.Graph().as_default():
        with pytest.raises(ValueError, match="depth_multiplier"):
            _build(multiplier=0.5)
        with pytest.raises(ValueError, match="Output stride"):
            _build(output_stride=3)
        with pytest.raises(ValueError, match="rank 4"):
            mobilenet_v2.mobilenet(keras.Input(shape=(32, 3)))


def test_registered_in_nets_factory_with_default_image_size_224():
    assert nets_factory.networks_map["mobilenet_v2"] is mobilenet_v2.mobilenet
    assert nets_factory.networks_map["mobilenet_v2_140"] is mobilenet_v2.mobilenet_v2_140
    assert nets_factory.networks_map["mobilenet_v2_035"] is mobilenet_v2.mobilenet_v2_035
    for name in ("mobilenet_v2", "mobilenet_v2_140", "mobilenet_v2_035"):
        assert nets_factory.arg_scopes_map[name] is mobilenet_v2.training_scope
        assert nets_factory.get_network_fn(name, 10).default_image_size == 224


def test_network_fn_is_training_false_builds_inference_batch_norm_and_dropout():
    network_fn = nets_factory.get_network_fn("mobilenet_v2_035", 10, is_training=False)
    images = np.random.default_rng(0).uniform(-1, 1, (2, 32, 32, 3)).astype(np.float32)
    with slim.Graph().as_default():
        x = keras.Input(shape=(32, 32, 3), batch_size=2)
        logits, _ = network_fn(x)
        model = keras.Model(x, logits)
        before = {v.path: np.asarray(v) for v in _variables()}
        first = np.asarray(model(images, training=True))
        second = np.asarray(model(images, training=True))
        after = {v.path: np.asarray(v) for v in _variables()}
    np.testing.assert_array_equal(first, second)
    for name, value in before.items():
        np.testing.assert_array_equal(after[name], value, name)


def test_functional_model_saves_and_reloads_as_keras_file(tmp_path):
    images = np.random.default_rng(0).uniform(-1, 1, (2, 32, 32, 3)).astype(np.float32)
    with slim.Graph().as_default():
        x, logits, _ = _build(depth_multiplier=0.35, num_classes=5, is_training=False)
        model = keras.Model(x, logits)
        want = np.asarray(model(images))
        model.save(tmp_path / "mobilenet_v2.keras")
    loaded = keras.models.load_model(tmp_path / "mobilenet_v2.keras")
    np.testing.assert_array_equal(np.asarray(loaded(images)), want)
