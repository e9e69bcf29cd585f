"""Builds kslim's zoo net files with tf_slim 1.1.0 (TF1 graph mode) and records the results.

Run as a separate process (``python tfslim_zoo_runner.py REQUEST.json RESULT.npz``), never
imported into the pytest process: tf_slim needs TF1 graph mode and the patched TF internals
of ``tests/peer/tfslim_runner.py`` (reused here), which do not mix with Keras 3.

The net files are kslim's own (``kslim/nets/<module>.py``), imported as
``zoo_tfslim.<module>`` with their ``import kslim as slim`` line read as
``import tf_slim as slim`` (``_zoo_peer.TfSlimNetsFinder``).

The request is ``{"specs": [ZooSpec as JSON, ...], "dir": WORKDIR}``. For each spec and
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
import json
import os
import sys
import traceback
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "peer"))

from _zoo_peer import (  # noqa: E402
    MODES,
    TFSLIM_PACKAGE,
    ZooSpec,
    call_net,
    install_tfslim_nets_finder,
    seeded_input,
    seeded_value,
)
from tfslim_runner import _patch_tensorflow  # noqa: E402


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


def main(argv):
    """``tfslim_zoo_runner.py REQUEST.json RESULT.npz``: builds every spec of the request."""
    request = json.loads(Path(argv[1]).read_text())
    workdir = Path(request["dir"])

    import numpy as np
    import tensorflow as tf

    tf.compat.v1.disable_eager_execution()
    tf.compat.v1.logging.set_verbosity(tf.compat.v1.logging.ERROR)
    _patch_tensorflow(tf)
    import tf_slim as slim

    install_tfslim_nets_finder()
    metas, results = [], {}
    for raw in request["specs"]:
        spec = ZooSpec(**raw)
        meta, arrays = {"id": spec.id}, {}
        try:
            for mode in MODES:
                meta[mode], mode_arrays = _run_mode(spec, mode, workdir, tf, slim)
                arrays.update(mode_arrays)
        except Exception:  # noqa: BLE001 - report, keep the other nets
            meta, arrays = {"id": spec.id, "runner_error": traceback.format_exc()}, {}
        metas.append(meta)
        results.update(arrays)
    results["__meta__"] = np.array(json.dumps(metas))
    np.savez(argv[2], **results)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
