"""kslim.nets against tf_slim 1.1.0's nets, built small (one tf_slim subprocess).

For every net: the same global variables in the same order with the same shapes, the same
trainable / model / ``moving_vars`` collections and number of regularization losses, the
same end_points keys (in order) and shapes. For the nets marked ``run``, the same output
and end_point values (rtol 1e-4) with the same weights, set by name, in inference mode.
"""

from __future__ import annotations

import pytest
from _nets_peer import NetSpec, assert_same_net, run_kslim_net, run_tfslim_nets

pytestmark = pytest.mark.peer

INFER = {"num_classes": 10, "is_training": False}

SPECS = [
    NetSpec(
        "alexnet_v2",
        "alexnet",
        "alexnet_v2",
        (1, 224, 224, 3),
        INFER,
        "alexnet_v2_arg_scope",
    ),
    NetSpec(
        "vgg_a", "vgg", "vgg_a", (1, 224, 224, 3), INFER, "vgg_arg_scope", run=True, fast_init=True
    ),
    NetSpec(
        "vgg_16_fully_convolutional",
        "vgg",
        "vgg_16",
        (1, 256, 256, 3),
        {**INFER, "spatial_squeeze": False},
        "vgg_arg_scope",
        fast_init=True,
    ),
    NetSpec("vgg_19", "vgg", "vgg_19", (1, 224, 224, 3), INFER, "vgg_arg_scope", fast_init=True),
    NetSpec(
        "inception_v1",
        "inception_v1",
        "inception_v1",
        (1, 224, 224, 3),
        INFER,
        "inception_v1_arg_scope",
        run=True,
    ),
    NetSpec(
        "inception_v1_base_mixed_4c",
        "inception_v1",
        "inception_v1_base",
        (1, 64, 64, 3),
        {"final_endpoint": "Mixed_4c"},
        "inception_v1_arg_scope",
    ),
    NetSpec(
        "inception_v2",
        "inception_v2",
        "inception_v2",
        (2, 64, 64, 3),
        {**INFER, "depth_multiplier": 0.5},
        "inception_v2_arg_scope",
        run=True,
    ),
    NetSpec(
        "inception_v3",
        "inception_v3",
        "inception_v3",
        (1, 107, 107, 3),
        {**INFER, "depth_multiplier": 0.25},
        "inception_v3_arg_scope",
        run=True,
    ),
    NetSpec(
        "inception_v3_75_no_aux_unsqueezed",
        "inception_v3",
        "inception_v3",
        (1, 75, 75, 3),
        {**INFER, "depth_multiplier": 0.1, "create_aux_logits": False, "spatial_squeeze": False},
        "inception_v3_arg_scope",
    ),
    NetSpec(
        "resnet_v1_50",
        "resnet_v1",
        "resnet_v1_50",
        (2, 64, 64, 3),
        INFER,
        "resnet_arg_scope",
        run=True,
    ),
    NetSpec(
        "resnet_v1_50_dense_features",
        "resnet_v1",
        "resnet_v1_50",
        (1, 65, 65, 3),
        {"num_classes": None, "is_training": False, "global_pool": False, "output_stride": 16},
        "resnet_arg_scope",
        run=True,
    ),
    NetSpec(
        "resnet_v2_50",
        "resnet_v2",
        "resnet_v2_50",
        (2, 64, 64, 3),
        INFER,
        "resnet_arg_scope",
        run=True,
    ),
]


# Variants of a family the default suite checks with another spec: the slow suite's.
SLOW = {
    "vgg_16_fully_convolutional",
    "vgg_19",
    "inception_v1_base_mixed_4c",
    "resnet_v1_50_dense_features",
}


@pytest.fixture(scope="module")
def tfslim_nets(request, tmp_path_factory):
    """tf_slim's results for the ``SPECS`` this session tests (one subprocess for the module)."""
    selected = [
        item.callspec.params["spec"]
        for item in request.session.items
        if getattr(item, "originalname", None) == "test_net_matches_tf_slim"
        and item.module is request.module
    ]
    return run_tfslim_nets(selected, tmp_path_factory.mktemp("nets_parity"))


# spec id -> a known kslim mismatch (strict xfail); none at present (inception_v3 at 75x75,
# a [1, 1] pool with stride 2, builds as in tf_slim since the pools accept such strides).
KNOWN_KSLIM_BUGS = {}


def _param(spec):
    marks = [pytest.mark.slow] if spec.id in SLOW else []
    if spec.id in KNOWN_KSLIM_BUGS:
        marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_KSLIM_BUGS[spec.id]))
    return pytest.param(spec, id=spec.id, marks=marks)


@pytest.mark.parametrize("spec", [_param(s) for s in SPECS])
def test_net_matches_tf_slim(spec, tfslim_nets):
    assert_same_net(tfslim_nets[spec.id], run_kslim_net(spec))
