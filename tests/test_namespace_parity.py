"""kslim's top-level namespace against tf_slim 1.1.0's.

Every public name of ``tf_slim`` (read in a subprocess, TF1 graph mode with the
runner's patches) is either in ``dir(kslim)`` or in ``OUT_OF_SCOPE`` below, which
says where its job went; docs/migrating.md lists the same names.
"""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import kslim

ROOT = Path(__file__).resolve().parents[1]
PEER = ROOT / "tests" / "peer"
DOCS = ROOT / "docs" / "migrating.md"

pytestmark = pytest.mark.peer

_TF_MODULE = "a TensorFlow module tf_slim imports; use the public tf.* API"

# tf_slim top-level name -> where its job went (docs/migrating.md, "tf_slim names
# kslim does not have").
OUT_OF_SCOPE = {
    "RevBlock": "out of scope (SPEC 2): reversible blocks; recompute_grad / keras.RematScope",
    "rev_block": "out of scope (SPEC 2): reversible blocks; recompute_grad / keras.RematScope",
    "rev_block_lib": "out of scope (SPEC 2): the module of rev_block and recompute_grad",
    "legacy_fully_connected": "out of scope (SPEC 2): slim.fully_connected",
    "legacy_linear": "out of scope (SPEC 2): slim.linear",
    "legacy_relu": "out of scope (SPEC 2): slim.relu",
    "bucketization_op": "the module of bucketize: slim.bucketize",
    "arg_scope_lib": "alias of tf_slim.ops.arg_scope: kslim.ops.arg_scope",
    "array_ops": _TF_MODULE,
    "check_ops": _TF_MODULE,
    "clip_ops": _TF_MODULE,
    "control_flow_ops": _TF_MODULE,
    "dtypes": _TF_MODULE,
    "init_ops": _TF_MODULE,
    "math_ops": _TF_MODULE,
    "moving_averages": _TF_MODULE,
    "optimizer_": _TF_MODULE,
    "random_ops": _TF_MODULE,
    "summary": _TF_MODULE + " (tf.compat.v1.summary)",
    "vars_": _TF_MODULE,
    "vs": _TF_MODULE + " (tf.compat.v1.variable_scope; slim.variable_scope)",
    "six": "the six package tf_slim imports",
    "absolute_import": "a __future__ feature",
    "division": "a __future__ feature",
    "print_function": "a __future__ feature",
}

# Functions added for tf_slim's top-level names: same parameters and defaults as slim.
SIGNATURE_NAMES = [
    "adaptive_clipping_fn",
    "bucketize",
    "dense_to_sparse",
    "gdn",
    "recompute_grad",
    "summarize_activation",
    "summarize_activations",
    "summarize_biases",
    "summarize_collection",
    "summarize_tensor",
    "summarize_tensors",
    "summarize_variables",
    "summarize_weights",
]

_LIST_NAMES = f"""
import json, sys
SIGNATURE_NAMES = {SIGNATURE_NAMES!r}
sys.path.insert(0, {str(PEER)!r})
import tensorflow as tf
tf.compat.v1.disable_eager_execution()
from harness import patch_tensorflow
patch_tensorflow(tf)
import tf_slim
import inspect


def default(value):
    if value is inspect.Parameter.empty:
        return "<required>"
    return getattr(value, "__name__", repr(value))


names = sorted(n for n in dir(tf_slim) if not n.startswith('_'))
signatures = dict()
for n in SIGNATURE_NAMES:
    params = inspect.signature(getattr(tf_slim, n)).parameters.values()
    signatures[n] = [[p.name, default(p.default)] for p in params]
print(json.dumps(dict(names=names, signatures=signatures)))
"""


@pytest.fixture(scope="module")
def tf_slim_namespace() -> dict:
    """tf_slim's public top-level names and the signatures of SIGNATURE_NAMES."""
    import importlib.util

    if importlib.util.find_spec("tf_slim") is None:
        pytest.skip("tf_slim 1.1.0 is not installed (pip install -e .[peer])")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    env.pop("KERAS_BACKEND", None)
    proc = subprocess.run(
        [sys.executable, "-c", _LIST_NAMES],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def tf_slim_names(tf_slim_namespace) -> list[str]:
    return tf_slim_namespace["names"]


def test_every_tf_slim_name_is_in_kslim_or_listed_out_of_scope(tf_slim_names):
    missing = [n for n in tf_slim_names if not hasattr(kslim, n) and n not in OUT_OF_SCOPE]
    assert not missing, f"tf_slim names neither in kslim nor in OUT_OF_SCOPE: {missing}"


def test_out_of_scope_names_are_tf_slim_names_kslim_lacks(tf_slim_names):
    stale = sorted(set(OUT_OF_SCOPE) - set(tf_slim_names))
    assert not stale, f"OUT_OF_SCOPE lists names tf_slim does not have: {stale}"
    present = sorted(n for n in OUT_OF_SCOPE if hasattr(kslim, n))
    assert not present, f"OUT_OF_SCOPE lists names kslim has: {present}"


@pytest.mark.parametrize("name", SIGNATURE_NAMES)
def test_added_function_has_tf_slims_parameters_and_defaults(name, tf_slim_namespace):
    def default(value):
        if value is inspect.Parameter.empty:
            return "<required>"
        return getattr(value, "__name__", repr(value))

    params = inspect.signature(getattr(kslim, name)).parameters.values()
    assert [[p.name, default(p.default)] for p in params] == tf_slim_namespace["signatures"][name]


def test_every_name_in_kslim_all_exists():
    public = {n for n in dir(kslim) if not n.startswith("_")}
    exported = set(kslim.__all__)
    assert not exported - public, f"__all__ names kslim lacks: {sorted(exported - public)}"


def test_out_of_scope_names_are_documented_in_the_migration_guide():
    text = DOCS.read_text()
    heading = "## tf_slim names kslim does not have"
    assert heading in text
    section = text.split(heading, 1)[1].split("\n## ", 1)[0]
    undocumented = sorted(n for n in OUT_OF_SCOPE if f"`{n}`" not in section)
    assert not undocumented, f"missing from docs/migrating.md ({heading}): {undocumented}"
