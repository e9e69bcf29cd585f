"""Parity with TF1: every converted optimizer gives TF1's weights after every step.

One subprocess runs TF1 in graph mode: for each case it applies the TF1 optimizer for
10 steps to a linear-regression problem (dense gradients for ``linear/weights`` and
``linear/biases``) plus an embedding with sparse gradients that repeat indices, and
records the gradients it fed and the weights after each step, with the names of TF1's
optimizer variables. kslim's converted optimizer replays the same gradients from the
same initial weights and must reach the same weights (rtol 1e-5) and use the same names.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

from kslim.learning.optimizers import to_keras_optimizer

pytestmark = pytest.mark.peer

STEPS = 10

# name -> constructor expression, evaluated with `train = tf.compat.v1.train` and `gs`
# (the global step) on both sides.
CASES = {
    "gradient_descent": "train.GradientDescentOptimizer(0.1)",
    "momentum": "train.MomentumOptimizer(0.05, 0.9)",
    "momentum_nesterov": "train.MomentumOptimizer(0.05, 0.9, use_nesterov=True)",
    "rmsprop": "train.RMSPropOptimizer(0.01)",
    "rmsprop_momentum": "train.RMSPropOptimizer(0.01, decay=0.8, momentum=0.5, epsilon=1e-6)",
    "rmsprop_centered": "train.RMSPropOptimizer(0.01, momentum=0.9, centered=True)",
    "rmsprop_decayed_lr": (
        "train.RMSPropOptimizer(train.exponential_decay(0.02, gs, 3, 0.5), momentum=0.9)"
    ),
    "adam": "train.AdamOptimizer(0.05)",
    "adam_large_epsilon": "train.AdamOptimizer(0.01, beta1=0.8, beta2=0.99, epsilon=0.1)",
    "adagrad": "train.AdagradOptimizer(0.1)",
    "adagrad_initial_accumulator": "train.AdagradOptimizer(0.1, initial_accumulator_value=0.5)",
}

_PEER = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import tensorflow as tf
    tf.compat.v1.disable_eager_execution()
    train = tf.compat.v1.train
    cases, steps = json.loads(sys.argv[1]), int(sys.argv[2])
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 3)).astype(np.float32)
    y = rng.normal(size=(8, 2)).astype(np.float32)
    init = [rng.normal(size=s).astype(np.float32) for s in [(3, 2), (2,), (5, 2)]]
    indices = [rng.integers(0, 5, size=4).astype(np.int32) for _ in range(steps)]
    results = {}
    for case, expression in cases.items():
        graph = tf.Graph()
        with graph.as_default():
            gs = train.get_or_create_global_step()
            with tf.compat.v1.variable_scope("linear"):
                w = tf.compat.v1.get_variable("weights", initializer=init[0], use_resource=True)
                b = tf.compat.v1.get_variable("biases", initializer=init[1], use_resource=True)
            e = tf.compat.v1.get_variable("embedding", initializer=init[2], use_resource=True)
            gw = tf.compat.v1.placeholder(tf.float32, (3, 2))
            gb = tf.compat.v1.placeholder(tf.float32, (2,))
            ge = tf.compat.v1.placeholder(tf.float32, (4, 2))
            gi = tf.compat.v1.placeholder(tf.int32, (4,))
            opt = eval(expression)
            sparse = tf.IndexedSlices(ge, gi, tf.constant([5, 2]))
            apply = opt.apply_gradients([(gw, w), (gb, b), (sparse, e)], global_step=gs)
            names = sorted(v.op.name for v in opt.variables())
            with tf.compat.v1.Session() as sess:
                sess.run(tf.compat.v1.global_variables_initializer())
                grads, weights = [], []
                for step in range(steps):
                    wv, bv, ev = sess.run([w, b, e])
                    error = x @ wv + bv - y
                    g = [2.0 / 8 * x.T @ error, 2.0 / 8 * error.sum(0), ev[indices[step]] - 0.5]
                    g = [a.astype(np.float32) for a in g]
                    sess.run(apply, {gw: g[0], gb: g[1], ge: g[2], gi: indices[step]})
                    grads.append([a.tolist() for a in g])
                    weights.append([a.tolist() for a in sess.run([w, b, e])])
        results[case] = {"grads": grads, "weights": weights, "names": names}
    json.dump({"init": [a.tolist() for a in init],
               "indices": [i.tolist() for i in indices], "results": results}, sys.stdout)
    """
)


@pytest.fixture(scope="module")
def tf1_runs():
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    proc = subprocess.run(
        [sys.executable, "-c", _PEER, json.dumps(CASES), str(STEPS)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def _variable(path: str, value) -> keras.Variable:
    parent, _, leaf = path.rpartition("/")
    if parent:
        with keras.name_scope(parent):
            return keras.Variable(np.asarray(value, np.float32), name=leaf)
    return keras.Variable(np.asarray(value, np.float32), name=leaf)


@pytest.mark.parametrize("case", sorted(CASES))
def test_converted_optimizer_matches_tf1_weights_after_every_step(tf1_runs, case):
    run = tf1_runs["results"][case]
    train = tf.compat.v1.train  # noqa: F841 (used by the case expression)
    gs = tf.Variable(0, dtype=tf.int64)  # noqa: F841 (used by the case expression)
    optimizer = to_keras_optimizer(eval(CASES[case]))
    variables = [
        _variable(path, value)
        for path, value in zip(
            ["linear/weights", "linear/biases", "embedding"], tf1_runs["init"], strict=True
        )
    ]

    @tf.function
    def step(gw, gb, ge, gi):
        sparse = tf.IndexedSlices(ge, gi, tf.constant([5, 2], tf.int32))
        optimizer.apply([gw, gb, sparse], variables)

    for number, (grads, expected) in enumerate(
        zip(run["grads"], run["weights"], strict=True), start=1
    ):
        gw, gb, ge = (np.asarray(g, np.float32) for g in grads)
        step(gw, gb, ge, np.asarray(tf1_runs["indices"][number - 1], np.int32))
        for variable, want in zip(variables, expected, strict=True):
            np.testing.assert_allclose(
                variable.numpy(),
                np.asarray(want, np.float32),
                rtol=1e-5,
                atol=1e-7,
                err_msg=f"{case}: {variable.path} after step {number}",
            )

    if hasattr(optimizer, "slot_variables_by_tf1_name"):
        names = sorted(optimizer.slot_variables_by_tf1_name())
    else:
        names = []
    assert names == run["names"]
