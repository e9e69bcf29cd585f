"""Parity harness for the nets: the same net built by tf_slim 1.1.0 and by kslim.

``run_tfslim_nets`` sends a list of ``NetSpec`` to ``tfslim_nets_runner.py`` in ONE
subprocess (TF1 graph mode); ``build_kslim_net`` builds the same spec with kslim on a
``keras.Input`` inside a fresh ``kslim.Graph`` and, for specs with ``run``, wraps it in a
``keras.Model``, sets every variable to ``seeded_value(name, shape)`` (the values the
runner loaded into tf_slim's variables of the same name) and computes the outputs.

This module imports only numpy and ``peer.harness`` at module level: the runner imports
it too.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Any

import numpy as np

# tests/ on sys.path for peer.harness outside pytest (the runner, the benchmarks).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from peer import harness  # noqa: E402

RUNNER = Path(__file__).with_name("tfslim_nets_runner.py")


@dataclasses.dataclass
class NetSpec:
    """One net built by both implementations.

    Attributes:
      id: unique name (the pytest id).
      module: the module under ``<package>.nets`` (``'vgg'``, ``'inception_v1'``).
      fn: the net function in it (``'vgg_a'``).
      input_shape: NHWC shape of the (seeded) input.
      kwargs: keyword arguments of the net function (JSON values).
      arg_scope: name of the module's ``*_arg_scope`` function to build under, or None.
      arg_scope_kwargs: its keyword arguments.
      run: also compute the output and every end_point with seeded weights.
      fast_init: build under an outer ``arg_scope`` giving conv2d/fully_connected zeros
        as weights_initializer (a net's own arg_scopes still win). Variable names and
        shapes do not depend on it, and run specs overwrite every value anyway; it
        spares drawing 100M+ random numbers for the VGG nets.
    """

    id: str
    module: str
    fn: str
    input_shape: tuple[int, ...]
    kwargs: dict[str, Any] = dataclasses.field(default_factory=dict)
    arg_scope: str | None = None
    arg_scope_kwargs: dict[str, Any] = dataclasses.field(default_factory=dict)
    run: bool = False
    fast_init: bool = False

    def to_json(self) -> dict[str, Any]:
        """The spec as the runner reads it."""
        return dataclasses.asdict(self)


_rng = harness.seeded_rng


def seeded_value(name: str, shape) -> np.ndarray:
    """Deterministic float32 value of variable ``name``: the same in both processes.

    Weights are He-scaled normals (so activations keep their scale through deep
    nets); biases and ``beta`` small normals; ``gamma`` near 1; moving means small and
    moving variances in [0.5, 1.5] (so inference-mode batch norm is not the identity).
    """
    shape = tuple(int(d) for d in shape)
    rng = _rng(name)
    leaf = name.rsplit("/", 1)[-1]
    if leaf == "global_step":
        # An int64 counter (NASNet's drop path creates one): step 0 in both builds, so
        # the drop-path schedule starts where training starts.
        return np.zeros(shape, np.int64)
    if leaf == "moving_variance":
        return rng.uniform(0.5, 1.5, shape).astype(np.float32)
    if leaf == "gamma":
        return (1.0 + 0.1 * rng.standard_normal(shape, np.float32)).astype(np.float32)
    if len(shape) <= 1:
        return (0.1 * rng.standard_normal(shape, np.float32)).astype(np.float32)
    if leaf == "depthwise_weights":
        fan_in = shape[0] * shape[1]
    else:
        fan_in = int(np.prod(shape[:-1]))
    scale = np.float32(np.sqrt(2.0 / fan_in))
    return rng.standard_normal(shape, np.float32) * scale


seeded_input = harness.seeded_input


@dataclasses.dataclass
class NetResult:
    """What one implementation built (and computed) for a spec."""

    variables: list[str]
    shapes: list[list[int]]
    trainable: list[str]
    model_variables: list[str]
    moving_vars: list[str]
    regularization_losses: int
    end_points: list[tuple[str, list[int | None]]]
    output_shape: list[int | None]
    net: np.ndarray | None = None
    end_point_values: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)


def run_tfslim_nets(specs: list[NetSpec], workdir: Path) -> dict[str, NetResult]:
    """Builds all ``specs`` with tf_slim in one subprocess; returns results by spec id.

    Skips the caller when tf_slim is not installed.
    """
    peer = harness.run_runner(RUNNER, [s.to_json() for s in specs], workdir, name="nets")
    peer.raise_errors("net")
    results = {}
    for meta in peer.metas:
        sid = meta["id"]
        results[sid] = NetResult(
            variables=meta["variables"],
            shapes=meta["shapes"],
            trainable=meta["trainable"],
            model_variables=meta["model_variables"],
            moving_vars=meta["moving_vars"],
            regularization_losses=meta["regularization_losses"],
            end_points=[(k, s) for k, s in meta["end_points"]],
            output_shape=meta["output_shape"],
            net=peer.get(f"{sid}/net"),
            end_point_values=peer.arrays(f"{sid}/end_points/"),
        )
    return results


def build_kslim_net(spec: NetSpec, graph=None):
    """Builds ``spec`` with kslim on a ``keras.Input`` in the current kslim graph.

    Returns:
      ``(inputs, net, end_points)``.
    """
    import importlib

    import keras

    import kslim

    module = importlib.import_module(f"kslim.nets.{spec.module}")
    shape = tuple(spec.input_shape)
    x = keras.Input(shape=shape[1:], batch_size=shape[0], name="inputs")
    net, end_points = call_net(spec, module, x, kslim)
    return x, net, end_points


def call_net(spec: NetSpec, module, x, slim):
    """Calls the spec's net of ``module`` on ``x`` with ``slim`` (kslim or tf_slim)."""
    import contextlib

    import tensorflow as tf

    fn = getattr(module, spec.fn)
    with contextlib.ExitStack() as stack:
        if spec.fast_init:
            stack.enter_context(
                slim.arg_scope(
                    [slim.conv2d, slim.fully_connected],
                    weights_initializer=tf.compat.v1.zeros_initializer(),
                )
            )
        if spec.arg_scope:
            scope_fn = getattr(module, spec.arg_scope)
            stack.enter_context(slim.arg_scope(scope_fn(**spec.arg_scope_kwargs)))
        return fn(x, **spec.kwargs)


def run_kslim_net(spec: NetSpec) -> NetResult:
    """Builds (and for ``spec.run`` computes) ``spec`` with kslim in a fresh graph."""
    import keras

    import kslim

    with kslim.Graph().as_default():
        x, net, end_points = build_kslim_net(spec)
        coll = kslim.get_collection
        keys = kslim.GraphKeys
        variables = coll(keys.GLOBAL_VARIABLES)
        result = NetResult(
            variables=[v.path for v in variables],
            shapes=[list(v.shape) for v in variables],
            trainable=[v.path for v in coll(keys.TRAINABLE_VARIABLES)],
            model_variables=[v.path for v in coll(keys.MODEL_VARIABLES)],
            moving_vars=[v.path for v in coll("moving_vars")],
            regularization_losses=len(kslim.losses.get_regularization_losses()),
            end_points=[(k, list(v.shape)) for k, v in end_points.items()],
            output_shape=list(net.shape),
        )
        if spec.run:
            for variable in variables:
                variable.assign(seeded_value(variable.path, variable.shape))
            model = keras.Model(x, [net, *end_points.values()])
            outputs = model(seeded_input(spec.input_shape), training=False)
            result.net = np.asarray(outputs[0])
            result.end_point_values = {
                k: np.asarray(v) for k, v in zip(end_points, outputs[1:], strict=True)
            }
    return result


def assert_same_net(ref: NetResult, got: NetResult, rtol: float = 1e-4) -> None:
    """Asserts kslim built (and computed) what tf_slim did.

    Variable names, order, shapes, trainable/model/moving_vars collections, the
    number of regularization losses, end_points keys (in order) and shapes, and, when
    both ran, the output and every end_point to ``rtol`` (relative to each tensor's
    largest magnitude).
    """
    assert got.variables == ref.variables, "global variable names/order differ"
    assert got.shapes == ref.shapes, "variable shapes differ"
    assert got.trainable == ref.trainable, "trainable variables differ"
    assert got.model_variables == ref.model_variables, "model variables differ"
    assert got.moving_vars == ref.moving_vars, "'moving_vars' collection differs"
    assert got.regularization_losses == ref.regularization_losses, "regularization losses"
    assert [k for k, _ in got.end_points] == [k for k, _ in ref.end_points], "end_points keys"
    assert got.end_points == ref.end_points, "end_points shapes differ"
    assert got.output_shape == ref.output_shape, "output shape differs"
    if ref.net is not None and got.net is not None:
        harness.assert_close(got.net, ref.net, "net output", rtol)
        for key, value in ref.end_point_values.items():
            harness.assert_close(got.end_point_values[key], value, f"end_point {key!r}", rtol)
