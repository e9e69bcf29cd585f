"""inception_v4 (``kslim/nets/inception_v4.py``) piece by piece, at small sizes.

``test_zoo_reference.py`` checks the whole net (full size against the published
reference, small size against tf_slim), which takes minutes; here the stem and every block
type are checked quickly: against the reference's names and shapes, and against the same
file run by tf_slim on the same weights (inference, and one training-mode batch norm
update). The options that need the whole net are marked slow.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf
from _zoo_peer import ZooSpec, assert_close, reference, run_kslim_zoo, run_tfslim_zoo

import kslim as slim
from kslim.nets import inception_v4, nets_factory


def _piece(id: str, fn: str, image_size: int, arg_scope_kwargs=None, **kwargs) -> ZooSpec:
    return ZooSpec(
        id=id,
        net="inception_v4",
        module="inception_v4",
        fn=fn,
        arg_scope_module="inception_v4",
        arg_scope="inception_v4_arg_scope",
        image_size=image_size,
        kwargs=kwargs,
        arg_scope_kwargs=arg_scope_kwargs or {},
        classifier=False,
    )


# On 3-channel inputs: the blocks take any depth.
PIECES = [
    _piece("stem_and_block_a", "inception_v4_base", 75, final_endpoint="Mixed_5b"),
    _piece("block_reduction_a", "block_reduction_a", 7, scope="Mixed_6a"),
    _piece("block_inception_b", "block_inception_b", 5, scope="Mixed_6b"),
    _piece("block_reduction_b", "block_reduction_b", 7, scope="Mixed_7a"),
    _piece("block_inception_c", "block_inception_c", 3, scope="Mixed_7b"),
    _piece(
        "stem_without_batch_norm",
        "inception_v4_base",
        35,
        arg_scope_kwargs={"use_batch_norm": False, "weight_decay": 0.01},
        final_endpoint="Conv2d_2b_3x3",
    ),
    _piece(
        "stem_with_batch_norm_options",
        "inception_v4_base",
        35,
        arg_scope_kwargs={
            "batch_norm_decay": 0.9,
            "batch_norm_epsilon": 0.01,
            "batch_norm_scale": True,
            "activation_fn": None,
        },
        final_endpoint="Conv2d_2b_3x3",
    ),
]
# The slow suite's pieces: the default suite checks the stem, block A, block B and the
# batch-norm options.
SLOW_PIECES = {
    "block_reduction_a",
    "block_reduction_b",
    "block_inception_c",
    "stem_without_batch_norm",
}
PARAMS = [
    pytest.param(p, id=p.id, marks=[pytest.mark.slow] if p.id in SLOW_PIECES else [])
    for p in PIECES
]
_PEER_TESTS = (
    "test_piece_matches_tf_slim_in_inference_mode",
    "test_piece_matches_tf_slim_after_one_training_batch_norm_update",
)


@pytest.fixture(scope="module")
def tfslim_pieces(request, tmp_path_factory):
    """tf_slim's results for the pieces this session's peer tests check (one subprocess)."""
    selected = []
    for item in request.session.items:
        if item.module is request.module and item.originalname in _PEER_TESTS:
            piece = item.callspec.params["piece"]
            if piece not in selected:
                selected.append(piece)
    return run_tfslim_zoo(selected, tmp_path_factory.mktemp("tfslim_inception_v4"))


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
@pytest.mark.parametrize("piece", PARAMS)
def test_piece_matches_tf_slim_in_inference_mode(piece, tfslim_pieces):
    _assert_matches(run_kslim_zoo(piece, "infer"), tfslim_pieces.get(piece.id)["infer"], "infer")


@pytest.mark.peer
@pytest.mark.parametrize("piece", PARAMS)
def test_piece_matches_tf_slim_after_one_training_batch_norm_update(piece, tfslim_pieces):
    _assert_matches(run_kslim_zoo(piece, "train"), tfslim_pieces.get(piece.id)["train"], "train")


def _published(prefix: str) -> list[list]:
    return [v for v in reference("inception_v4")["variables"] if v[0].startswith(prefix)]


def _built() -> list[list]:
    return [[v.path, list(v.shape)] for v in slim.get_collection(slim.GraphKeys.GLOBAL_VARIABLES)]


@pytest.mark.parametrize(
    ("block", "scope", "depth"),
    [
        ("block_inception_a", "Mixed_5e", 384),
        pytest.param("block_reduction_a", "Mixed_6a", 384, marks=pytest.mark.slow),
        ("block_inception_b", "Mixed_6h", 1024),
        pytest.param("block_reduction_b", "Mixed_7a", 1024, marks=pytest.mark.slow),
        pytest.param("block_inception_c", "Mixed_7d", 1536, marks=pytest.mark.slow),
    ],
)
def test_block_builds_the_published_variables_of_its_scope(block, scope, depth):
    with slim.Graph().as_default():
        x = keras.Input(shape=(5, 5, depth), batch_size=1)
        with slim.arg_scope(inception_v4.inception_v4_arg_scope()):
            with tf.compat.v1.variable_scope("InceptionV4"):
                getattr(inception_v4, block)(x, scope)
        assert _built() == _published(f"InceptionV4/{scope}/")


def test_base_to_mixed_5b_builds_the_first_published_variables_and_end_points():
    published = reference("inception_v4")
    with slim.Graph().as_default():
        x = keras.Input(shape=(299, 299, 3), batch_size=1)
        with slim.arg_scope(inception_v4.inception_v4_arg_scope()):
            net, end_points = inception_v4.inception_v4_base(x, final_endpoint="Mixed_5b")
        built = _built()
    assert built == published["variables"][: len(built)]
    keys = list(end_points)
    assert keys == list(published["end_points"])[: keys.index("Mixed_5b") + 1]
    assert {k: list(v.shape) for k, v in end_points.items()} == {
        k: published["end_points"][k] for k in keys
    }
    assert net is end_points["Mixed_5b"]


def test_base_stops_at_the_final_endpoint():
    with slim.Graph().as_default():
        x = keras.Input(shape=(75, 75, 3), batch_size=2)
        with slim.arg_scope(inception_v4.inception_v4_arg_scope()):
            net, end_points = inception_v4.inception_v4_base(x, final_endpoint="Mixed_4a")
        scopes = {
            v.path.split("/")[1] for v in slim.get_collection(slim.GraphKeys.GLOBAL_VARIABLES)
        }
    assert list(end_points) == [
        "Conv2d_1a_3x3",
        "Conv2d_2a_3x3",
        "Conv2d_2b_3x3",
        "Mixed_3a",
        "Mixed_4a",
    ]
    assert list(net.shape) == [2, 15, 15, 192]
    assert "Mixed_5a" not in scopes


def test_unknown_final_endpoint_raises_before_building_anything():
    with slim.Graph().as_default():
        x = keras.Input(shape=(75, 75, 3), batch_size=1)
        with pytest.raises(ValueError, match="Unknown final endpoint Mixed_8a"):
            inception_v4.inception_v4_base(x, final_endpoint="Mixed_8a")
        assert slim.get_collection(slim.GraphKeys.GLOBAL_VARIABLES) == []


def test_registered_in_nets_factory_with_default_image_size_299():
    assert nets_factory.networks_map["inception_v4"] is inception_v4.inception_v4
    assert nets_factory.arg_scopes_map["inception_v4"] is inception_v4.inception_v4_arg_scope
    assert nets_factory.get_network_fn("inception_v4", 10).default_image_size == 299


@pytest.mark.slow
def test_num_classes_zero_returns_the_global_pool_without_logits_or_aux_head():
    with slim.Graph().as_default():
        x = keras.Input(shape=(107, 107, 3), batch_size=2)
        with slim.arg_scope(inception_v4.inception_v4_arg_scope()):
            net, end_points = inception_v4.inception_v4(x, num_classes=0)
        names = [v.path for v in slim.get_collection(slim.GraphKeys.GLOBAL_VARIABLES)]
    assert list(net.shape) == [2, 1, 1, 1536]
    assert net is end_points["global_pool"]
    assert not {"AuxLogits", "Logits", "PreLogitsFlatten", "Predictions"} & set(end_points)
    assert not [n for n in names if "/AuxLogits/" in n or "/Logits/" in n]


@pytest.mark.slow
def test_unknown_image_size_pools_globally_and_reuse_shares_the_variables():
    with slim.Graph().as_default():
        x = keras.Input(shape=(None, None, 3))
        with slim.arg_scope(inception_v4.inception_v4_arg_scope()):
            logits, end_points = inception_v4.inception_v4(
                x, num_classes=7, is_training=False, create_aux_logits=False
            )
            count = len(slim.get_collection(slim.GraphKeys.GLOBAL_VARIABLES))
            again, _ = inception_v4.inception_v4(
                x, num_classes=7, is_training=False, create_aux_logits=False, reuse=True
            )
        assert len(slim.get_collection(slim.GraphKeys.GLOBAL_VARIABLES)) == count
        assert "AuxLogits" not in end_points
        assert list(end_points["global_pool"].shape) == [None, 1, 1, 1536]
        model = keras.Model(x, [logits, again])
        for size in (107, 139):
            images = np.random.default_rng(size).uniform(-1, 1, (1, size, size, 3))
            first, second = model(images.astype(np.float32))
            assert first.shape == (1, 7)
            np.testing.assert_allclose(np.asarray(first), np.asarray(second), rtol=1e-6)
