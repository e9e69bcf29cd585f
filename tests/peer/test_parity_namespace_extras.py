"""Parity with tf_slim 1.1.0 of the top-level names added for issue 9 (scope 5).

``summarize_*`` (tags and summarized values), ``bucketize``, ``dense_to_sparse``,
``gdn``/``GDN`` (variables, outputs), ``poincare_normalize`` and
``adaptive_clipping_fn`` (clipped gradients and its moving averages over steps), each
run by tf_slim in one subprocess (TF1 graph mode) and by kslim.
"""

from __future__ import annotations

import numpy as np
import pytest

from .conftest import Case, check_case, randn

pytestmark = pytest.mark.peer

X4 = randn(2, 5, 5, 3, seed=41)
X2 = randn(4, 6, seed=42)
# Rows of norm well below, near and above 1 (both branches of poincare_normalize).
X2_NORMS = randn(4, 6, seed=43) * np.array([[0.05], [0.3], [1.0], [3.0]], np.float32)
X3 = randn(2, 7, 3, seed=44)
X5 = randn(2, 3, 3, 3, 2, seed=45)
LABELS = np.array([[3, 1, 4, 0, 0], [5, 0, 0, 0, 0], [2, 6, 5, 3, 5]], np.int32)

# Gradients of four steps (the last one far larger, so it is clipped), a None gradient
# and an IndexedSlices one; then the two moving averages.
GRAD_STEPS = {f"g{i}": randn(5, seed=50 + i) * s for i, s in enumerate((1.0, 1.3, 0.8, 20.0))}
_CLIP_TF = """
grads = [tf.compat.v1.placeholder(tf.float32, [5]) for _ in range(2)]
step = tf.compat.v1.placeholder(tf.int64, [])
zeros = tf.compat.v1.zeros_initializer()
variables = [slim.variable(f'v{i}', [n], initializer=zeros) for i, n in enumerate((5, 5, 3))]
clip = slim.adaptive_clipping_fn(**KWARGS, global_step=step if STEP else None)
sparse = tf.IndexedSlices(grads[1][:2], tf.constant([0, 2]), tf.constant([3]))
out = clip([(grads[0], variables[0]), (None, variables[1]), (sparse, variables[2])])
fetch = [out[0][0], out[2][0].values]
with tf.compat.v1.Session() as sess:
    sess.run(tf.compat.v1.global_variables_initializer())
    clipped = []
    for i, g in enumerate([g0, g1, g2, g3]):
        feed = {grads[0]: A[f'g{i}'], grads[1]: A[f'g{(i + 1) % 4}'], step: i}
        clipped += sess.run(fetch, feed)
    averages = sess.run(
        [v for v in tf.compat.v1.global_variables() if 'AdaptiveMaxNorm' in v.op.name])
assert out[1][0] is None
"""
_CLIP_KSLIM = """
step = tf.Variable(0, dtype=tf.int64)
zeros = tf.compat.v1.zeros_initializer()
variables = [slim.variable(f'v{i}', [n], initializer=zeros) for i, n in enumerate((5, 5, 3))]
clip = slim.adaptive_clipping_fn(**KWARGS, global_step=step if STEP else None)
clipped = []
for i in range(4):
    step.assign(i)
    g0, g1 = tf.constant(A[f'g{i}']), tf.constant(A[f'g{(i + 1) % 4}'])
    sparse = tf.IndexedSlices(g1[:2], tf.constant([0, 2]), tf.constant([3]))
    out = clip([(g0, variables[0]), (None, variables[1]), (sparse, variables[2])])
    assert out[1][0] is None
    clipped += [out[0][0].numpy(), out[2][0].values.numpy()]
averages = [v.numpy() for v in slim.get_variables('AdaptiveMaxNorm')]
"""

_RECOMPUTE = """
init = tf.compat.v1.constant_initializer(0.3)


def block(x):
    net = slim.fully_connected(x, 5, scope='fc1', weights_initializer=init)
    return slim.fully_connected(net, 3, activation_fn=tf.nn.tanh, scope='fc2',
                                weights_initializer=init)
"""
_RECOMPUTE_TF = (
    _RECOMPUTE
    + """
with variable_scope('blk', use_resource=True):
    net = slim.recompute_grad(block)(x)
loss = tf.reduce_sum(net * net)
grads = tf.gradients(loss, [x] + tf.compat.v1.trainable_variables())
"""
)
_RECOMPUTE_KSLIM = (
    _RECOMPUTE
    + """
with tf.GradientTape() as tape:
    tape.watch(x)
    with variable_scope('blk', use_resource=True):
        net = slim.recompute_grad(block)(x)
    loss = tf.reduce_sum(net * net)
grads = tape.gradient(loss, [x] + [v.value for v in slim.get_trainable_variables()])
"""
)


def _clip_case(id, kwargs, step):
    prefix = f"KWARGS = {kwargs}\nSTEP = {step}\n"
    return Case(
        id=id,
        code=prefix + _CLIP_KSLIM,
        tf_code=prefix + _CLIP_TF,
        inputs=GRAD_STEPS,
        outputs=("clipped", "averages"),
        mode="eager",
        rtol=1e-5,
    )


# tf_slim 1.1.0 defines GDN's lower-bound gradient but never registers it (its gdn
# cannot be differentiated); the reference registers slim's own function.
_GDN_GRADIENTS_TF = """
try:
    tf.RegisterGradient('GDNLowerBound')(slim.GDN._lower_bound_grad)
except KeyError:
    pass
net = slim.gdn(x, inverse=INVERSE)
loss = tf.reduce_sum(net * net)
variables = tf.compat.v1.trainable_variables()
grads = tf.gradients(loss, [x] + variables)
"""
_GDN_GRADIENTS_KSLIM = """
with tf.GradientTape(persistent=True) as tape:
    tape.watch(x)
    net = slim.gdn(x, inverse=INVERSE)
    loss = tf.reduce_sum(net * net)
variables = slim.get_trainable_variables()
grads = tape.gradient(loss, [x] + [v.value for v in variables])
"""

# Summaries as comparable arrays: tags as their UTF-8 bytes, then the summarized values.
_SUMMARY_TF = """
def _tag(summary):
    return np.frombuffer(np.asarray(tf.get_static_value(summary.op.inputs[0])).item(), np.uint8)
entries = tf.compat.v1.get_collection('summaries')
tags = [_tag(s) for s in entries]
values = [s.op.inputs[1] for s in entries]
returned = [_tag(r) for r in returned]
"""
_SUMMARY_KSLIM = """
entries = slim.get_collection('summaries')
tags = [np.frombuffer(e[0].encode(), np.uint8) for e in entries]
values = [e[1] for e in entries]
returned = [np.frombuffer(r[0].encode(), np.uint8) for r in returned]
"""

_NORMALIZER_AND_TF_RELU = """
W = tf.compat.v1.constant_initializer(1.5)
net = slim.conv2d(x, 4, 3, normalizer_fn=slim.batch_norm, scope='c1')
six = tf.nn.relu6(slim.conv2d(x, 4, 3, activation_fn=None, scope='c2', weights_initializer=W))
returned = [slim.summarize_activation(t) for t in (net, six)]
count = len(returned)
"""


def _summary_case(id, code, inputs=None):
    return Case(
        id=id,
        code="add_to_collection = slim.add_to_collection\n" + code + _SUMMARY_KSLIM,
        tf_code="add_to_collection = tf.compat.v1.add_to_collection\n" + code + _SUMMARY_TF,
        inputs={"x": X4} if inputs is None else inputs,
        outputs=("tags", "values", "returned"),
    )


CASES = [
    # Op names of activations after a normalizer / of TF ops differ from TF1's
    # (issue 9 scope 2); the values are slim's (counted on the pre-activation).
    Case(
        "summarize_activation_values_after_normalizer_and_tf_relu",
        _NORMALIZER_AND_TF_RELU + _SUMMARY_KSLIM.replace("tags = [", "_tags = ["),
        tf_code=_NORMALIZER_AND_TF_RELU + _SUMMARY_TF.replace("tags = [", "_tags = ["),
        inputs={"x": X4},
        outputs=("values", "count"),
        train=True,
    ),
    _summary_case(
        "summarize_activation_relu_relu6_softplus_linear",
        "net = slim.conv2d(x, 4, 3, scope='c1')\n"
        "six = slim.conv2d(x, 4, 3, activation_fn=tf.nn.relu6,\n"
        "                  weights_initializer=tf.compat.v1.constant_initializer(1.5),\n"
        "                  scope='c2')\n"
        "soft = slim.fully_connected(slim.flatten(x), 3, activation_fn=tf.nn.softplus,\n"
        "                            scope='fc')\n"
        "lin = slim.conv2d(x, 2, 1, activation_fn=None, scope='lin')\n"
        "returned = [slim.summarize_activation(t) for t in (net, six, soft, lin)]\n",
    ),
    _summary_case(
        "summarize_in_a_name_scope_prefixes_and_uniquifies_tags",
        "net = slim.conv2d(x, 4, 3, scope='c1')\n"
        "with name_scope('summaries'):\n"
        "    returned = [slim.summarize_activation(net), slim.summarize_activation(net)]\n"
        "    returned.append(slim.summarize_tensor(net, tag='net'))\n",
    ),
    _summary_case(
        "summarize_activations_of_the_activations_collection_filtered",
        "net = slim.conv2d(x, 4, 3, scope='c1', outputs_collections='activations')\n"
        "net = slim.conv2d(net, 4, 3, scope='c2', outputs_collections='activations')\n"
        "net = slim.conv2d(net, 4, 3, scope='d3', outputs_collections='activations')\n"
        "returned = slim.summarize_activations(name_filter='c')\n",
    ),
    _summary_case(
        "summarize_variables_weights_biases_and_tensors",
        "net = slim.conv2d(x, 4, 3, scope='c1')\n"
        "net = slim.fully_connected(slim.flatten(net), 3, scope='fc')\n"
        "returned = slim.summarize_variables('c1/')\n"
        "for v in slim.get_variables_by_name('weights'):\n"
        "    add_to_collection('weights', v)\n"
        "for v in slim.get_variables_by_name('fc/biases'):\n"
        "    add_to_collection('biases', v)\n"
        "returned += slim.summarize_weights()\n"
        "returned += slim.summarize_biases()\n"
        "returned += slim.summarize_tensors(\n"
        "    [net], summarizer=lambda t: slim.summarize_tensor(t, tag='logits'))\n"
        "returned += [slim.summarize_tensor(net)]\n",
    ),
    Case(
        "bucketize_float_boundaries",
        "net = slim.bucketize(x, boundaries=[-1.0, 0.0, 0.5, 2.0])\n"
        "ints = slim.bucketize(tf.constant([[-3, 0, 1, 7]]), [0, 2])",
        inputs={"x": X4},
        outputs=("net", "ints"),
    ),
    Case(
        "bucketize_boundaries_must_be_a_list",
        "net = slim.bucketize(x, boundaries=0.5)",
        inputs={"x": X2},
        expect_error="TypeError",
    ),
    Case(
        "poincare_normalize_axis_and_axes",
        "net = slim.layers.poincare_normalize(x)\n"
        "net0 = slim.layers.poincare_normalize(x, axis=0, epsilon=0.1)\n"
        "net4 = slim.layers.poincare_normalize(x4, axis=[1, 2])",
        inputs={"x": X2_NORMS, "x4": X4},
        outputs=("net", "net0", "net4"),
    ),
    Case(
        "dense_to_sparse_drops_eos_tokens",
        "sp = slim.dense_to_sparse(labels)\n"
        "sp5 = slim.dense_to_sparse(labels, eos_token=5, outputs_collections='end_points')\n"
        "parts = [sp.indices, sp.values, sp.dense_shape, sp5.indices, sp5.values]",
        inputs={"labels": LABELS},
        outputs=("parts",),
        collections=("end_points",),
        mode="eager",
    ),
    Case(
        "gdn_default_rank4",
        "net = slim.gdn(x)\nnet2 = slim.gdn(net)",
        inputs={"x": X4},
        outputs=("net", "net2"),
        ordered_variables=True,
    ),
    Case(
        "gdn_inverse_named_and_reused",
        "net = slim.gdn(x, inverse=True, name='igdn', gamma_init=0.3)\n"
        "again = slim.gdn(x, inverse=True, name='igdn', reuse=True)",
        inputs={"x": X4},
        outputs=("net", "again"),
    ),
    Case(
        "gdn_rank3_rank5_beta_min_offset",
        "a = slim.gdn(x3, beta_min=0.5, reparam_offset=0.01)\nb = slim.gdn(x5, trainable=False)",
        inputs={"x3": X3, "x5": X5},
        outputs=("a", "b"),
    ),
    Case(
        "gdn_scope_collision_without_reuse",
        "a = slim.gdn(x, name='g')\nb = slim.gdn(x, name='g')",
        inputs={"x": X4},
        expect_error="ValueError",
    ),
    Case(
        "gdn_gradients",
        "INVERSE = False\n" + _GDN_GRADIENTS_KSLIM,
        tf_code="INVERSE = False\n" + _GDN_GRADIENTS_TF,
        inputs={"x": X4},
        outputs=("net", "grads"),
        mode="eager",
    ),
    Case(
        "igdn_gradients",
        "INVERSE = True\n" + _GDN_GRADIENTS_KSLIM,
        tf_code="INVERSE = True\n" + _GDN_GRADIENTS_TF,
        inputs={"x": X4},
        outputs=("net", "grads"),
        mode="eager",
    ),
    Case(
        "recompute_grad_values_and_gradients",
        _RECOMPUTE_KSLIM,
        tf_code=_RECOMPUTE_TF,
        inputs={"x": X2},
        outputs=("net", "grads"),
        mode="eager",
    ),
    _clip_case("adaptive_clipping_defaults", {}, False),
    _clip_case("adaptive_clipping_with_global_step", {"decay": 0.9, "std_factor": 1.0}, True),
    _clip_case(
        "adaptive_clipping_static_max_norm", {"static_max_norm": 1.5, "epsilon": 1e-6}, False
    ),
]


@pytest.mark.parametrize("case", [c.param() for c in CASES])
def test_namespace_extra_matches_tf_slim(case, peer_results):
    check_case(case, peer_results)
