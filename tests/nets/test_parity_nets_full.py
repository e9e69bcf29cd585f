"""kslim.nets at full size (default image size, 1000 classes) against tf_slim 1.1.0.

Slow: the VGG and OverFeat nets hold 130M+ parameters. Checks the variable counts of
reference §11 and full parity of names, order, shapes and end_points with tf_slim (one
subprocess), and the outputs of OverFeat and VGG-16 with the same weights.
"""

from __future__ import annotations

import pytest
from _nets_peer import NetSpec, assert_same_net, run_kslim_net, run_tfslim_nets

pytestmark = [pytest.mark.slow, pytest.mark.peer]

FULL = {"num_classes": 1000, "is_training": False}

# (spec, global variables, trainable variables): reference §11.
CASES = [
    (
        NetSpec(
            "alexnet_v2", "alexnet", "alexnet_v2", (1, 224, 224, 3), FULL, "alexnet_v2_arg_scope"
        ),
        16,
        16,
    ),
    (
        NetSpec(
            "overfeat",
            "overfeat",
            "overfeat",
            (1, 231, 231, 3),
            FULL,
            "overfeat_arg_scope",
            run=True,
        ),
        16,
        16,
    ),
    (
        NetSpec("vgg_a", "vgg", "vgg_a", (1, 224, 224, 3), FULL, "vgg_arg_scope", fast_init=True),
        22,
        22,
    ),
    (
        NetSpec(
            "vgg_16",
            "vgg",
            "vgg_16",
            (1, 224, 224, 3),
            FULL,
            "vgg_arg_scope",
            run=True,
            fast_init=True,
        ),
        32,
        32,
    ),
    (
        NetSpec("vgg_19", "vgg", "vgg_19", (1, 224, 224, 3), FULL, "vgg_arg_scope", fast_init=True),
        38,
        38,
    ),
    (
        NetSpec(
            "inception_v1",
            "inception_v1",
            "inception_v1",
            (1, 224, 224, 3),
            FULL,
            "inception_v1_arg_scope",
        ),
        230,
        116,
    ),
    (
        NetSpec(
            "inception_v2",
            "inception_v2",
            "inception_v2",
            (1, 224, 224, 3),
            FULL,
            "inception_v2_arg_scope",
        ),
        277,
        141,
    ),
    (
        NetSpec(
            "inception_v3",
            "inception_v3",
            "inception_v3",
            (1, 299, 299, 3),
            FULL,
            "inception_v3_arg_scope",
        ),
        388,
        196,
    ),
    (
        NetSpec(
            "resnet_v1_50", "resnet_v1", "resnet_v1_50", (1, 224, 224, 3), FULL, "resnet_arg_scope"
        ),
        267,
        161,
    ),
    (
        NetSpec(
            "resnet_v2_50", "resnet_v2", "resnet_v2_50", (1, 224, 224, 3), FULL, "resnet_arg_scope"
        ),
        272,
        174,
    ),
]
SPECS = [spec for spec, _, _ in CASES]


@pytest.fixture(scope="module")
def tfslim_nets(tmp_path_factory):
    """tf_slim's results for ``SPECS`` (one subprocess for the module)."""
    return run_tfslim_nets(SPECS, tmp_path_factory.mktemp("nets_full"))


@pytest.mark.parametrize("spec, n_global, n_trainable", CASES, ids=[s.id for s in SPECS])
def test_full_size_net_matches_tf_slim(spec, n_global, n_trainable, tfslim_nets):
    ref = tfslim_nets[spec.id]
    assert (len(ref.variables), len(ref.trainable)) == (n_global, n_trainable)
    got = run_kslim_net(spec)
    assert (len(got.variables), len(got.trainable)) == (n_global, n_trainable)
    assert_same_net(ref, got)
