"""Parity harness of the model corpus: each file of ``models/`` run by tf_slim and by kslim.

The model files import ``tf_slim as slim``. ``tfslim_corpus_runner.py`` imports them as
they are in ONE subprocess (TF1 graph mode) for the whole corpus; ``load_kslim_module``
executes the same source with that one line changed to ``import kslim as slim``.

For each ``ModelSpec`` the runner records, with tf_slim:

* the inference build on the seeded batch: global / trainable / model variables (names,
  shapes), the end_points keys (in order) and static shapes, and the net output and every
  end_point computed with the weights of ``seeded_value`` (loaded into tf_slim's
  variables, then saved so kslim copies tf_slim's values by name);
* the same function through ``tf.compat.v1.make_template('corpus_template', ...)``:
  variable names and end_points keys;
* the training build (``is_training=True`` plus the spec's ``train_kwargs``): variable
  names and shapes (what slim's Saver would checkpoint);
* for specs with ``summaries``: the tags of the module's ``add_summaries(end_points)``.

This module imports only numpy and ``peer.harness`` at module level: the runner imports
it too.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import sys
import types
from pathlib import Path
from typing import Any

import numpy as np

# tests/ on sys.path for peer.harness outside pytest (the runner, the benchmarks).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from peer import harness  # noqa: E402

HERE = Path(__file__).resolve().parent
MODELS = HERE / "models"
RUNNER = HERE / "tfslim_corpus_runner.py"
TF_SLIM_IMPORT = "import tf_slim as slim\n"
KSLIM_IMPORT = "import kslim as slim\n"
TEMPLATE_NAME = "corpus_template"
RTOL = 1e-5
ATOL = 1e-5


@dataclasses.dataclass
class ModelSpec:
    """One corpus model, called the same way by both implementations.

    Attributes:
      id: unique name (the pytest id).
      module: file name under ``models/`` without ``.py``.
      fn: the net function; called as ``fn(inputs, is_training=..., reuse=..., **kwargs)``
        and returns ``(net, end_points)``.
      input_shape: shape of the seeded input batch (batch first).
      kwargs: keyword arguments of ``fn`` (JSON values).
      arg_scope: name of the module's arg_scope function (called without arguments), or
        None.
      train_kwargs: extra keyword arguments of the training build.
      target: ``'classes'`` (``net`` are logits; softmax cross entropy on one-hot labels)
        or ``'regression'`` (mean squared error against a target of ``net``'s shape).
      summaries: the module has ``add_summaries(end_points)`` (train_image_classifier.py's
        summary code), whose tags the runner records.
    """

    id: str
    module: str
    fn: str
    input_shape: tuple[int, ...]
    kwargs: dict[str, Any] = dataclasses.field(default_factory=dict)
    arg_scope: str | None = None
    train_kwargs: dict[str, Any] = dataclasses.field(default_factory=dict)
    target: str = "classes"
    summaries: bool = False

    def to_json(self) -> dict[str, Any]:
        """The spec as the runner reads it."""
        return dataclasses.asdict(self)


SPECS = [
    ModelSpec(
        "cifar_lrn", "cifar_lrn", "lrn_net", (2, 16, 16, 3), {"num_classes": 5}, "lrn_net_arg_scope"
    ),
    ModelSpec(
        "resnet_pad",
        "resnet_pad",
        "resnet_pad",
        (2, 32, 32, 3),
        {"num_classes": 5},
        "resnet_pad_arg_scope",
    ),
    ModelSpec(
        "inception_mini",
        "inception_mini",
        "inception_mini",
        (2, 32, 32, 3),
        {"num_classes": 5},
        "inception_mini_arg_scope",
    ),
    ModelSpec(
        "inception_resnet_mini",
        "inception_resnet_mini",
        "inception_resnet_mini",
        (2, 16, 16, 3),
        {"num_classes": 5},
        "inception_resnet_mini_arg_scope",
    ),
    ModelSpec(
        "nas_mini",
        "nas_mini",
        "nas_mini",
        (2, 16, 16, 3),
        {"num_classes": 5},
        "nas_mini_arg_scope",
        train_kwargs={"drop_path_keep_prob": 0.8},
    ),
    ModelSpec(
        "siamese_getvar",
        "siamese_getvar",
        "siamese_net",
        (2, 12, 12, 3),
        {"num_classes": 5},
        "siamese_arg_scope",
    ),
    ModelSpec("dcgan_gen", "dcgan_gen", "generator", (2, 8), target="regression"),
    ModelSpec(
        "unet_gen", "unet_gen", "unet", (2, 16, 16, 3), {}, "unet_arg_scope", target="regression"
    ),
    ModelSpec(
        "i3d_mini",
        "i3d_mini",
        "i3d_mini",
        (2, 4, 16, 16, 3),
        {"num_classes": 5},
        "i3d_mini_arg_scope",
    ),
    ModelSpec(
        "mobile_shuffle",
        "mobile_shuffle",
        "mobile_shuffle",
        (2, 16, 16, 3),
        {"num_classes": 5},
        "mobile_shuffle_arg_scope",
    ),
    ModelSpec(
        "stats_summaries",
        "stats_summaries",
        "stats_net",
        (2, 12, 12, 3),
        {"num_classes": 5},
        "stats_net_arg_scope",
        summaries=True,
    ),
]
SPECS_BY_ID = {s.id: s for s in SPECS}


_rng = harness.seeded_rng


def seeded_value(name: str, shape, dtype: str = "float32") -> np.ndarray:
    """Deterministic value of variable ``name`` (the same in both processes).

    He-scaled normal weights; small normal vectors (biases, beta); ``gamma`` near 1;
    moving variances in [0.5, 1.5]; scalars in [0.5, 1.5]; zeros for integer variables.
    """
    shape = tuple(int(d) for d in shape)
    if not np.issubdtype(np.dtype(dtype), np.floating):
        return np.zeros(shape, dtype)
    rng = _rng(name)
    leaf = name.rsplit("/", 1)[-1]
    if leaf in ("moving_variance", "gamma") or not shape:
        low, high = (0.5, 1.5) if leaf != "gamma" else (0.8, 1.2)
        return rng.uniform(low, high, shape).astype(dtype)
    if len(shape) == 1:
        return (0.1 * rng.standard_normal(shape)).astype(dtype)
    fan_in = int(np.prod(shape[:-1]))
    if leaf == "depthwise_weights":
        fan_in = int(np.prod(shape[:-2]))
    return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(dtype)


seeded_input = harness.seeded_input


def seeded_target(spec: ModelSpec, output_shape) -> np.ndarray:
    """Training targets: one-hot labels or a regression target of the output's shape."""
    rng = _rng("targets/" + spec.id)
    if spec.target == "classes":
        n, classes = output_shape
        return np.eye(classes, dtype=np.float32)[rng.integers(0, classes, n)]
    return rng.uniform(-1.0, 1.0, tuple(output_shape)).astype(np.float32)


def call_model(spec: ModelSpec, module, slim, inputs, is_training=False, reuse=None, **extra):
    """Calls the spec's net of ``module`` on ``inputs`` with ``slim`` under its arg_scope."""
    fn = getattr(module, spec.fn)
    kwargs = dict(spec.kwargs, is_training=is_training, **extra)
    if reuse is not None:
        kwargs["reuse"] = reuse
    with contextlib.ExitStack() as stack:
        if spec.arg_scope:
            stack.enter_context(slim.arg_scope(getattr(module, spec.arg_scope)()))
        return fn(inputs, **kwargs)


@functools.cache
def load_kslim_module(name: str) -> types.ModuleType:
    """The model file ``models/<name>.py`` with ``import tf_slim as slim`` -> kslim."""
    path = MODELS / f"{name}.py"
    source = path.read_text()
    if source.count(TF_SLIM_IMPORT) != 1:
        raise ValueError(f"{path} must import tf_slim as slim exactly once")
    module = types.ModuleType(f"corpus_kslim_{name}")
    module.__file__ = str(path)
    code = compile(source.replace(TF_SLIM_IMPORT, KSLIM_IMPORT), str(path), "exec")
    exec(code, module.__dict__)  # noqa: S102 - the corpus file, one import changed
    return module


@dataclasses.dataclass
class Built:
    """What one implementation built (and computed) for a spec."""

    variables: dict[str, list[int]]
    trainable: list[str]
    model_variables: list[str]
    end_points: list[str]
    end_point_shapes: dict[str, list[int | None]]
    net: np.ndarray | None = None
    end_point_values: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class Reference:
    """tf_slim's results for one spec (see the module docstring)."""

    built: Built
    values: dict[str, np.ndarray]
    template_variables: dict[str, list[int]]
    template_end_points: list[str]
    train_variables: dict[str, list[int]]
    summary_tags: list[str]


def run_tfslim_corpus(specs: list[ModelSpec], workdir: Path) -> dict[str, Reference]:
    """Runs every spec with tf_slim in one subprocess; returns references by spec id.

    Skips the caller when tf_slim is not installed.
    """
    peer = harness.run_runner(RUNNER, [s.to_json() for s in specs], workdir, name="corpus")
    peer.raise_errors("corpus model")
    references = {}
    for meta in peer.metas:
        sid = meta["id"]
        built = Built(
            variables=dict(meta["variables"]),
            trainable=meta["trainable"],
            model_variables=meta["model_variables"],
            end_points=[k for k, _ in meta["end_points"]],
            end_point_shapes={k: s for k, s in meta["end_points"]},
            net=peer.data[f"{sid}/net"],
            end_point_values=peer.arrays(f"{sid}/end_points/"),
        )
        references[sid] = Reference(
            built=built,
            values=peer.arrays(f"{sid}/values/"),
            template_variables=dict(meta["template_variables"]),
            template_end_points=meta["template_end_points"],
            train_variables=dict(meta["train_variables"]),
            summary_tags=meta.get("summary_tags", []),
        )
    return references


def close(got, ref, what: str, rtol: float = RTOL, atol: float = ATOL) -> None:
    """``got`` equals ``ref`` to ``rtol`` and ``atol`` times the larger of 1 and max |ref|."""
    harness.assert_close(got, ref, what, rtol, atol)


def assert_same_build(ref: Built, got: Built, batch: slice | None = None) -> None:
    """Asserts kslim built (and computed) what tf_slim did.

    Variable names and shapes, trainable and model variables (as sets: checkpoints match
    by name), end_points keys in order and their static shapes without the batch
    dimension, and, when computed, the net output and every end_point (rows ``batch`` of
    tf_slim's values).
    """
    assert sorted(got.variables) == sorted(ref.variables), (
        f"variable names differ: kslim only {sorted(set(got.variables) - set(ref.variables))}, "
        f"tf_slim only {sorted(set(ref.variables) - set(got.variables))}"
    )
    got_shapes = {k: list(v) for k, v in got.variables.items()}
    assert got_shapes == {k: list(v) for k, v in ref.variables.items()}, "variable shapes differ"
    assert sorted(got.trainable) == sorted(ref.trainable), "trainable variables differ"
    assert sorted(got.model_variables) == sorted(ref.model_variables), "model variables differ"
    assert got.end_points == ref.end_points, (
        f"end_points keys (or their order) differ: kslim {got.end_points} != tf_slim "
        f"{ref.end_points}"
    )
    for key in ref.end_points:
        assert list(got.end_point_shapes[key])[1:] == list(ref.end_point_shapes[key])[1:], (
            f"static shape of end_point {key!r}: {got.end_point_shapes[key]} != "
            f"{ref.end_point_shapes[key]}"
        )
    if got.net is None:
        return
    rows = batch or slice(None)
    close(got.net, ref.net[rows], "net output")
    for key in ref.end_points:
        close(got.end_point_values[key], ref.end_point_values[key][rows], f"end_point {key!r}")
