"""Runs slim model code with tf_slim 1.1.0 (TF1 graph mode) and records the results.

Run as a separate process (``python tfslim_runner.py REQUEST.json RESULT.npz``), never
imported into the pytest process: tf_slim needs TF1 graph mode and patched TF
internals, which do not mix with Keras 3 in one interpreter.

A request (written by ``peer.harness.run_runner``, served by ``harness.serve``) is a JSON
list of cases plus an ``.npz`` of input arrays (path given by the request's ``"arrays"``
field). Each case is::

    {"id": "conv2d_default",
     "code": "net = slim.conv2d(x, 5, 3)",     # Python run with slim = tf_slim
     "inputs": ["x"],                           # arrays fed as tensors (key "<id>/<name>")
     "outputs": ["net"],                        # names bound by the code (tensors or lists)
     "train": false,                            # also run the UPDATE_OPS collection
     "collections": ["end_points"]}             # report the aliases of these collections

The code runs with ``slim``, ``tf``, ``np``, ``A`` (the case's input arrays as numpy),
``variable_scope``/``name_scope`` (``tf.compat.v1``'s) and each input name (a
tf.constant) in scope, inside a fresh ``tf.Graph``. The result
``.npz`` has, per case, the outputs (flattened), each global variable's value before
and after the run, and a ``__meta__`` JSON entry with variable names and shapes,
collection contents and any error raised (type and message).

Channels-first cases on hosts without channels-first CPU kernels: TF's CPU Conv2D and
MaxPool kernels run NCHW only where oneDNN provides them (some CPUs, not others). When a
case using ``data_format='NCHW'`` (or ``'NCW'``/``'NCDHW'``) fails with TF's "only supports
NHWC" kernel error, it is run again in the channels-last format on transposed inputs and
its outputs are transposed back, so the reference still answers for the same model (same
variables: slim's kernels have the same shape in both formats). The meta entry
``"peer_layout"`` records that it did. ``KSLIM_PEER_CHANNELS_LAST=1`` in the environment
takes that route for every channels-first case (so it is tested on every host). The
format names, the error pattern and the transposes are ``peer.harness``'s.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the peer harness
from peer import harness  # noqa: E402


def _flatten(value):
    if isinstance(value, dict):
        return [v for k in sorted(value) for v in _flatten(value[k])]
    if isinstance(value, (list, tuple)):
        return [v for item in value for v in _flatten(item)]
    return [value]


def _run_channels_last(case, arrays, tf, np, slim):
    """Runs a channels-first case in channels-last form (see the module docstring).

    Inputs and outputs whose rank is that of one of the case's formats are transposed.
    """
    ranks = {len(f) for f in harness.channels_first_formats(case["code"])}
    cid = case["id"]
    local = dict(arrays)
    for name in case.get("inputs", []):
        value = arrays[f"{cid}/{name}"]
        if value.ndim in ranks:
            local[f"{cid}/{name}"] = harness.to_channels_last(value)
    code = harness.channels_last_code(case["code"])
    meta, out_arrays = _run_case(dict(case, code=code), local, tf, np, slim, fallback=False)
    for key, value in list(out_arrays.items()):
        if key.startswith(f"{cid}/out/") and value.ndim in ranks:
            out_arrays[key] = harness.to_channels_first(value)
    meta["peer_layout"] = "channels-last on transposed inputs (host has no channels-first kernels)"
    return meta, out_arrays


def _run_case(case, arrays, tf, np, slim, fallback=True):
    if fallback and harness.channels_last_forced() and harness.channels_first_formats(case["code"]):
        return _run_channels_last(case, arrays, tf, np, slim)
    cid = case["id"]
    meta = {"id": cid}
    out_arrays = {}
    A = {name: arrays[f"{cid}/{name}"] for name in case.get("inputs", [])}
    graph = tf.Graph()
    with graph.as_default():
        namespace = {
            "slim": slim,
            "tf": tf,
            "np": np,
            "A": A,
            "variable_scope": tf.compat.v1.variable_scope,
            "name_scope": tf.compat.v1.name_scope,
        }
        for name, value in A.items():
            namespace[name] = tf.constant(value, name=name)
        try:
            exec(compile(case["code"], f"<case {cid}>", "exec"), namespace)  # noqa: S102
        except Exception as exc:  # noqa: BLE001 - the error is the result
            meta["error"] = {"type": type(exc).__name__, "message": str(exc)}
            return meta, out_arrays
        variables = tf.compat.v1.global_variables()
        meta["variables"] = [v.op.name for v in variables]
        meta["shapes"] = [v.shape.as_list() for v in variables]
        meta["trainable"] = [v.op.name for v in tf.compat.v1.trainable_variables()]
        meta["model_variables"] = [v.op.name for v in tf.compat.v1.model_variables()]
        meta["collections"] = {}
        for coll in case.get("collections", []):
            meta["collections"][coll] = list(slim.utils.convert_collection_to_dict(coll))
        meta["update_ops"] = len(tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.UPDATE_OPS))
        meta["losses"] = len(tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.LOSSES))
        reg = tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.REGULARIZATION_LOSSES)
        meta["regularization_losses"] = [t.op.name for t in reg]
        fetches = {name: _flatten(namespace[name]) for name in case.get("outputs", [])}
        # Plain Python/numpy values (``reg is None``, a count) are reported as they are.
        tensors = {
            name: [v for v in vals if isinstance(v, (tf.Tensor, tf.Variable))]
            for name, vals in fetches.items()
        }
        with tf.compat.v1.Session(graph=graph) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            sess.run(tf.compat.v1.local_variables_initializer())
            before = sess.run(variables)
            updates = []
            if case.get("train"):
                updates = tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.UPDATE_OPS)
            try:
                fetched, _ = sess.run([tensors, updates])
            except Exception as exc:  # noqa: BLE001 - the error is the result
                meta["error"] = {"type": type(exc).__name__, "message": str(exc)}
                if fallback and harness.needs_channels_last(meta.get("error"), case["code"]):
                    return _run_channels_last(case, arrays, tf, np, slim)
                return meta, out_arrays
            after = sess.run(variables)
        values = {}
        for name, vals in fetches.items():
            it = iter(fetched[name])
            values[name] = [
                next(it) if isinstance(v, (tf.Tensor, tf.Variable)) else v for v in vals
            ]
        meta["outputs"] = {name: len(vals) for name, vals in values.items()}
        for name, vals in values.items():
            for i, val in enumerate(vals):
                out_arrays[f"{cid}/out/{name}/{i}"] = np.asarray(val)
        for name, b, a in zip(meta["variables"], before, after, strict=True):
            out_arrays[f"{cid}/init/{name}"] = np.asarray(b)
            out_arrays[f"{cid}/final/{name}"] = np.asarray(a)
    return meta, out_arrays


def _serve_case(case, request, tf, slim):
    import numpy as np

    return _run_case(case, request.arrays, tf, np, slim)


if __name__ == "__main__":
    sys.exit(harness.serve(_serve_case, sys.argv))
