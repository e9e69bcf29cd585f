"""kslim.nets.mobilenet_v1: the options of the published MobileNet v1 code.

Full-size names, shapes and tf_slim parity are in test_zoo_reference.py; here each
option on a short ``conv_defs`` body (builds in a second or two), and in the slow suite
the options' values against tf_slim running the same file.
"""

from __future__ import annotations

import collections
import subprocess

import keras
import numpy as np
import pytest
from _zoo_peer import ZooSpec, assert_close, run_kslim_zoo, run_tfslim_zoo

import kslim as slim
from kslim.nets import mobilenet_v1, nets_factory
from kslim.nets.mobilenet_v1 import Conv, DepthSepConv

# Conv2d_0 (stride 2), then strides 2, 2, 2, 1: output stride 16.
SHORT = [
    Conv(kernel=[3, 3], stride=2, depth=32),
    DepthSepConv(kernel=[3, 3], stride=2, depth=64),
    DepthSepConv(kernel=[3, 3], stride=2, depth=128),
    DepthSepConv(kernel=[3, 3], stride=2, depth=128),
    DepthSepConv(kernel=[3, 3], stride=1, depth=256),
]


Pool = collections.namedtuple("Pool", ["kernel", "stride", "depth"])


def _build(fn, size=64, batch=1, **kwargs):
    images = keras.Input((size, size, 3), batch_size=batch)
    with slim.arg_scope(mobilenet_v1.mobilenet_v1_arg_scope()):
        return images, fn(images, **kwargs)


def _shapes(end_points):
    return {k: list(v.shape) for k, v in end_points.items()}


def test_nets_factory_has_the_mobilenet_v1_names_with_default_image_size_224():
    for name, multiplier in [
        ("mobilenet_v1", 1.0),
        ("mobilenet_v1_075", 0.75),
        ("mobilenet_v1_050", 0.5),
        ("mobilenet_v1_025", 0.25),
    ]:
        fn = nets_factory.networks_map[name]
        assert nets_factory.arg_scopes_map[name] is mobilenet_v1.mobilenet_v1_arg_scope
        assert fn.default_image_size == 224
        assert nets_factory.get_network_fn(name, 10).default_image_size == 224
        if multiplier != 1.0:
            assert fn.keywords == {"depth_multiplier": multiplier}
            assert fn.__name__ == "mobilenet_v1"


def _base(**kwargs):
    kwargs.setdefault("final_endpoint", "Conv2d_4_pointwise")
    return _build(mobilenet_v1.mobilenet_v1_base, conv_defs=SHORT, **kwargs)


def test_base_stops_at_final_endpoint_and_rejects_unknown_ones():
    with slim.Graph().as_default():
        _, (net, end_points) = _base(final_endpoint="Conv2d_2_depthwise")
        assert list(end_points) == [
            "Conv2d_0",
            "Conv2d_1_depthwise",
            "Conv2d_1_pointwise",
            "Conv2d_2_depthwise",
        ]
        assert net is end_points["Conv2d_2_depthwise"]
        assert net.shape == (1, 8, 8, 64)
    # The default final_endpoint (Conv2d_13_pointwise) is not among SHORT's 5 layers.
    with slim.Graph().as_default(), pytest.raises(ValueError, match="Unknown final endpoint"):
        _build(mobilenet_v1.mobilenet_v1_base, conv_defs=SHORT)


def test_depth_multiplier_thins_every_layer_down_to_min_depth():
    with slim.Graph().as_default():
        _, (_, end_points) = _base(depth_multiplier=0.1, min_depth=10)
        # int(32 * 0.1) = 3 -> 10, int(64 * 0.1) = 6 -> 10, int(128 * 0.1) = 12, 256 -> 25;
        # a depthwise layer keeps its input's depth.
        assert [v.shape[-1] for v in end_points.values()] == [10, 10, 10, 10, 12, 12, 12, 12, 25]
        weights = slim.get_variables("MobilenetV1/Conv2d_3_pointwise/weights")[0]
        assert weights.shape == (1, 1, 12, 12)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"depth_multiplier": 0.0}, "depth_multiplier is not greater than zero"),
        ({"output_stride": 4}, "Only allowed output_stride values are 8, 16, 32"),
        ({"conv_defs": [Pool([3, 3], 2, 8)]}, "Unknown convolution type Pool for layer 0"),
    ],
)
def test_base_rejects_bad_arguments_with_slims_messages(kwargs, message):
    with slim.Graph().as_default(), pytest.raises(ValueError, match=message):
        _build(mobilenet_v1.mobilenet_v1_base, **kwargs)


def test_output_stride_turns_later_strides_into_atrous_rates_with_the_same_variables():
    with slim.Graph().as_default():
        _, (net, end_points) = _base()
        plain = [(v.path, tuple(v.shape)) for v in slim.get_variables()]
        assert end_points["Conv2d_3_depthwise"].shape == (1, 4, 4, 128)
        assert net.shape == (1, 4, 4, 256)
    with slim.Graph().as_default():
        # Stride 8 reached after Conv2d_2: Conv2d_3 runs at stride 1, Conv2d_4 at rate 2.
        _, (net, end_points) = _base(output_stride=8)
        assert [(v.path, tuple(v.shape)) for v in slim.get_variables()] == plain
        assert end_points["Conv2d_3_depthwise"].shape == (1, 8, 8, 128)
        assert net.shape == (1, 8, 8, 256)


def test_explicit_padding_gives_same_shapes_as_same_padding_on_odd_sizes():
    shapes = []
    for explicit in (False, True):
        with slim.Graph().as_default():
            _, (_, end_points) = _base(size=65, use_explicit_padding=explicit)
            shapes.append(_shapes(end_points))
    assert shapes[0] == shapes[1]
    assert shapes[0]["Conv2d_0"] == [1, 33, 33, 32]


def test_arg_scope_regularizes_conv_weights_and_depthwise_ones_only_when_asked():
    for regularize_depthwise, count in [(False, 5), (True, 9)]:
        with slim.Graph().as_default():
            images = keras.Input((32, 32, 3), batch_size=1)
            scope = mobilenet_v1.mobilenet_v1_arg_scope(regularize_depthwise=regularize_depthwise)
            with slim.arg_scope(scope):
                mobilenet_v1.mobilenet_v1_base(
                    images, conv_defs=SHORT, final_endpoint="Conv2d_4_pointwise"
                )
            assert len(slim.losses.get_regularization_losses()) == count


# The classifier (the full 14-layer body, thinned to 0.25).


def test_classifier_head_pools_with_a_kernel_reduced_for_small_inputs():
    with slim.Graph().as_default():
        # 40 -> 20 -> 10 -> 5 -> 3 -> 2: a 2x2 pool (7x7 reduced), logits [B, C].
        _, (logits, end_points) = _build(
            mobilenet_v1.mobilenet_v1_025, size=40, batch=2, num_classes=7
        )
        assert end_points["Conv2d_13_pointwise"].shape == (2, 2, 2, 256)
        assert end_points["AvgPool_1a"].shape == (2, 1, 1, 256)
        assert logits.shape == (2, 7)
        assert end_points["Logits"] is logits
        assert end_points["Predictions"].shape == (2, 7)
        names = [v.path for v in slim.get_variables("MobilenetV1/Logits")]
        assert names == [
            "MobilenetV1/Logits/Conv2d_1c_1x1/weights",
            "MobilenetV1/Logits/Conv2d_1c_1x1/biases",
        ]


@pytest.mark.slow
def test_large_inputs_keep_the_7x7_pool_without_squeeze_and_global_pool_gives_1x1():
    with slim.Graph().as_default():
        # 320 -> 10x10 features, a 7x7 VALID pool (slim's stride 2): 2x2 logits; no
        # predictions.
        _, (logits, end_points) = _build(
            mobilenet_v1.mobilenet_v1_025, size=320, num_classes=7, spatial_squeeze=False,
            prediction_fn=None,
        )  # fmt: skip
        assert end_points["AvgPool_1a"].shape == (1, 2, 2, 256)
        assert logits.shape == (1, 2, 2, 7)
        assert "Predictions" not in end_points and end_points["Logits"] is logits
    with slim.Graph().as_default():
        # global_pool averages the 10x10 map; num_classes 0 returns those features.
        _, (net, end_points) = _build(
            mobilenet_v1.mobilenet_v1_025, size=320, num_classes=0, global_pool=True
        )
        assert "AvgPool_1a" not in end_points and "Logits" not in end_points
        assert net is end_points["global_pool"]
        assert net.shape == (1, 1, 1, 256)
        assert not slim.get_variables("MobilenetV1/Logits")


def test_rank_3_inputs_are_rejected():
    with pytest.raises(ValueError, match="Invalid input tensor rank, expected 4, was: 3"):
        mobilenet_v1.mobilenet_v1(keras.Input((64, 3), batch_size=1))


@pytest.mark.slow
def test_reuse_builds_a_second_tower_on_the_same_variables_and_inference_keeps_averages():
    with slim.Graph().as_default():
        a = keras.Input((32, 32, 3), batch_size=2)
        b = keras.Input((32, 32, 3), batch_size=2)
        with slim.arg_scope(mobilenet_v1.mobilenet_v1_arg_scope()):
            la, _ = mobilenet_v1.mobilenet_v1_025(a, num_classes=3, is_training=False, scope="M")
            count = len(slim.get_variables())
            lb, _ = mobilenet_v1.mobilenet_v1_025(
                b, num_classes=3, is_training=False, scope="M", reuse=True
            )
        assert len(slim.get_variables()) == count
        moving = slim.get_variables("M/Conv2d_0/BatchNorm/moving_mean")[0]
        before = np.asarray(moving).copy()
        model = keras.Model([a, b], [la, lb])
        x = np.random.default_rng(0).uniform(-1, 1, (2, 32, 32, 3)).astype(np.float32)
        ya, yb = model([x, x], training=True)
        np.testing.assert_array_equal(np.asarray(ya), np.asarray(yb))
        np.testing.assert_array_equal(np.asarray(moving), before)


# -- the options' values against tf_slim (one subprocess) ---------------------------------

OPTION_SPECS = [
    ZooSpec(
        id=sid,
        net="mobilenet_v1",
        module="mobilenet_v1",
        fn="mobilenet_v1_025",
        arg_scope_module="mobilenet_v1",
        arg_scope="mobilenet_v1_arg_scope",
        image_size=size,
        num_classes=num_classes,
        kwargs=kwargs,
        train_kwargs={"dropout_keep_prob": 1.0},
    )
    for sid, size, num_classes, kwargs in [
        ("output_stride_8_explicit_padding", 33, 5,
         {"output_stride": 8, "use_explicit_padding": True}),
        ("output_stride_16", 40, 5, {"output_stride": 16}),
        ("global_pool_no_squeeze", 71, 5, {"global_pool": True, "spatial_squeeze": False}),
        ("min_depth_16_features", 48, 0, {"min_depth": 16}),
    ]
]  # fmt: skip


@pytest.fixture(scope="module")
def tfslim_options(tmp_path_factory):
    return run_tfslim_zoo(OPTION_SPECS, tmp_path_factory.mktemp("mobilenet_v1_options"))


@pytest.mark.slow
@pytest.mark.peer
@pytest.mark.parametrize("spec", OPTION_SPECS, ids=[s.id for s in OPTION_SPECS])
@pytest.mark.parametrize("mode", ["infer", "train"])
def test_mobilenet_v1_options_compute_what_tf_slim_computes(spec, mode, tfslim_options):
    ref = tfslim_options.get(spec.id)[mode]
    got = run_kslim_zoo(spec, mode)
    assert got.variables == ref.variables and got.shapes == ref.shapes
    assert got.end_points == ref.end_points
    assert_close(got.logits, ref.logits, f"{mode} output")
    for key, value in ref.end_point_values.items():
        assert_close(got.end_point_values[key], value, f"{mode} end_point {key!r}")
    for name, value in ref.values_after.items():
        assert_close(got.values_after[name], value, f"{name} after the run")


# -- the command line ----------------------------------------------------------------------


def _kslim(*args: str) -> subprocess.CompletedProcess:
    import os
    import shutil
    import sys

    command = (
        [shutil.which("kslim")] if shutil.which("kslim") else [sys.executable, "-m", "kslim.cli"]
    )
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    result = subprocess.run([*command, *args], capture_output=True, text=True, env=env, timeout=900)
    assert result.returncode == 0, f"{args} failed:\n{result.stderr[-3000:]}"
    return result


@pytest.mark.slow
def test_kslim_train_fine_tunes_mobilenet_v1_025_and_kslim_eval_evaluates_it(tmp_path):
    import tensorflow as tf

    base, tuned = str(tmp_path / "base"), str(tmp_path / "tuned")
    # The digits (converted into the first train dir); LeNet's preprocessing scales them up.
    common = ["--model-name", "mobilenet_v1_025", "--preprocessing-name", "lenet"]
    train = [*common, "--train-image-size", "32", "--batch-size", "8"]
    _kslim("train", "--train-dir", base, *train, "--max-number-of-steps", "2")
    data = ["--dataset-dir", str(tmp_path / "base" / "data")]
    result = _kslim(
        "train", "--train-dir", tuned, *train, *data, "--max-number-of-steps", "3",
        "--checkpoint-path", base, "--checkpoint-exclude-scopes", "MobilenetV1/Logits",
        "--trainable-scopes", "MobilenetV1/Logits",
    )  # fmt: skip
    assert "Fine-tuning from" in result.stderr
    base_reader, tuned_reader = tf.train.load_checkpoint(base), tf.train.load_checkpoint(tuned)
    assert tuned_reader.get_tensor("global_step") == 3
    for name in ("MobilenetV1/Conv2d_0/weights", "MobilenetV1/Conv2d_13_pointwise/weights"):
        np.testing.assert_array_equal(base_reader.get_tensor(name), tuned_reader.get_tensor(name))
    logits = "MobilenetV1/Logits/Conv2d_1c_1x1/weights"
    assert tuned_reader.get_variable_to_shape_map()[logits] == [1, 1, 256, 10]
    assert not np.array_equal(base_reader.get_tensor(logits), tuned_reader.get_tensor(logits))
    result = _kslim("eval", "--checkpoint-path", tuned, *common, *data, "--eval-image-size", "32")
    assert "eval/Accuracy:" in result.stdout
