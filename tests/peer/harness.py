"""The one tf_slim peer harness: tf_slim 1.1.0 run in a subprocess, in TF1 graph mode.

tf_slim needs TF1 graph mode and TF internals that TF 2.21 removed; neither mixes with
Keras 3 in one interpreter. So every parity test runs tf_slim in a child process (a
*runner* script) and the two exchange files::

    test process (pytest, kslim)              runner process (tf_slim, TF1 graph mode)
    ----------------------------              ----------------------------------------
    run_runner(RUNNER, cases, workdir,   -->  python RUNNER REQUEST.json RESULT.npz
               arrays=..., options=...)        REQUEST.json: {"cases": [...], "arrays":
      (REQUEST.json, ARRAYS.npz)                 ARRAYS.npz, **options}
                                               serve(run_case): start_tf1(), then each
                                                 case -> (meta dict, {key: array})
    PeerResult(metas, data)              <--   RESULT.npz: the arrays + "__meta__" (a
                                                 JSON list of the metas)

Runner side: ``start_tf1`` (TF1 graph mode, ``patch_tensorflow``, ``import tf_slim``),
``read_request``, ``write_result`` and ``serve`` (a runner's ``main``: a case that raises
is reported in its meta as ``runner_error``, the other cases still run). Test side:
``require_tfslim`` (skip without tf_slim), ``peer_env`` (the child's environment),
``run_script`` (any command, with a timeout and the child's stderr on failure) and
``run_runner``. Also the channels-first fallback pieces (``KSLIM_PEER_CHANNELS_LAST``,
``NHWC_ONLY``: see ``tfslim_runner.py``), ``seeded_rng`` / ``seeded_input`` (the same
values in both processes) and ``assert_close``.

This module imports only the standard library and numpy at module level (runners
import it too). In pytest it is ``peer.harness`` (``tests/`` is on the ``pythonpath``);
runners put ``tests/`` on ``sys.path`` themselves before importing it.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.abc
import importlib.util
import json
import os
import re
import subprocess
import sys
import traceback
import zlib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

TFSLIM_MISSING = "tf_slim 1.1.0 is not installed (pip install -e .[peer])"
META_KEY = "__meta__"
# Seconds a runner may take unless its caller says otherwise.
DEFAULT_TIMEOUT = 600

# -- runner side ---------------------------------------------------------------------------


class _LegacyLayersAlias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports ``tf_keras.legacy_tf_layers[.x]`` as ``tf_keras.src.legacy_tf_layers[.x]``.

    tf_slim's batch_norm reaches TF's TF1 layers, which import
    ``tf_keras.legacy_tf_layers``; tf-keras 2.21 ships it only under ``tf_keras.src``.
    The alias is resolved on first use, so runners that never build a batch_norm do
    not pay for importing tf_keras.
    """

    PREFIX = "tf_keras.legacy_tf_layers"

    def find_spec(self, fullname, path=None, target=None):
        if fullname == self.PREFIX or fullname.startswith(self.PREFIX + "."):
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        return importlib.import_module("tf_keras.src" + spec.name[len("tf_keras") :])

    def exec_module(self, module):
        return None


def patch_tensorflow(tf: Any) -> None:
    """Restores the TF internals tf_slim 1.1.0 uses that TF 2.21 removed (reference §0).

    Args:
      tf: the ``tensorflow`` module of the runner process.
    """
    from tensorflow.python.framework import ops
    from tensorflow.python.ops import array_ops, control_flow_ops, variable_scope

    ops.Tensor = tf.Tensor
    ops.IndexedSlices = tf.IndexedSlices
    control_flow_ops.cond = tf.compat.v1.cond
    control_flow_ops.case = tf.compat.v1.case
    control_flow_ops.Assert = tf.debugging.Assert
    control_flow_ops.while_loop = tf.compat.v1.while_loop
    array_ops.stack = tf.stack
    array_ops.unstack = tf.unstack
    variable_scope.variable = tf.Variable
    if not any(isinstance(f, _LegacyLayersAlias) for f in sys.meta_path):
        sys.meta_path.insert(0, _LegacyLayersAlias())


def start_tf1(verbosity: str = "ERROR") -> tuple[Any, Any]:
    """Enters TF1 graph mode with tf_slim's TF internals restored and imports tf_slim.

    Args:
      verbosity: the ``tf.compat.v1.logging`` level name (``'ERROR'``, ``'INFO'``).

    Returns:
      ``(tf, slim)``: the ``tensorflow`` and ``tf_slim`` modules.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    tf.compat.v1.disable_eager_execution()
    tf.compat.v1.logging.set_verbosity(getattr(tf.compat.v1.logging, verbosity))
    patch_tensorflow(tf)
    import tf_slim as slim

    return tf, slim


@dataclasses.dataclass
class Request:
    """What a runner was asked: the cases, the input arrays and any other options."""

    cases: list[dict[str, Any]]
    arrays: dict[str, np.ndarray]
    options: dict[str, Any]


def read_request(path: str | Path) -> Request:
    """Reads a request written by ``run_runner`` (its arrays loaded into memory)."""
    raw = json.loads(Path(path).read_text())
    arrays_path = raw.pop("arrays", None)
    arrays = dict(np.load(arrays_path)) if arrays_path else {}
    return Request(cases=raw.pop("cases"), arrays=arrays, options=raw)


def write_result(path: str | Path, metas: list[dict], arrays: Mapping[str, Any]) -> None:
    """Writes a runner's result: ``arrays`` plus the metas as JSON under ``__meta__``."""
    if META_KEY in arrays:
        raise ValueError(f"array key {META_KEY!r} is reserved for the metas")
    np.savez(path, **arrays, **{META_KEY: np.array(json.dumps(metas))})


RunCase = Callable[[dict, Request, Any, Any], tuple[dict, dict[str, Any]]]


def serve(run_case: RunCase, argv: list[str]) -> int:
    """A runner's ``main``: ``RUNNER REQUEST.json RESULT.npz``.

    Args:
      run_case: ``(case, request, tf, slim) -> (meta, arrays)`` for one case of the
        request; ``meta`` gets the case's ``id`` if it has none. An exception is the
        case's result: its meta is ``{"id", "runner_error": traceback, "error":
        {"type", "message"}}`` and the other cases still run.
      argv: ``sys.argv``.

    Returns:
      The exit status, 0.
    """
    request_path, result_path = argv[1], argv[2]
    request = read_request(request_path)
    tf, slim = start_tf1()
    metas, results = [], {}
    for case in request.cases:
        try:
            meta, arrays = run_case(case, request, tf, slim)
            meta.setdefault("id", case["id"])
        except Exception as exc:  # noqa: BLE001 - reported, the other cases still run
            meta = {
                "id": case["id"],
                "runner_error": traceback.format_exc(),
                "error": {"type": type(exc).__name__, "message": str(exc)},
            }
            arrays = {}
        metas.append(meta)
        results.update(arrays)
    write_result(result_path, metas, results)
    return 0


# -- channels-first cases on hosts without channels-first CPU kernels -----------------------

CHANNELS_LAST_ENV = "KSLIM_PEER_CHANNELS_LAST"
# data_format -> its channels-last twin.
CHANNELS_LAST = {"NCW": "NWC", "NCHW": "NHWC", "NCDHW": "NDHWC"}
# Fragments of TF's errors for a channels-first op the host's CPU kernels cannot run.
NHWC_ONLY = re.compile(r"only support(s|ed)( for)?( the)? NHWC")
_FORMAT_LITERAL = re.compile(r"['\"](NC[DHW]+)['\"]")


def channels_first_formats(code: str) -> list[str]:
    """The channels-first data formats (``'NCHW'``...) that ``code`` names, sorted."""
    return sorted({m for m in _FORMAT_LITERAL.findall(code) if m in CHANNELS_LAST})


def channels_last_forced() -> bool:
    """True when ``KSLIM_PEER_CHANNELS_LAST=1``: every channels-first case takes the fallback."""
    return os.environ.get(CHANNELS_LAST_ENV) == "1"


def needs_channels_last(error: dict | None, code: str) -> bool:
    """True when ``error`` is TF's "only supports NHWC" for channels-first ``code``."""
    message = (error or {}).get("message", "")
    return bool(channels_first_formats(code)) and bool(NHWC_ONLY.search(message))


def channels_last_code(code: str) -> str:
    """``code`` with each channels-first format literal replaced by its channels-last twin."""
    for fmt in channels_first_formats(code):
        code = re.sub(rf"(['\"]){fmt}(['\"])", rf"\g<1>{CHANNELS_LAST[fmt]}\g<2>", code)
    return code


def to_channels_last(value: np.ndarray) -> np.ndarray:
    """Moves the channels axis (1) of a channels-first array last."""
    return np.moveaxis(value, 1, -1)


def to_channels_first(value: np.ndarray) -> np.ndarray:
    """Moves the channels axis (last) of a channels-last array to position 1."""
    return np.moveaxis(value, -1, 1)


# -- test side -----------------------------------------------------------------------------


def tfslim_available() -> bool:
    """True when tf_slim is installed."""
    return importlib.util.find_spec("tf_slim") is not None


def require_tfslim() -> None:
    """Skips the calling test (or module fixture) when tf_slim is not installed."""
    if not tfslim_available():
        import pytest

        pytest.skip(TFSLIM_MISSING)


def peer_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a tf_slim child: no GPU, quiet TF logs, no ``KERAS_BACKEND``.

    Args:
      extra: more variables (``{"KSLIM_PEER_CHANNELS_LAST": "1"}``).
    """
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    env.pop("KERAS_BACKEND", None)
    env.update(extra or {})
    return env


def run_script(
    args: Iterable[str],
    *,
    what: str,
    timeout: float = DEFAULT_TIMEOUT,
    env: Mapping[str, str] | None = None,
    stdin: str | None = None,
) -> subprocess.CompletedProcess:
    """Runs ``python ARGS...`` as a tf_slim child (``peer_env``) and waits for it.

    Args:
      args: the arguments after the interpreter (a script path or ``-c CODE``, then its
        arguments).
      what: the child's name in error messages (``'tfslim_runner'``).
      timeout: seconds to wait.
      env: extra environment variables (see ``peer_env``).
      stdin: text sent to the child's standard input.

    Returns:
      The finished process (``stdout``, ``stderr`` as text).

    Raises:
      RuntimeError: if the child exits non-zero (with the end of its stderr) or runs past
        ``timeout``.
    """
    command = [sys.executable, *map(str, args)]
    try:
        proc = subprocess.run(
            command,
            input=stdin,
            capture_output=True,
            text=True,
            env=peer_env(env),
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as exc:
        raise RuntimeError(f"{what} did not finish within timeout={timeout} s") from exc
    if proc.returncode != 0:
        raise RuntimeError(f"{what} failed (rc={proc.returncode}):\n{proc.stderr[-4000:]}")
    return proc


@dataclasses.dataclass
class PeerResult:
    """A runner's result: one meta per case (in request order) and the arrays."""

    metas: list[dict[str, Any]]
    data: Mapping[str, np.ndarray]

    @property
    def errors(self) -> dict[str, str]:
        """The traceback of every case that raised in the runner, by case id."""
        return {m["id"]: m["runner_error"] for m in self.metas if "runner_error" in m}

    def raise_errors(self, what: str) -> None:
        """Raises ``RuntimeError`` with tf_slim's traceback if any case raised."""
        for case_id, trace in self.errors.items():
            raise RuntimeError(f"tf_slim could not run {what} {case_id}:\n{trace}")

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        """The arrays whose key starts with ``prefix``, keyed by the rest of the key."""
        return {k[len(prefix) :]: self.data[k] for k in self.data if k.startswith(prefix)}

    def get(self, key: str) -> np.ndarray | None:
        """The array ``key``, or None when the runner wrote none."""
        return self.data[key] if key in self.data else None


def run_runner(
    runner: Path,
    cases: list[dict[str, Any]],
    workdir: Path,
    *,
    arrays: Mapping[str, np.ndarray] | None = None,
    options: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    name: str = "peer",
) -> PeerResult:
    """Sends ``cases`` to ``runner`` (a ``serve`` script) in ONE tf_slim child process.

    Args:
      runner: the runner script.
      cases: JSON-able dicts, each with a unique ``"id"``.
      workdir: an existing folder for the request, arrays and result files.
      arrays: input arrays for the runner (``Request.arrays``).
      options: more JSON-able request fields (``Request.options``).
      env: extra environment variables for the child.
      timeout: seconds the child may take.
      name: the files' name prefix (several runners may share ``workdir``).

    Returns:
      The runner's ``PeerResult``.

    Raises:
      ValueError: for duplicate case ids.
      RuntimeError: if the runner fails or runs past ``timeout``.
    """
    require_tfslim()
    ids = [c["id"] for c in cases]
    if len(set(ids)) != len(ids):
        raise ValueError(f"duplicate case ids: {sorted({i for i in ids if ids.count(i) > 1})}")
    request: dict[str, Any] = dict(options or {}, cases=cases)
    if arrays:
        request["arrays"] = str(workdir / f"{name}_arrays.npz")
        np.savez(request["arrays"], **arrays)
    request_path = workdir / f"{name}_request.json"
    request_path.write_text(json.dumps(request))
    result_path = workdir / f"{name}_result.npz"
    run_script(
        [runner, request_path, result_path],
        what=Path(runner).stem,
        timeout=timeout,
        env=env,
    )
    # Loaded lazily: a zoo net's result holds every variable's value twice.
    data = np.load(result_path)
    metas = json.loads(str(data[META_KEY]))
    return PeerResult(metas=metas, data=data)


def seeded_rng(name: str) -> np.random.Generator:
    """A numpy generator seeded by ``name`` (the same in the test and the runner process)."""
    return np.random.default_rng(zlib.crc32(name.encode()))


def seeded_input(shape: Iterable[int]) -> np.ndarray:
    """The deterministic float32 input batch of ``shape``, uniform in [-1, 1)."""
    return seeded_rng("inputs").uniform(-1.0, 1.0, tuple(shape)).astype(np.float32)


def assert_close(
    got: Any, ref: Any, what: str, rtol: float = 1e-5, atol: float | None = None
) -> None:
    """``got`` equals ``ref`` in shape and to ``rtol`` and ``atol`` x max(1, max |ref|).

    Args:
      got: kslim's value.
      ref: tf_slim's value.
      what: the value's name in the failure message.
      rtol: relative tolerance.
      atol: absolute tolerance per unit of ``ref``'s largest magnitude (default ``rtol``).
    """
    got, ref = np.asarray(got), np.asarray(ref)
    assert got.shape == ref.shape, f"{what}: shape {got.shape} != {ref.shape}"
    scale = max(1.0, float(np.abs(ref).max())) if ref.size else 1.0
    atol = rtol if atol is None else atol
    np.testing.assert_allclose(got, ref, rtol=rtol, atol=atol * scale, err_msg=what)
