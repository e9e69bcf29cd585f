"""Builds slim nets with tf_slim 1.1.0 (TF1 graph mode) and records what kslim must match.

Run as a separate process (``python tfslim_nets_runner.py REQUEST.json RESULT.npz``), never
imported into the pytest process: tf_slim needs TF1 graph mode and the patched TF internals
of ``peer.harness`` (which also serves the request), which do not mix with Keras 3.

The request's cases are net specs (see ``_nets_peer.NetSpec``). For each net the
result has a ``__meta__`` JSON entry with the global / trainable / model variable names in
creation order, their shapes, the ``moving_vars`` collection, the regularization losses,
the end_points keys and shapes in order, and the output shape; for specs with ``run`` the
``.npz`` also holds the net output and every end_point computed with the deterministic
weights of ``_nets_peer.seeded_value`` on the spec's input.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # tests/: the peer harness
sys.path.insert(0, str(HERE))

from _nets_peer import NetSpec, call_net, seeded_input, seeded_value  # noqa: E402
from peer import harness  # noqa: E402


def _build(spec, tf, slim):
    module = importlib.import_module(f"tf_slim.nets.{spec['module']}")
    x = tf.constant(seeded_input(spec["input_shape"]), name="inputs")
    return call_net(NetSpec(**spec), module, x, slim)


def _run_spec(spec, request, tf, slim):
    meta = {"id": spec["id"]}
    arrays = {}
    graph = tf.Graph()
    with graph.as_default():
        net, end_points = _build(spec, tf, slim)
        coll = tf.compat.v1.get_collection
        keys = tf.compat.v1.GraphKeys
        variables = tf.compat.v1.global_variables()
        meta["variables"] = [v.op.name for v in variables]
        meta["shapes"] = [v.shape.as_list() for v in variables]
        meta["trainable"] = [v.op.name for v in tf.compat.v1.trainable_variables()]
        meta["model_variables"] = [v.op.name for v in tf.compat.v1.model_variables()]
        meta["moving_vars"] = [v.op.name for v in coll("moving_vars")]
        meta["regularization_losses"] = len(coll(keys.REGULARIZATION_LOSSES))
        meta["end_points"] = [[k, v.shape.as_list()] for k, v in end_points.items()]
        meta["output_shape"] = net.shape.as_list()
        if spec.get("run"):
            # One run feeding every initializer's value (``Variable.load`` per variable
            # costs a session run each).
            feeds = {
                v.initializer.inputs[1]: seeded_value(v.op.name, v.shape.as_list())
                for v in variables
            }
            with tf.compat.v1.Session(graph=graph) as sess:
                sess.run([v.initializer for v in variables], feed_dict=feeds)
                fetched = sess.run({"net": net, "end_points": dict(end_points)})
            arrays[f"{spec['id']}/net"] = fetched["net"]
            for key, value in fetched["end_points"].items():
                arrays[f"{spec['id']}/end_points/{key}"] = value
    return meta, arrays


if __name__ == "__main__":
    sys.exit(harness.serve(_run_spec, sys.argv))
