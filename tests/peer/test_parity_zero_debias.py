"""Parity of ``batch_norm(zero_debias_moving_mean=True)`` with tf_slim 1.1.0.

slim debiases the moving mean as ``tf.compat.v1.train.assign_moving_average(...,
zero_debias=True)`` does: two more variables, ``<scope>/moving_mean/biased`` (the plain
zero-started average) and ``<scope>/moving_mean/local_step`` (the update count), and
``moving_mean = biased / (1 - decay ** local_step)``. Compared here: variable names,
shapes and collections, outputs, and every variable after one and after three training
steps (rank 2 and 4 take slim's fused path, rank 3 and ``fused=False`` the legacy one).
"""

from __future__ import annotations

import pytest

from .conftest import Case, check_case, randn

pytestmark = pytest.mark.peer

X4 = randn(2, 5, 5, 3, seed=21)
X2 = randn(6, 4, seed=22)
X3 = randn(3, 5, 4, seed=23)
BATCHES = {f"x{i}": randn(4, 3, 3, 2, seed=30 + i) + 0.5 * i for i in range(3)}

# Three training steps on three batches, then every variable of the scope. tf_slim's
# side runs the update ops of each call in its own session run.
_THREE_STEPS_TF = """
nets, updates = [], []
for i, xi in enumerate([x0, x1, x2]):
    start = len(tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.UPDATE_OPS))
    nets.append(slim.batch_norm(xi, decay=0.7, zero_debias_moving_mean=True, scope='bn',
                                reuse=i > 0, **KWARGS))
    updates.append(tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.UPDATE_OPS)[start:])
with tf.compat.v1.Session() as sess:
    sess.run(tf.compat.v1.global_variables_initializer())
    outs = [sess.run([n, u])[0] for n, u in zip(nets, updates)]
    values = sess.run({v.op.name: v for v in tf.compat.v1.global_variables()})
state = [values[k] for k in sorted(values)]
"""
_THREE_STEPS_KSLIM = """
outs = []
for i, xi in enumerate([x0, x1, x2]):
    net = slim.batch_norm(xi, decay=0.7, zero_debias_moving_mean=True, scope='bn',
                          reuse=i > 0, **KWARGS)
    outs.append(net.numpy())
values = {v.path: v.numpy() for v in slim.get_variables()}
state = [values[k] for k in sorted(values)]
"""


def _three_steps(id, kwargs):
    prefix = f"KWARGS = {kwargs}\n"
    return Case(
        id=id,
        code=prefix + _THREE_STEPS_KSLIM,
        tf_code=prefix + _THREE_STEPS_TF,
        inputs=BATCHES,
        outputs=("outs", "state"),
        mode="eager",
    )


CASES = [
    Case(
        "zero_debias_rank4_train",
        "net = slim.batch_norm(x, decay=0.9, zero_debias_moving_mean=True)",
        inputs={"x": X4},
        outputs=("net",),
        train=True,
        ordered_variables=True,
    ),
    Case(
        "zero_debias_rank4_scale_train",
        "net = slim.batch_norm(x, scale=True, zero_debias_moving_mean=True, scope='bn')",
        inputs={"x": X4},
        outputs=("net",),
        train=True,
    ),
    Case(
        "zero_debias_rank2_train",
        "net = slim.batch_norm(x, decay=0.5, zero_debias_moving_mean=True)",
        inputs={"x": X2},
        outputs=("net",),
        train=True,
    ),
    Case(
        "zero_debias_rank3_legacy_train",
        "net = slim.batch_norm(x, decay=0.5, zero_debias_moving_mean=True)",
        inputs={"x": X3},
        outputs=("net",),
        train=True,
    ),
    Case(
        "zero_debias_not_fused_train",
        "net = slim.batch_norm(x, decay=0.5, fused=False, zero_debias_moving_mean=True)",
        inputs={"x": X4},
        outputs=("net",),
        train=True,
    ),
    Case(
        "zero_debias_updates_inline_train",
        "net = slim.batch_norm(x, decay=0.5, updates_collections=None,\n"
        "                      zero_debias_moving_mean=True)",
        inputs={"x": X4},
        outputs=("net",),
        train=True,
    ),
    Case(
        "zero_debias_inference_creates_no_debias_variables",
        "net = slim.batch_norm(x, is_training=False, zero_debias_moving_mean=True)",
        inputs={"x": X4},
        outputs=("net",),
    ),
    Case(
        "zero_debias_conv2d_normalizer_arg_scope_train",
        "with slim.arg_scope([slim.batch_norm], zero_debias_moving_mean=True, decay=0.9):\n"
        "    net = slim.conv2d(x, 4, 3, normalizer_fn=slim.batch_norm, scope='conv1')\n"
        "    net = slim.conv2d(net, 2, 3, normalizer_fn=slim.batch_norm, scope='conv2')",
        inputs={"x": X4},
        outputs=("net",),
        train=True,
    ),
    Case(
        "zero_debias_variables_collections_skip_debias_variables",
        "net = slim.batch_norm(x, zero_debias_moving_mean=True,\n"
        "                      variables_collections=['bn_vars'])\n"
        "collected = len(slim.get_collection('bn_vars'))",
        tf_code="net = slim.batch_norm(x, zero_debias_moving_mean=True,\n"
        "                      variables_collections=['bn_vars'])\n"
        "collected = len(tf.compat.v1.get_collection('bn_vars'))",
        inputs={"x": X4},
        outputs=("net", "collected"),
        train=True,
    ),
    _three_steps("zero_debias_three_steps_rank4", {}),
    _three_steps("zero_debias_three_steps_not_fused_scale", {"fused": False, "scale": True}),
]


@pytest.mark.parametrize("case", [c.param() for c in CASES])
def test_zero_debias_batch_norm_matches_tf_slim(case, peer_results):
    check_case(case, peer_results)
