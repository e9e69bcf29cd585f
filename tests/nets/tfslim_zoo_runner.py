"""Builds kslim's zoo net files with tf_slim 1.1.0 (TF1 graph mode) and records the results.

Run as a separate process (``python tfslim_zoo_runner.py REQUEST.json RESULT.npz``), never
imported into the pytest process: tf_slim needs TF1 graph mode and the patched TF internals
of ``peer.harness`` (which also serves the request), which do not mix with Keras 3.

The net files are kslim's own (``kslim/nets/<module>.py``), imported as
``zoo_tfslim.<module>`` with their ``import kslim as slim`` line read as
``import tf_slim as slim`` (``_zoo_peer.TfSlimNetsFinder``).

The request's cases are ``ZooSpec`` s as JSON; its option ``"dir"`` is WORKDIR. For each spec and
mode (``infer``: ``is_training=False``; ``train``: ``is_training=True`` and one run of the
``UPDATE_OPS`` with the outputs) a fresh graph is built on the seeded input and every
variable is set to ``_nets_peer.seeded_value``. The result has a ``__meta__`` JSON entry
(variable names and shapes in creation order, trainable and model variables, end_points
keys and shapes, logits shape, the checkpoint path) and arrays ``<id>/<mode>/logits``,
``<id>/<mode>/end_points/<key>`` and ``<id>/<mode>/values_after/<variable>``. The
inference graph's variables are also saved with a TF1 ``Saver`` (exactly the net's
variables) to ``WORKDIR/<id>/model.ckpt``.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # tests/: the peer harness
sys.path.insert(0, str(HERE))

from _zoo_peer import (  # noqa: E402
    MODES,
    TFSLIM_PACKAGE,
    ZooSpec,
    call_net,
    install_tfslim_nets_finder,
    seeded_input,
    seeded_value,
)
from peer import harness  # noqa: E402


def _run_mode(spec: ZooSpec, mode: str, workdir: Path, tf, slim):
    module = importlib.import_module(f"{TFSLIM_PACKAGE}.{spec.module}")
    scope_module = importlib.import_module(f"{TFSLIM_PACKAGE}.{spec.arg_scope_module}")
    meta, arrays = {}, {}
    prefix = f"{spec.id}/{mode}/"
    graph = tf.Graph()
    with graph.as_default():
        x = tf.constant(seeded_input(spec.input_shape), name="inputs")
        logits, end_points = call_net(spec, mode, module, scope_module, x, slim)
        variables = tf.compat.v1.global_variables()
        meta["variables"] = [v.op.name for v in variables]
        meta["shapes"] = [v.shape.as_list() for v in variables]
        meta["trainable"] = [v.op.name for v in tf.compat.v1.trainable_variables()]
        meta["model_variables"] = [v.op.name for v in tf.compat.v1.model_variables()]
        meta["end_points"] = [[k, v.shape.as_list()] for k, v in end_points.items()]
        meta["logits_shape"] = logits.shape.as_list()
        updates = []
        if mode == "train":
            updates = tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.UPDATE_OPS)
        # One run feeding every initializer's value (``Variable.load`` per variable costs
        # a session run each).
        feeds = {
            v.initializer.inputs[1]: seeded_value(v.op.name, v.shape.as_list()) for v in variables
        }
        with tf.compat.v1.Session(graph=graph) as sess:
            sess.run([v.initializer for v in variables], feed_dict=feeds)
            fetched, _ = sess.run([{"logits": logits, "end_points": dict(end_points)}, updates])
            after = sess.run(variables)
            if mode == "infer":
                path = workdir / spec.id / "model.ckpt"
                path.parent.mkdir(parents=True, exist_ok=True)
                saver = tf.compat.v1.train.Saver(variables)
                meta["checkpoint"] = saver.save(sess, str(path), write_meta_graph=False)
    arrays[f"{prefix}logits"] = fetched["logits"]
    for key, value in fetched["end_points"].items():
        arrays[f"{prefix}end_points/{key}"] = value
    for name, value in zip(meta["variables"], after, strict=True):
        arrays[f"{prefix}values_after/{name}"] = value
    return meta, arrays


def _run_spec(raw, request, tf, slim):
    """Both modes of one spec (``harness.serve`` reports a spec that raises)."""
    install_tfslim_nets_finder()
    spec = ZooSpec(**raw)
    workdir = Path(request.options["dir"])
    meta, arrays = {"id": spec.id}, {}
    for mode in MODES:
        meta[mode], mode_arrays = _run_mode(spec, mode, workdir, tf, slim)
        arrays.update(mode_arrays)
    return meta, arrays


if __name__ == "__main__":
    sys.exit(harness.serve(_run_spec, sys.argv))
