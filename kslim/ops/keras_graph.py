"""The Keras functional graph, read through public-looking helpers.

kslim builds slim graphs out of KerasTensors; training, evaluation, summaries
and analysis need to walk them (which layer produced a tensor, with which call
arguments, from which ``keras.Input``). Keras exposes that only through private
fields (``_keras_history``, ``_inbound_nodes``, ``_tracker``, ``keras.src``);
this module is the one place they are read, each behind one function, so a
Keras upgrade is checked here (pyproject.toml pins the tested range).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import keras
import tensorflow as tf

__all__ = [
    "OptimizerOnlySymbolicBuild",
    "all_layers",
    "bound_inputs",
    "call_inputs",
    "call_kwargs",
    "compute_output_spec",
    "find_inputs",
    "has_explicit_strategy",
    "layer_output_tensors",
    "output_index",
    "output_name",
    "producer",
    "set_tracked_attributes",
]


def _history(tensor: Any):
    return getattr(tensor, "_keras_history", None)


def producer(tensor: Any) -> keras.Operation | None:
    """The layer (Keras operation) whose call produced the KerasTensor ``tensor``.

    Args:
      tensor: any value.

    Returns:
      The operation, or None for anything that is not a produced KerasTensor.
    """
    history = _history(tensor)
    return history.operation if history is not None else None


def output_index(tensor: Any) -> int:
    """Which output of its producing call ``tensor`` is (0 when not produced)."""
    history = _history(tensor)
    return history.tensor_index if history is not None else 0


def _node(tensor: Any):
    history = _history(tensor)
    if history is None:
        return None
    return history.operation._inbound_nodes[history.node_index]


def call_inputs(tensor: Any) -> list:
    """The input tensors of the layer call that produced ``tensor`` ([] if none)."""
    node = _node(tensor)
    return list(node.input_tensors) if node is not None else []


def call_kwargs(tensor: Any) -> dict[str, Any]:
    """The keyword arguments of the layer call that produced ``tensor`` ({} if none)."""
    node = _node(tensor)
    return dict(node.arguments.kwargs) if node is not None else {}


def layer_output_tensors(layer: Any) -> list:
    """Every output tensor of every call of ``layer`` in the functional graph."""
    outputs = []
    for node in getattr(layer, "_inbound_nodes", []) or []:
        outputs.extend(tf.nest.flatten(getattr(node, "output_tensors", []) or []))
    return outputs


def output_name(tensor: Any, fallback: str) -> str:
    """The slim name of the layer producing ``tensor`` (``'/'``-separated), else ``fallback``."""
    op = producer(tensor)
    return op.name.replace(".", "/") if op is not None else fallback


def find_inputs(tensors: Any) -> list:
    """The ``keras.Input`` tensors the given KerasTensors depend on.

    Args:
      tensors: a KerasTensor or a nest of them.

    Returns:
      The Input tensors, each once, in discovery order.
    """
    found, seen = [], set()
    stack = list(tf.nest.flatten(tensors))
    while stack:
        t = stack.pop()
        op = producer(t)
        if op is None or id(t) in seen:
            continue
        seen.add(id(t))
        if isinstance(op, keras.layers.InputLayer):
            found.append(t)
            continue
        stack.extend(call_inputs(t))
    return found


def bound_inputs(
    inputs: Sequence[Any], bindings: Iterable[tuple[Any, Any]], allow_unused: bool
) -> tuple[Any, Any]:
    """The model inputs for ``inputs`` and the dataset bound to them.

    ``bindings`` are a graph's ``(structure, dataset)`` pairs from
    ``kslim.data.inputs``. With ``allow_unused`` (an eval model that may not read
    the labels) a binding matches when its structure holds every input found;
    otherwise when every tensor of its structure is among them.

    Args:
      inputs: the Input tensors (``find_inputs``).
      bindings: ``(structure, dataset)`` pairs.
      allow_unused: whether the binding may hold inputs the model does not use.

    Returns:
      ``(structure, dataset)`` of the first match, else ``(inputs, None)`` (a
      single input unwrapped).
    """
    for structure, dataset in bindings:
        flat = tf.nest.flatten(structure)
        if allow_unused:
            matches = all(any(t is f for f in flat) for t in inputs)
        else:
            matches = all(any(t is f for f in inputs) for t in flat)
        if matches:
            return structure, dataset
    return (inputs[0] if len(inputs) == 1 else list(inputs)), None


def set_tracked_attributes(obj: keras.layers.Layer, **values: Any) -> None:
    """Sets attributes on a built layer or model whose state Keras has locked.

    Keras locks a layer's variable tracker after build; new sub-layers or
    variables assigned as attributes are tracked with it unlocked.

    Args:
      obj: the layer or model.
      **values: attribute name -> value.
    """
    locked = obj._tracker.locked
    obj._tracker.unlock()
    try:
        for name, value in values.items():
            setattr(obj, name, value)
    finally:
        if locked:
            obj._tracker.lock()


def compute_output_spec(fn: Callable, *args: Any, **kwargs: Any) -> Any:
    """Keras' backend ``compute_output_spec``: traces ``fn`` on symbolic specs."""
    from keras.src import backend

    return backend.compute_output_spec(fn, *args, **kwargs)


def all_layers(model: keras.Model) -> list:
    """Every layer of ``model``, nested ones included (Keras' ``_flatten_layers``)."""
    flatten = getattr(model, "_flatten_layers", None)
    return list(flatten()) if callable(flatten) else list(model.layers)


def is_graph_model(model: keras.Model) -> bool:
    """Whether ``model`` is Sequential or functional, so it can be re-built from its layers.

    False for a subclassed model (Keras keeps a functional graph in ``_operations``).
    """
    return isinstance(model, keras.Sequential) or hasattr(model, "_operations")


def has_explicit_strategy(model: keras.Model) -> bool:
    """Whether ``model`` was created under a ``tf.distribute`` strategy scope."""
    return model._distribute_strategy is not None


class OptimizerOnlySymbolicBuild:
    """Mixin of a built functional ``keras.Model`` trained under a strategy.

    Before ``fit``, Keras builds a model created under a ``tf.distribute`` strategy by
    reducing one input batch across replicas (its ``_maybe_symbolic_build``), which
    ``MultiWorkerMirroredStrategy`` cannot do eagerly on PerReplica values. A kslim
    ``TrainOp`` is a built functional model with no compiled losses or metrics: only
    its optimizer is left to build, which needs no data. Anything else goes to Keras.
    """

    def _maybe_symbolic_build(self, iterator: Any = None, data_batch: Any = None) -> None:
        if not has_explicit_strategy(self) or not all(layer.built for layer in all_layers(self)):
            return super()._maybe_symbolic_build(iterator=iterator, data_batch=data_batch)
        with self.distribute_strategy.scope():
            if self.optimizer is not None and not self.optimizer.built:
                self.optimizer.build(self.trainable_variables)
        return None
