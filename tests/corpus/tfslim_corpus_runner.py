"""Runs the model corpus with tf_slim 1.1.0 (TF1 graph mode) and records what kslim must match.

Run as a separate process (``python tfslim_corpus_runner.py REQUEST.json RESULT.npz``),
never imported into the pytest process: tf_slim needs TF1 graph mode and the patched TF
internals of ``peer.harness`` (which also serves the request). The request's cases are
``_corpus_peer.ModelSpec`` s; what is recorded per spec is listed in ``_corpus_peer``'s
docstring. The model files are imported as they are (they ``import tf_slim as slim``).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # tests/: the peer harness
sys.path.insert(0, str(HERE))

from _corpus_peer import (  # noqa: E402
    MODELS,
    TEMPLATE_NAME,
    ModelSpec,
    call_model,
    seeded_input,
    seeded_value,
)
from peer import harness  # noqa: E402

_MODULES = {}


def _module(name):
    if name not in _MODULES:
        spec = importlib.util.spec_from_file_location(
            f"corpus_tfslim_{name}", MODELS / f"{name}.py"
        )
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _MODULES[name] = module
    return _MODULES[name]


def _shapes(variables):
    return [[v.op.name, v.shape.as_list()] for v in variables]


def _inference(spec, tf, slim, meta, arrays):
    sid = spec.id
    module = _module(spec.module)
    graph = tf.Graph()
    with graph.as_default():
        x = tf.constant(seeded_input(spec.input_shape), name="inputs")
        net, end_points = call_model(spec, module, slim, x)
        variables = tf.compat.v1.global_variables()
        meta["variables"] = _shapes(variables)
        meta["trainable"] = [v.op.name for v in tf.compat.v1.trainable_variables()]
        meta["model_variables"] = [v.op.name for v in tf.compat.v1.model_variables()]
        meta["end_points"] = [[k, v.shape.as_list()] for k, v in end_points.items()]
        summary_op = module.add_summaries(end_points) if spec.summaries else None
        feeds = {
            v.initializer.inputs[1]: seeded_value(
                v.op.name, v.shape.as_list(), v.dtype.base_dtype.name
            )
            for v in variables
        }
        with tf.compat.v1.Session(graph=graph) as sess:
            sess.run([v.initializer for v in variables], feed_dict=feeds)
            fetched = sess.run(
                {
                    "net": net,
                    "end_points": dict(end_points),
                    "values": {v.op.name: v for v in variables},
                    "summary": summary_op if summary_op is not None else tf.constant(b""),
                }
            )
        arrays[f"{sid}/net"] = fetched["net"]
        for key, value in fetched["end_points"].items():
            arrays[f"{sid}/end_points/{key}"] = value
        for key, value in fetched["values"].items():
            arrays[f"{sid}/values/{key}"] = value
        if summary_op is not None:
            summary = tf.compat.v1.Summary.FromString(fetched["summary"])
            meta["summary_tags"] = [value.tag for value in summary.value]


def _template(spec, tf, slim, meta):
    module = _module(spec.module)
    with tf.Graph().as_default():
        x = tf.constant(seeded_input(spec.input_shape), name="inputs")
        template = tf.compat.v1.make_template(
            TEMPLATE_NAME, lambda inputs: call_model(spec, module, slim, inputs)
        )
        _, end_points = template(x)
        meta["template_variables"] = _shapes(tf.compat.v1.global_variables())
        meta["template_end_points"] = list(end_points)


def _training(spec, tf, slim, meta):
    module = _module(spec.module)
    with tf.Graph().as_default():
        x = tf.constant(seeded_input(spec.input_shape), name="inputs")
        call_model(spec, module, slim, x, is_training=True, **spec.train_kwargs)
        meta["train_variables"] = _shapes(tf.compat.v1.global_variables())


def _run_spec(raw, request, tf, slim):
    """Everything recorded for one spec (``harness.serve`` reports a spec that raises)."""
    spec = ModelSpec(**raw)
    meta, arrays = {"id": spec.id}, {}
    _inference(spec, tf, slim, meta, arrays)
    _template(spec, tf, slim, meta)
    _training(spec, tf, slim, meta)
    return meta, arrays


if __name__ == "__main__":
    sys.exit(harness.serve(_run_spec, sys.argv))
