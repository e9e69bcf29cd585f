"""Runs tf_slim 1.1.0 metrics in TF1 graph mode (a subprocess of the parity test).

argv: <cases.json> <data.npz> <out.json>. Each case names a ``tf_slim.metrics``
function, its tensor arguments (keys into the data, one array per batch
stacked on axis 0) and its literal arguments; every case's update runs on each
batch, then its value is read. Writes ``{case_id: {"value", "vars"}}``.
"""

import json
import sys

import numpy as np
import tensorflow as tf

tf.compat.v1.disable_eager_execution()
# tf_slim 1.1.0 on TF 2.21 needs these TF internals back (reference §0).
from tensorflow.python.framework import ops  # noqa: E402
from tensorflow.python.ops import array_ops, control_flow_ops  # noqa: E402

ops.Tensor = tf.Tensor
ops.IndexedSlices = tf.IndexedSlices
control_flow_ops.cond = tf.compat.v1.cond
control_flow_ops.case = tf.compat.v1.case
control_flow_ops.Assert = tf.debugging.Assert
control_flow_ops.while_loop = tf.compat.v1.while_loop
array_ops.stack = tf.stack
array_ops.unstack = tf.unstack

import tf_slim  # noqa: E402

cases = json.load(open(sys.argv[1]))
data = dict(np.load(sys.argv[2]))
results = {}
graph = tf.compat.v1.get_default_graph()
built = []
for case in cases:
    fn = getattr(tf_slim.metrics, case["fn"])
    feeds = {}
    kwargs = dict(case.get("literals", {}))
    for arg, key in case["tensors"].items():
        array = data[key]
        ph = tf.compat.v1.placeholder(tf.as_dtype(array.dtype), array.shape[1:], name=key)
        feeds[ph] = key
        kwargs[arg] = ph
    before = set(v.op.name for v in tf.compat.v1.local_variables())
    value, update = fn(**kwargs)
    new = [v.op.name for v in tf.compat.v1.local_variables() if v.op.name not in before]
    built.append((case["id"], value, update, feeds, new))
with tf.compat.v1.Session() as sess:
    sess.run(tf.compat.v1.local_variables_initializer())
    for case_id, value, update, feeds, new in built:
        nb = data[next(iter(feeds.values()))].shape[0]
        for b in range(nb):
            feed = {ph: data[key][b] for ph, key in feeds.items()}
            sess.run(update, feed)
        # Some values carry control dependencies on the inputs (dynamic_auc's
        # label checks): feeding the last batch again does not update state.
        results[case_id] = {"value": np.asarray(sess.run(value, feed)).tolist(), "vars": new}
json.dump(results, open(sys.argv[3], "w"))
