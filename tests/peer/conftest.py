"""Parity harness: run the same slim model code with tf_slim 1.1.0 and with kslim.

A test module lists ``Case`` objects. Its module-scoped fixture sends all of them to
``tfslim_runner.py`` in ONE subprocess (TF1 graph mode, tf_slim; ``harness.run_runner``),
then each test runs the same code with ``slim = kslim`` in this process and compares:
variable names and shapes, outputs, and variable values after the run (batch_norm moving
averages).

kslim runs each case in one of two modes:

* ``symbolic`` (default): inputs are ``keras.Input`` s, the code builds a functional
  graph, ``keras.Model(inputs, outputs)`` wraps it, kslim's variables are set to
  tf_slim's initial values by name, and the model is called (``training=case.train``).
* ``eager``: inputs are concrete tensors; weights come from the code's initializers, so
  such cases must use deterministic (constant) initializers.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from peer import harness

RUNNER = Path(__file__).with_name("tfslim_runner.py")
RTOL = 1e-5
ATOL = 1e-6


@dataclasses.dataclass
class Case:
    """One piece of slim model code run by both implementations.

    Attributes:
      id: unique name (the pytest id).
      code: Python run with ``slim``, ``tf``, ``np``, ``A`` (input arrays),
        ``variable_scope``/``name_scope`` (kslim's or ``tf.compat.v1``'s) and each input
        name bound; it must bind every name listed in ``outputs``.
      inputs: name -> numpy array.
      outputs: names bound by the code whose values are compared.
      train: run slim's UPDATE_OPS with the outputs / call the Keras model with
        ``training=True``.
      mode: ``'symbolic'`` or ``'eager'`` (kslim side, see the module docstring).
      tf_code: code for the tf_slim side when it must differ (default ``code``).
      collections: collection names whose aliases (``convert_collection_to_dict``) are
        compared.
      requires: kslim attribute paths (``'conv2d_transpose'``, ``'losses.log_loss'``);
        the case is skipped while kslim lacks one.
      xfail: reason string: a known kslim mismatch (strict xfail).
      expect_error: both sides must raise an exception of this type name.
      rtol, atol: tolerances of the output comparison.
      ordered_variables: also compare the creation order of the variables (names are
        otherwise compared as sets: checkpoints match by name).
    """

    id: str
    code: str
    inputs: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)
    outputs: tuple[str, ...] = ()
    train: bool = False
    mode: str = "symbolic"
    tf_code: str | None = None
    collections: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    xfail: str | None = None
    expect_error: str | None = None
    rtol: float = RTOL
    atol: float = ATOL
    ordered_variables: bool = False

    def param(self):
        """This case as a ``pytest.param`` carrying its xfail mark."""
        marks = []
        if self.xfail:
            marks.append(pytest.mark.xfail(strict=True, reason=self.xfail))
        return pytest.param(self, id=self.id, marks=marks)


@dataclasses.dataclass
class SlimResult:
    """What one implementation produced for a case."""

    error: dict | None
    variables: list[str]
    shapes: list[list[int]]
    trainable: list[str]
    model_variables: list[str]
    collections: dict[str, list[str]]
    outputs: dict[str, list[np.ndarray]]
    init: dict[str, np.ndarray]
    final: dict[str, np.ndarray]
    meta: dict


def run_tfslim(
    cases: list[Case], workdir: Path, env: dict[str, str] | None = None
) -> dict[str, SlimResult]:
    """Runs all ``cases`` with tf_slim in one subprocess; returns results by case id.

    Args:
      cases: the cases.
      workdir: a folder for the request and result files.
      env: extra environment variables for the subprocess
        (``KSLIM_PEER_CHANNELS_LAST=1``: see ``tfslim_runner.py``).

    Skips the calling test (module fixture) when tf_slim is not installed.
    """
    arrays = {f"{c.id}/{name}": np.asarray(v) for c in cases for name, v in c.inputs.items()}
    requests = [
        {
            "id": c.id,
            "code": c.tf_code or c.code,
            "inputs": list(c.inputs),
            "outputs": list(c.outputs),
            "train": c.train,
            "collections": list(c.collections),
        }
        for c in cases
    ]
    peer = harness.run_runner(RUNNER, requests, workdir, arrays=arrays, env=env, timeout=300)
    peer.raise_errors("case")
    data = peer.data
    results = {}
    for meta in peer.metas:
        cid = meta["id"]
        outputs = {
            name: [data[f"{cid}/out/{name}/{i}"] for i in range(n)]
            for name, n in meta.get("outputs", {}).items()
        }
        names = meta.get("variables", [])
        results[cid] = SlimResult(
            error=meta.get("error"),
            variables=names,
            shapes=meta.get("shapes", []),
            trainable=meta.get("trainable", []),
            model_variables=meta.get("model_variables", []),
            collections=meta.get("collections", {}),
            outputs=outputs,
            init={n: data[f"{cid}/init/{n}"] for n in names if f"{cid}/init/{n}" in data},
            final={n: data[f"{cid}/final/{n}"] for n in names if f"{cid}/final/{n}" in data},
            meta=meta,
        )
    return results


def _flatten(value) -> list:
    if isinstance(value, dict):
        return [v for k in sorted(value) for v in _flatten(value[k])]
    if isinstance(value, (list, tuple)):
        return [v for item in value for v in _flatten(item)]
    return [value]


def _symbolic(value) -> bool:
    import keras

    return isinstance(value, keras.KerasTensor)


def _resolve(module, path: str):
    obj = module
    for part in path.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def skip_if_missing(case: Case) -> None:
    """Skips the test while kslim lacks a function the case needs."""
    import kslim

    missing = [name for name in case.requires if _resolve(kslim, name) is None]
    if missing:
        pytest.skip(f"kslim has no {', '.join(missing)} yet")


def run_kslim(case: Case, reference: SlimResult | None = None) -> SlimResult:
    """Runs ``case.code`` with ``slim = kslim`` (see the module docstring for the modes).

    Args:
      case: the case.
      reference: tf_slim's result; in symbolic mode kslim's variables whose names
        tf_slim also has are set to tf_slim's initial values before the run.
    """
    import keras
    import tensorflow as tf

    import kslim

    skip_if_missing(case)
    A = {k: np.asarray(v) for k, v in case.inputs.items()}
    with kslim.Graph().as_default():
        if case.mode == "symbolic":
            feeds = {
                name: keras.Input(
                    shape=a.shape[1:], batch_size=a.shape[0], dtype=str(a.dtype), name=name
                )
                for name, a in A.items()
            }
        elif case.mode == "eager":
            feeds = {name: tf.constant(a) for name, a in A.items()}
        else:
            raise ValueError(f"unknown mode={case.mode!r}")
        namespace = {
            "slim": kslim,
            "tf": tf,
            "np": np,
            "A": A,
            "variable_scope": kslim.variable_scope,
            "name_scope": kslim.name_scope,
            **feeds,
        }
        try:
            exec(compile(case.code, f"<case {case.id}>", "exec"), namespace)  # noqa: S102
        except Exception as exc:  # noqa: BLE001 - the error is the result
            if case.expect_error is None:
                raise
            return SlimResult(
                {"type": type(exc).__name__, "message": str(exc)},
                [],
                [],
                [],
                [],
                {},
                {},
                {},
                {},
                {},
            )
        variables = kslim.get_collection(kslim.GraphKeys.GLOBAL_VARIABLES)
        names = [v.path for v in variables]
        collections = {
            coll: list(kslim.utils.convert_collection_to_dict(coll)) for coll in case.collections
        }
        trainable = [v.path for v in kslim.get_collection(kslim.GraphKeys.TRAINABLE_VARIABLES)]
        model_vars = [v.path for v in kslim.get_collection(kslim.GraphKeys.MODEL_VARIABLES)]
        fetches = {name: _flatten(namespace[name]) for name in case.outputs}
        if case.mode == "symbolic":
            if reference is not None:
                for variable in variables:
                    if variable.path in reference.init:
                        variable.assign(reference.init[variable.path])
            init = {v.path: np.array(v.numpy()) for v in variables}
            flat = [t for name in case.outputs for t in fetches[name] if _symbolic(t)]
            values = []
            if flat:
                model = keras.Model(list(feeds.values()), flat)
                values = model([A[n] for n in feeds], training=case.train)
                if len(flat) == 1 and not isinstance(values, (list, tuple)):
                    values = [values]
            it = iter(list(values))
            outputs = {
                name: [np.asarray(next(it) if _symbolic(t) else t) for t in fetches[name]]
                for name in case.outputs
            }
        else:
            init = {}
            outputs = {name: [np.asarray(v) for v in fetches[name]] for name in case.outputs}
        final = {v.path: np.array(v.numpy()) for v in variables}
    return SlimResult(
        None,
        names,
        [list(v.shape) for v in variables],
        trainable,
        model_vars,
        collections,
        outputs,
        init,
        final,
        {},
    )


def assert_parity(case: Case, ref: SlimResult, got: SlimResult) -> None:
    """Asserts kslim's result equals tf_slim's: errors, names, shapes, outputs, values."""
    if case.expect_error is not None:
        assert ref.error is not None, f"tf_slim did not raise for {case.id}"
        assert ref.error["type"] == case.expect_error, ref.error
        assert got.error is not None, f"kslim did not raise {case.expect_error} for {case.id}"
        assert got.error["type"] == case.expect_error, got.error
        return
    assert ref.error is None, f"tf_slim raised for {case.id}: {ref.error}"
    if case.ordered_variables:
        assert got.variables == ref.variables, "variable creation order differs"
    assert sorted(got.variables) == sorted(ref.variables), "variable names differ"
    assert len(set(got.variables)) == len(got.variables), "duplicate variable names"
    got_shapes = dict(zip(got.variables, got.shapes, strict=True))
    ref_shapes = dict(zip(ref.variables, ref.shapes, strict=True))
    assert got_shapes == ref_shapes, "variable shapes differ"
    assert sorted(got.trainable) == sorted(ref.trainable), "trainable variables differ"
    assert sorted(got.model_variables) == sorted(ref.model_variables), "model variables differ"
    for coll, aliases in ref.collections.items():
        assert got.collections.get(coll) == aliases, f"collection {coll!r} aliases differ"
    for name in case.outputs:
        ref_vals, got_vals = ref.outputs[name], got.outputs[name]
        assert len(got_vals) == len(ref_vals), f"output {name!r}: number of tensors differs"
        for i, (r, g) in enumerate(zip(ref_vals, got_vals, strict=True)):
            assert g.shape == r.shape, f"output {name!r}[{i}] shape {g.shape} != {r.shape}"
            np.testing.assert_allclose(
                g, r, rtol=case.rtol, atol=case.atol, err_msg=f"output {name!r}[{i}]"
            )
    if case.mode == "symbolic" or not ref.init:
        for name, value in ref.final.items():
            np.testing.assert_allclose(
                got.final[name],
                value,
                rtol=case.rtol,
                atol=case.atol,
                err_msg=f"variable {name!r} after the run",
            )


@pytest.fixture(scope="module")
def peer_results(request, tmp_path_factory) -> dict[str, SlimResult]:
    """tf_slim's results for the requesting module's ``CASES`` (one subprocess)."""
    cases = request.module.CASES
    workdir = tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1])
    return run_tfslim(cases, workdir)


def check_case(case: Case, peer_results: dict[str, SlimResult]) -> None:
    """Runs ``case`` with kslim and asserts parity with tf_slim's result."""
    skip_if_missing(case)
    ref = peer_results[case.id]
    got = run_kslim(case, ref)
    assert_parity(case, ref, got)


def rng(seed: int = 0) -> np.random.Generator:
    """A seeded numpy generator for case inputs."""
    return np.random.default_rng(seed)


def randn(*shape: int, seed: int = 0, dtype: Any = np.float32) -> np.ndarray:
    """Standard-normal array of ``shape``."""
    return rng(seed).standard_normal(shape).astype(dtype)
