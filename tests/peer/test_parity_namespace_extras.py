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


def _summary_case(id, code, inputs=None):
    return Case(
        id=id,
        code="add_to_collection = slim.add_to_collection\n" + code + _SUMMARY_KSLIM,
        tf_code="add_to_collection = tf.compat.v1.add_to_collection\n" + code + _SUMMARY_TF,
        inputs={"x": X4} if inputs is None else inputs,
        outputs=("tags", "values", "returned"),
    )


CASES = [
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
]


@pytest.mark.parametrize("case", [c.param() for c in CASES])
def test_namespace_extra_matches_tf_slim(case, peer_results):
    check_case(case, peer_results)
