"""inception_resnet_v2 (``kslim/nets/inception_resnet_v2.py``) piece by piece, at small sizes.

``test_zoo_reference.py`` checks the whole net (full size against the published
reference, small size against tf_slim), which takes minutes; here the stem and the three
residual blocks (``net += scale * up`` in a TF1 variable scope, under ``slim.repeat``) are
checked quickly: against the reference's names and shapes, and against the same file run
by tf_slim on the same weights (inference, and one training-mode batch norm update). The
options that need most of the net are marked slow.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf
from _zoo_peer import ZooSpec, assert_close, reference, run_kslim_zoo, run_tfslim_zoo

import kslim as slim
from kslim.nets import inception_resnet_v2 as irv2
from kslim.nets import nets_factory


def _piece(id: str, fn: str, image_size: int, arg_scope_kwargs=None, **kwargs) -> ZooSpec:
    return ZooSpec(
        id=id,
        net="inception_resnet_v2",
        module="inception_resnet_v2",
        fn=fn,
        arg_scope_module="inception_resnet_v2",
        arg_scope="inception_resnet_v2_arg_scope",
        image_size=image_size,
        kwargs=kwargs,
        arg_scope_kwargs=arg_scope_kwargs or {},
        classifier=False,
    )


# On 3-channel inputs: the residual blocks keep any depth.
PIECES = [
    _piece("stem_and_mixed_5b", "inception_resnet_v2_base", 75, final_endpoint="Mixed_5b"),
    _piece("block35", "block35", 5, scale=0.17),
    _piece(
        "block8_with_arg_scope_options",
        "block8",
        3,
        arg_scope_kwargs={
            "weight_decay": 0.01,
            "batch_norm_decay": 0.9,
            "batch_norm_epsilon": 0.01,
            "batch_norm_scale": True,
        },
        scale=0.2,
    ),
]
# Variants of what PIECES check (the aligned stem, block17, block8 without activation) and
# most of the net (10 block35, 20 atrous block17): slow.
SLOW_PIECES = [
    _piece(
        "stem_with_aligned_feature_maps",
        "inception_resnet_v2_base",
        33,
        final_endpoint="Mixed_5b",
        align_feature_maps=True,
    ),
    _piece("block17", "block17", 5, scale=0.10),
    _piece("block8_without_activation", "block8", 3, activation_fn=None),
    _piece(
        "output_stride_8_to_pre_aux_logits",
        "inception_resnet_v2_base",
        75,
        final_endpoint="PreAuxLogits",
        output_stride=8,
    ),
]
ALL_PIECES = PIECES + SLOW_PIECES
_PEER_TESTS = (
    "test_piece_matches_tf_slim_in_inference_mode",
    "test_piece_matches_tf_slim_after_one_training_batch_norm_update",
)


def _params() -> list:
    fast = [pytest.param(p, id=p.id) for p in PIECES]
    return fast + [pytest.param(p, id=p.id, marks=pytest.mark.slow) for p in SLOW_PIECES]


@pytest.fixture(scope="module")
def tfslim_pieces(request, tmp_path_factory):
    """tf_slim's results for the pieces this session's peer tests check (one subprocess)."""
    selected = []
    for item in request.session.items:
        if getattr(item, "originalname", None) in _PEER_TESTS:
            piece = item.callspec.params["piece"]
            if piece not in selected:
                selected.append(piece)
    return run_tfslim_zoo(selected, tmp_path_factory.mktemp("tfslim_inception_resnet_v2"))


def _assert_matches(got, ref, what: str) -> None:
    assert got.variables == ref.variables, f"{what}: variable names / order"
    assert got.shapes == ref.shapes, f"{what}: variable shapes"
    assert got.trainable == ref.trainable, f"{what}: trainable variables"
    assert got.model_variables == ref.model_variables, f"{what}: model variables"
    assert got.end_points == ref.end_points, f"{what}: end_points"
    assert_close(got.logits, ref.logits, f"{what}: output")
    for key, value in ref.end_point_values.items():
        assert_close(got.end_point_values[key], value, f"{what}: end_point {key!r}")
    for name, value in ref.values_after.items():
        assert_close(got.values_after[name], value, f"{what}: {name} after the run")


@pytest.mark.peer
@pytest.mark.parametrize("piece", _params())
def test_piece_matches_tf_slim_in_inference_mode(piece, tfslim_pieces):
    _assert_matches(run_kslim_zoo(piece, "infer"), tfslim_pieces.get(piece.id)["infer"], "infer")


@pytest.mark.peer
@pytest.mark.parametrize("piece", _params())
def test_piece_matches_tf_slim_after_one_training_batch_norm_update(piece, tfslim_pieces):
    _assert_matches(run_kslim_zoo(piece, "train"), tfslim_pieces.get(piece.id)["train"], "train")


def _published(prefix: str) -> list[list]:
    return [v for v in reference("inception_resnet_v2")["variables"] if v[0].startswith(prefix)]


def _built() -> list[list]:
    return [[v.path, list(v.shape)] for v in slim.get_collection(slim.GraphKeys.GLOBAL_VARIABLES)]


@pytest.mark.parametrize(
    ("block", "depth", "kwargs", "scope"),
    [
        ("block35", 320, {"scale": 0.17}, "Repeat/block35_1"),
        pytest.param(
            "block17", 1088, {"scale": 0.10}, "Repeat_1/block17_1", marks=pytest.mark.slow
        ),
        pytest.param("block8", 2080, {"scale": 0.20}, "Repeat_2/block8_1", marks=pytest.mark.slow),
        ("block8", 2080, {"activation_fn": None}, "Block8"),
    ],
)
def test_block_builds_the_published_variables_of_its_scope(block, depth, kwargs, scope):
    fn = getattr(irv2, block)
    with slim.Graph().as_default():
        x = keras.Input(shape=(3, 3, depth), batch_size=1)
        with slim.arg_scope(irv2.inception_resnet_v2_arg_scope()):
            # The net's own outer scope: Repeat, Repeat_1, Repeat_2 (slim.repeat's) or none.
            outer, _, inner = scope.rpartition("/")
            with tf.compat.v1.variable_scope(
                "InceptionResnetV2/" + outer if outer else "InceptionResnetV2"
            ):
                net = fn(x, scope=inner if outer else None, **kwargs)
        assert list(net.shape) == [1, 3, 3, depth]
        assert _built() == _published(f"InceptionResnetV2/{scope}/")


def test_repeated_blocks_are_numbered_under_repeat_scopes():
    with slim.Graph().as_default():
        x = keras.Input(shape=(3, 3, 8), batch_size=1)
        with slim.arg_scope(irv2.inception_resnet_v2_arg_scope()):
            with tf.compat.v1.variable_scope("InceptionResnetV2"):
                net = slim.repeat(x, 2, irv2.block35, scale=0.17)
                slim.repeat(net, 2, irv2.block17, scale=0.10)
        scopes = []
        for v in slim.get_collection(slim.GraphKeys.GLOBAL_VARIABLES):
            scope = "/".join(v.path.split("/")[1:3])
            if scope not in scopes:
                scopes.append(scope)
    assert scopes == [
        "Repeat/block35_1",
        "Repeat/block35_2",
        "Repeat_1/block17_1",
        "Repeat_1/block17_2",
    ]


def test_base_to_mixed_5b_builds_the_first_published_variables_and_end_points():
    published = reference("inception_resnet_v2")
    with slim.Graph().as_default():
        x = keras.Input(shape=(299, 299, 3), batch_size=1)
        with slim.arg_scope(irv2.inception_resnet_v2_arg_scope()):
            net, end_points = irv2.inception_resnet_v2_base(x, final_endpoint="Mixed_5b")
        built = _built()
    assert built == published["variables"][: len(built)]
    keys = list(end_points)
    assert keys == list(published["end_points"])[: keys.index("Mixed_5b") + 1]
    assert {k: list(v.shape) for k, v in end_points.items()} == {
        k: published["end_points"][k] for k in keys
    }
    assert net is end_points["Mixed_5b"]


@pytest.mark.parametrize(
    ("align_feature_maps", "shape"), [(False, [1, 10, 10, 192]), (True, [1, 13, 13, 192])]
)
def test_align_feature_maps_turns_valid_padding_into_same(align_feature_maps, shape):
    with slim.Graph().as_default():
        x = keras.Input(shape=(99, 99, 3), batch_size=1)
        with slim.arg_scope(irv2.inception_resnet_v2_arg_scope()):
            net, _ = irv2.inception_resnet_v2_base(
                x, final_endpoint="MaxPool_5a_3x3", align_feature_maps=align_feature_maps
            )
    assert list(net.shape) == shape


@pytest.mark.parametrize("output_stride", [4, 32])
def test_output_stride_other_than_8_or_16_raises(output_stride):
    with slim.Graph().as_default():
        x = keras.Input(shape=(75, 75, 3), batch_size=1)
        with pytest.raises(ValueError, match="output_stride must be 8 or 16"):
            irv2.inception_resnet_v2_base(x, output_stride=output_stride)


@pytest.mark.parametrize("final_endpoint", ["Mixed_7a", "Conv2d_7b_1x1"])
def test_output_stride_8_past_pre_aux_logits_raises_before_building(final_endpoint):
    with slim.Graph().as_default():
        x = keras.Input(shape=(75, 75, 3), batch_size=1)
        with pytest.raises(ValueError, match="only supported up to the PreAuxlogits"):
            irv2.inception_resnet_v2_base(x, final_endpoint=final_endpoint, output_stride=8)
        assert slim.get_collection(slim.GraphKeys.GLOBAL_VARIABLES) == []


def test_unknown_final_endpoint_raises_before_building_anything():
    with slim.Graph().as_default():
        x = keras.Input(shape=(75, 75, 3), batch_size=1)
        with pytest.raises(ValueError, match=r"final_endpoint \(Mixed_8a\) not recognized"):
            irv2.inception_resnet_v2_base(x, final_endpoint="Mixed_8a")
        assert slim.get_collection(slim.GraphKeys.GLOBAL_VARIABLES) == []


def test_relu6_clips_the_scaled_residual_to_its_range():
    # On a constant input the branches' batch norms give 0, so the residual is the up
    # conv's bias, -100: relu6(10 + clip(-100, -6, 6)) is 4 (unclipped it would be 0).
    with slim.Graph().as_default():
        x = tf.fill([1, 3, 3, 4], 10.0)
        with slim.arg_scope(irv2.inception_resnet_v2_arg_scope(activation_fn=tf.nn.relu6)):
            with slim.arg_scope(
                [slim.conv2d], biases_initializer=tf.compat.v1.constant_initializer(-100.0)
            ):
                net = irv2.block8(x, scale=1.0, activation_fn=tf.nn.relu6)
        np.testing.assert_allclose(np.asarray(net), np.full([1, 3, 3, 4], 4.0), atol=1e-5)


def test_registered_in_nets_factory_with_default_image_size_299():
    assert nets_factory.networks_map["inception_resnet_v2"] is irv2.inception_resnet_v2
    assert nets_factory.arg_scopes_map["inception_resnet_v2"] is irv2.inception_resnet_v2_arg_scope
    assert nets_factory.get_network_fn("inception_resnet_v2", 10).default_image_size == 299


def test_arg_scope_regularizes_weights_and_biases():
    with slim.Graph().as_default():
        x = keras.Input(shape=(3, 3, 4), batch_size=1)
        with slim.arg_scope(irv2.inception_resnet_v2_arg_scope(weight_decay=0.5)):
            irv2.block8(x)
        # 4 convs with batch norm (weights) + the up conv (weights and biases).
        assert len(slim.losses.get_regularization_losses()) == 6


@pytest.mark.slow
def test_num_classes_zero_returns_the_global_pool_without_logits_or_aux_head():
    with slim.Graph().as_default():
        x = keras.Input(shape=(107, 107, 3), batch_size=2)
        with slim.arg_scope(irv2.inception_resnet_v2_arg_scope()):
            net, end_points = irv2.inception_resnet_v2(x, num_classes=0)
        names = [v.path for v in slim.get_collection(slim.GraphKeys.GLOBAL_VARIABLES)]
    assert list(net.shape) == [2, 1, 1, 1536]
    assert net is end_points["global_pool"]
    assert not {"AuxLogits", "Logits", "PreLogitsFlatten", "Predictions"} & set(end_points)
    assert not [n for n in names if "/AuxLogits/" in n or "/Logits/" in n]
