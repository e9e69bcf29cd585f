"""Parity of kslim's regularizers with tf_slim 1.1.0's (run in a subprocess).

The penalties of l1, l2 (``scale·Σw²/2``), l1_l2 and sum_regularizer on the same
weights, their validation errors, ``apply_regularization``, and the regularization
losses layers add (``get_regularization_losses`` / ``get_total_loss``) must agree.
"""

from __future__ import annotations

import pytest

from .conftest import Case, check_case, randn

pytestmark = pytest.mark.peer

W = randn(3, 4, seed=50)
W2 = randn(5, seed=51)
X4 = randn(2, 6, 6, 3, seed=52)
X2 = randn(4, 5, seed=53)


def _reg(id, code, expect_error=None):
    return Case(
        id=id,
        code=code,
        inputs={"w": W, "w2": W2},
        outputs=() if expect_error else ("r",),
        mode="eager",
        expect_error=expect_error,
    )


CASES = [
    _reg("l1_regularizer", "r = slim.l1_regularizer(0.5)(w)"),
    _reg("l2_regularizer_halves_sum_of_squares", "r = slim.l2_regularizer(0.5)(w)"),
    _reg("l2_regularizer_small_scale", "r = slim.l2_regularizer(0.0005)(w2)"),
    _reg("l1_l2_regularizer_default_scales", "r = slim.l1_l2_regularizer()(w)"),
    _reg("l1_l2_regularizer_scales", "r = slim.l1_l2_regularizer(0.3, 0.2)(w)"),
    _reg("l1_l2_regularizer_l1_zero_is_l2", "r = slim.l1_l2_regularizer(0.0, 0.2)(w)"),
    _reg("l1_l2_regularizer_l2_zero_is_l1", "r = slim.l1_l2_regularizer(0.3, 0.0)(w)"),
    _reg(
        "sum_regularizer_skips_none",
        "r = slim.sum_regularizer([slim.l1_regularizer(0.1), None, slim.l2_regularizer(0.2)])(w)",
    ),
    _reg("sum_regularizer_of_nothing_is_none", "r = slim.sum_regularizer([None]) is None"),
    _reg("l1_zero_scale_disables", "r = slim.l1_regularizer(0.0)(w) is None"),
    _reg("l2_zero_scale_disables", "r = slim.l2_regularizer(0.0)(w) is None"),
    _reg("l1_integer_scale_rejected", "r = slim.l1_regularizer(1)", expect_error="ValueError"),
    _reg("l2_negative_scale_rejected", "r = slim.l2_regularizer(-0.1)", expect_error="ValueError"),
    _reg(
        "l1_l2_integer_scale_rejected",
        "r = slim.l1_l2_regularizer(scale_l1=1)",
        expect_error="ValueError",
    ),
    _reg(
        "apply_regularization_sums_and_collects",
        "p = slim.apply_regularization(slim.l2_regularizer(0.1), [w, w2])\n"
        "r = [p, slim.losses.get_regularization_losses()]",
    ),
    _reg(
        "apply_regularization_without_weights",
        "r = slim.apply_regularization(slim.l2_regularizer(0.1))",
        expect_error="ValueError",
    ),
    # Regularizers attached to layers: penalties on tf_slim's weights, by name.
    Case(
        "conv2d_weights_and_biases_regularizers",
        "net = slim.conv2d(x, 4, 3, weights_regularizer=slim.l2_regularizer(0.5),\n"
        "                  biases_regularizer=slim.l1_regularizer(0.1),\n"
        "                  biases_initializer=tf.compat.v1.constant_initializer(0.3))\n"
        "r = slim.losses.get_regularization_losses()\n"
        "total = slim.losses.get_total_loss()",
        inputs={"x": X4},
        outputs=("r", "total"),
    ),
    Case(
        "fully_connected_l1_l2_regularizer_arg_scope",
        "with slim.arg_scope([slim.fully_connected],\n"
        "                    weights_regularizer=slim.l1_l2_regularizer(0.01, 0.02)):\n"
        "    net = slim.fully_connected(x, 6, scope='fc1')\n"
        "    net = slim.fully_connected(net, 3, scope='fc2')\n"
        "r = slim.losses.get_regularization_losses()\n"
        "fc2 = slim.losses.get_regularization_losses('fc2')",
        inputs={"x": X2},
        outputs=("net", "r", "fc2"),
    ),
    Case(
        "conv2d_zero_scale_regularizer_adds_nothing",
        "net = slim.conv2d(x, 4, 3, weights_regularizer=slim.l2_regularizer(0.0))\n"
        "r = len(slim.losses.get_regularization_losses())",
        inputs={"x": X4},
        outputs=("net", "r"),
    ),
    Case(
        "batch_norm_param_regularizers",
        "net = slim.batch_norm(x, scale=True, param_regularizers={\n"
        "    'beta': slim.l1_regularizer(0.1), 'gamma': slim.l2_regularizer(0.2)},\n"
        "    param_initializers={'beta': tf.compat.v1.constant_initializer(0.5)})\n"
        "n = len(slim.losses.get_regularization_losses())\n"
        "total = slim.losses.get_total_loss()",
        inputs={"x": X4},
        outputs=("net", "n", "total"),
        train=True,
    ),
    Case(
        "batch_norm_param_regularizers_order",
        "net = slim.batch_norm(x, scale=True, param_regularizers={\n"
        "    'beta': slim.l1_regularizer(0.1), 'gamma': slim.l2_regularizer(0.2)})\n"
        "r = slim.losses.get_regularization_losses()",
        inputs={"x": X4},
        outputs=("net", "r"),
        train=True,
    ),
    Case(
        "separable_conv2d_regularizes_both_weights",
        "net = slim.separable_conv2d(x, 5, 3, weights_regularizer=slim.l2_regularizer(0.5))\n"
        "r = slim.losses.get_regularization_losses()",
        inputs={"x": X4},
        outputs=("net", "r"),
        requires=("separable_conv2d",),
    ),
]


@pytest.mark.parametrize("case", [c.param() for c in CASES])
def test_regularizer_matches_tf_slim(case, peer_results):
    check_case(case, peer_results)
