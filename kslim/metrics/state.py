"""The mechanism behind every streaming metric: state variables in a Keras layer.

A slim streaming metric is a set of local variables (``accuracy/total``,
``accuracy/count``) plus two tensors: ``update_op`` adds a batch to the
variables and returns the updated value, ``value`` reads the current value.
In kslim one ``StreamingMetric`` Keras layer owns the variables of one metric
call. It is called twice:

* ``layer(inputs, mode="update")`` applies the batch (``assign_add``) and
  returns the updated value (for ``streaming_mean_iou`` the confusion matrix,
  as slim);
* ``layer(anchor, mode="value")`` reads the state; its input only anchors the
  read in the functional graph (kslim anchors it on the update output, so a
  model returning both gives the value *after* the batch's update).

So on KerasTensors both are graph nodes: ``keras.Model(inputs, {'updates':
[...], 'values': [...]})`` run on N batches accumulates state, and the last
batch's ``values`` are the final values. On concrete tensors (eager, or inside
``tf.function``) the update is applied at once; ``update_op`` is the updated
value and ``value`` a tensor snapshot of the state right after the update. To
read the state again later call ``get_metric(...)`` / the layer's
``result()``; to start over call ``reset_state()`` or ``reset_metrics()``.
Inside a ``tf.function`` each trace of a metric function would create new
variables, which ``tf.function`` refuses: create the metric outside it (or
use the Keras metric forms) and call ``layer(inputs, mode="update")`` inside.

What a metric computes is a ``MetricSpec`` registered by kind name, so layers
stay serializable (``kind`` + JSON-able ``config``). The same specs back the
``keras.metrics.Metric`` forms in ``kslim.metrics.keras_metrics``.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from kslim.layers.base import is_symbolic, layer_name
from kslim.ops.graph import GraphKeys, get_default_graph
from kslim.ops.variable_scope import name_scope
from kslim.tensor_types import Collections, ShapeLike, TensorLike

#: Graph collection holding every ``StreamingMetric`` layer (for resets).
METRICS = "metrics"

#: A metric's state as its spec sees it: relative path -> variable.
MetricState = dict[str, keras.Variable | tf.Variable]
#: A batch as a spec's update sees it: input name -> tensor.
MetricInputs = dict[str, tf.Tensor]
#: The static shapes of a metric's inputs: input name -> shape.
InputShapes = dict[str, ShapeLike]


@dataclasses.dataclass(frozen=True)
class MetricSpec:
    """What a metric kind computes.

    Attributes:
      variables: ``(config, shapes) -> [(relative_path, shape, dtype)]``;
        ``shapes`` maps input names to their static shapes (empty when the
        metric is built without inputs, as a Keras metric). A ``None`` in a
        shape makes a growable variable (``streaming_concat``).
      update: ``(config, state, inputs) -> tensor``: applies a batch to
        ``state`` (relative path -> variable) and returns the update output.
      value: ``(config, state) -> tensor``: the metric's current value.
      needs_shapes: True if ``variables`` needs the input shapes.
    """

    variables: Callable[[dict, dict], list]
    update: Callable[[dict, dict, dict], Any]
    value: Callable[[dict, dict], Any]
    needs_shapes: bool = False


_SPECS: dict[str, MetricSpec] = {}


def register_metric(kind: str, spec: MetricSpec) -> MetricSpec:
    """Registers ``spec`` under ``kind`` (the name stored in layer configs)."""
    _SPECS[kind] = spec
    return spec


def get_spec(kind: str) -> MetricSpec:
    """Returns the spec of ``kind``.

    Raises:
      ValueError: for an unknown kind.
    """
    if kind not in _SPECS:
        raise ValueError(f"Unknown metric kind={kind!r}; known: {sorted(_SPECS)}")
    return _SPECS[kind]


def make_state_variable(path: str, shape: ShapeLike, dtype: str):
    """Creates a zero-initialized, non-trainable variable named ``path``.

    Fixed shapes give a ``keras.Variable`` whose ``.path`` is ``path``; a shape
    with ``None`` gives a growable ``tf.Variable`` named ``path``.
    """
    shape = tuple(shape)
    if any(d is None for d in shape):
        zeros = tf.zeros([0 if d is None else d for d in shape], dtype)
        dirname, _, leaf = path.rpartition("/")
        # An absolute name scope, so a calling Keras layer's scope is not prepended.
        with tf.name_scope(dirname + "/" if dirname else ""):
            return tf.Variable(zeros, shape=tf.TensorShape(shape), trainable=False, name=leaf)
    dirname, _, leaf = path.rpartition("/")
    parent, _, last = dirname.rpartition("/")
    if dirname:
        with keras.name_scope(last, override_parent=parent):
            return keras.Variable(
                initializer="zeros", shape=shape, dtype=dtype, trainable=False, name=leaf
            )
    with keras.name_scope("", override_parent=""):
        return keras.Variable(
            initializer="zeros", shape=shape, dtype=dtype, trainable=False, name=leaf
        )


def variable_name(variable: keras.Variable | tf.Variable) -> str:
    """The slim name of a metric variable (``accuracy/total``)."""
    path = getattr(variable, "path", None)
    if isinstance(path, str):
        return path
    return variable.name.split(":")[0]


def reset_variables(variables: Iterable[keras.Variable | tf.Variable]) -> None:
    """Assigns zeros to ``variables`` (growable ones back to their initial size)."""
    for variable in variables:
        if isinstance(variable, tf.Variable) and not variable.shape.is_fully_defined():
            shape = [0 if d is None else d for d in variable.shape.as_list()]
            variable.assign(tf.zeros(shape, variable.dtype))
        else:
            variable.assign(tf.zeros(variable.shape, variable.dtype))


@keras.saving.register_keras_serializable(package="kslim")
class StreamingMetric(keras.layers.Layer):
    """A slim streaming metric: its local variables, its update and its value.

    Args:
      kind: the registered ``MetricSpec`` name.
      scope: the metric's name scope (``accuracy``, ``accuracy_1``); variables
        are ``<scope>/<relative path>``.
      input_names: names of the tensors passed to ``call`` in update mode.
      config: JSON-able configuration of the spec.
      constants: input name -> ``[nested list, dtype]`` for inputs given as
        constants next to KerasTensors.
      **kwargs: Keras ``Layer`` arguments.
    """

    def __init__(
        self,
        kind: str,
        scope: str,
        input_names: Sequence[str] = (),
        config: dict[str, Any] | None = None,
        constants: dict[str, list[Any]] | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("name", layer_name(scope))
        kwargs.setdefault("trainable", False)
        super().__init__(**kwargs)
        self._convert_input_args = False
        self._allow_non_tensor_positional_args = True
        self.kind = kind
        self.scope = scope
        self.input_names = list(input_names)
        self.config = dict(config or {})
        self.constants = dict(constants or {})
        self.spec = get_spec(kind)
        self.state = {}

    # -------------------------------------------------------------- state
    def build(self, input_shape: ShapeLike | Sequence[ShapeLike]) -> None:
        """Creates the metric's local variables for the inputs' shapes."""
        shapes = {}
        if self.input_names:
            if len(self.input_names) == 1 and not _is_shape_list(input_shape):
                input_shape = [input_shape]
            shapes = {n: tuple(s) for n, s in zip(self.input_names, input_shape, strict=False)}
        for name, (value, dtype) in self.constants.items():
            shapes[name] = np.asarray(value, dtype=dtype).shape
        self.create_state(shapes)

    def create_state(self, shapes: dict) -> None:
        """Creates the state variables for inputs of static ``shapes``."""
        if self.state:
            return
        state = {}
        for rel, shape, dtype in self.spec.variables(self.config, shapes):
            path = f"{self.scope}/{rel}" if rel else self.scope
            state[rel] = make_state_variable(path, shape, dtype)
        self.state = state
        self.built = True

    @property
    def state_variables(self) -> list:
        """The metric's variables, in creation order."""
        return list(self.state.values())

    def reset_state(self) -> None:
        """Zeroes the state (what slim's ``local_variables_initializer`` did)."""
        reset_variables(self.state_variables)

    def result(self) -> tf.Tensor:
        """The metric's current value, read from the state."""
        return self.spec.value(self.config, self.state)

    # --------------------------------------------------------------- call
    def call(self, inputs: TensorLike | Sequence[TensorLike], mode: str = "update") -> tf.Tensor:
        """``mode='update'``: updates the state with ``inputs``; ``'value'``: the metric's value."""
        if mode == "value":
            return self.result()
        if mode != "update":
            raise ValueError(f"StreamingMetric: mode must be 'update' or 'value', got {mode!r}")
        if not isinstance(inputs, (list, tuple)):
            inputs = [inputs]
        tensors = {
            n: tf.convert_to_tensor(t) for n, t in zip(self.input_names, inputs, strict=False)
        }
        for name, (value, dtype) in self.constants.items():
            tensors[name] = tf.constant(value, dtype=dtype)
        return self.spec.update(self.config, self.state, tensors)

    def get_config(self) -> dict:
        """The constructor arguments, for Keras serialization."""
        config = super().get_config()
        config.update(
            kind=self.kind,
            scope=self.scope,
            input_names=self.input_names,
            config=self.config,
            constants=self.constants,
        )
        return config


def _is_shape_list(shape: ShapeLike | Sequence[ShapeLike]) -> bool:
    return (
        isinstance(shape, (list, tuple))
        and bool(shape)
        and all(isinstance(s, (list, tuple)) or s is None for s in shape)
    )


def _check_collections(value: Collections | None, name: str) -> None:
    if value and not isinstance(value, (list, tuple, set)):
        raise ValueError(f"{name} should be a list or tuple of collection names, got {value!r}")


def streaming_metric(
    kind: str,
    tensors: dict,
    config: dict,
    name: str | None,
    default_name: str,
    metrics_collections: Collections | None = None,
    updates_collections: Collections | None = None,
) -> tuple[keras.KerasTensor | tf.Tensor, keras.KerasTensor | tf.Tensor]:
    """Creates a ``StreamingMetric`` in a fresh name scope and applies a batch.

    Args:
      kind: the registered spec name.
      tensors: input name -> tensor/KerasTensor/array or None (omitted).
      config: JSON-able spec configuration.
      name: the metric's scope name (slim's ``name``) or None.
      default_name: the scope used when ``name`` is None, made unique per graph
        (``accuracy``, ``accuracy_1`` ...).
      metrics_collections: collections receiving ``value``.
      updates_collections: collections receiving ``update_op``.

    Returns:
      ``(value, update_op)``.

    Raises:
      ValueError: if a collections argument is not a list or tuple.
    """
    _check_collections(metrics_collections, "metrics_collections")
    _check_collections(updates_collections, "updates_collections")
    if _CAPTURE.active:
        raise _Captured(kind, config, tensors, default_name if name is None else name)
    present = {k: v for k, v in tensors.items() if v is not None}
    symbolic = is_symbolic(list(present.values()))
    names, inputs, constants = [], [], {}
    for key, tensor in present.items():
        if symbolic and not is_symbolic(tensor):
            array = np.asarray(tensor)
            constants[key] = [array.tolist(), str(array.dtype)]
        else:
            names.append(key)
            inputs.append(tensor if symbolic else tf.convert_to_tensor(tensor))
    with name_scope(name, default_name) as ns:
        scope = ns.rstrip("/")
    layer = StreamingMetric(kind, scope, names, config, constants)
    update_op = layer(inputs, mode="update")
    value = layer(update_op, mode="value")
    graph = get_default_graph()
    for variable in layer.state_variables:
        graph.add_to_collections([GraphKeys.LOCAL_VARIABLES, GraphKeys.METRIC_VARIABLES], variable)
    graph.add_to_collection(METRICS, layer)
    if metrics_collections:
        graph.add_to_collections(list(metrics_collections), value)
    if updates_collections:
        graph.add_to_collections(list(updates_collections), update_op)
    return value, update_op


class _Capture(threading.local):
    active = False


_CAPTURE = _Capture()


class _Captured(Exception):  # noqa: N818 - control flow, never escapes capture_metric
    def __init__(
        self, kind: str, config: dict[str, Any], tensors: dict[str, Any], name: str
    ) -> None:
        super().__init__(kind)
        self.kind, self.config, self.tensors, self.name = kind, config, tensors, name


def capture_metric(
    fn: Callable[..., Any], *args: Any, **kwargs: Any
) -> tuple[str, dict, dict, str]:
    """Runs metric function ``fn`` up to its ``streaming_metric`` call.

    Returns:
      ``(kind, config, tensors, name)`` that ``fn`` would build its metric from.

    Raises:
      ValueError: if ``fn`` does not build a kslim streaming metric.
    """
    _CAPTURE.active = True
    try:
        fn(*args, **kwargs)
    except _Captured as captured:
        return captured.kind, captured.config, captured.tensors, captured.name
    finally:
        _CAPTURE.active = False
    raise ValueError(f"{fn!r} is not a kslim streaming metric function")


def get_metrics(scope: str | None = None) -> list:
    """The ``StreamingMetric`` layers of the default graph (``scope``: regex prefix)."""
    layers = get_default_graph().get_collection(METRICS)
    if scope is None:
        return layers
    import re

    pattern = re.compile(scope)
    return [layer for layer in layers if pattern.match(layer.scope)]


def get_metric(scope: str) -> StreamingMetric:
    """Returns the metric layer whose scope is exactly ``scope``.

    Raises:
      KeyError: when the default graph has no metric of that scope.
    """
    for layer in get_default_graph().get_collection(METRICS):
        if layer.scope == scope:
            return layer
    raise KeyError(f"No metric with scope={scope!r} in the default graph")


def reset_metrics(scope: str | None = None) -> None:
    """Zeroes the state of every metric of the default graph (matching ``scope``)."""
    for layer in get_metrics(scope):
        layer.reset_state()


# ----------------------------------------------------------- shared helpers
def remove_squeezable_dimensions(labels: tf.Tensor, predictions: tf.Tensor):
    """Squeezes a trailing size-1 dimension so the ranks of both agree (static)."""
    lr, pr = labels.shape.rank, predictions.shape.rank
    if lr is not None and pr is not None:
        if pr - lr == 1 and predictions.shape[-1] in (1, None):
            predictions = tf.squeeze(predictions, [-1])
        elif lr - pr == 1 and labels.shape[-1] in (1, None):
            labels = tf.squeeze(labels, [-1])
    return labels, predictions


def prepare(
    predictions: tf.Tensor, labels: tf.Tensor | None = None, weights: tf.Tensor | None = None
):
    """slim's ``_remove_squeezable_dimensions(predictions, labels, weights)``."""
    if labels is not None:
        labels, predictions = remove_squeezable_dimensions(labels, predictions)
    if weights is None:
        return predictions, labels, None
    wr, pr = weights.shape.rank, predictions.shape.rank
    if wr and pr is not None:
        if wr - pr == 1:
            weights = tf.squeeze(weights, [-1])
        elif pr - wr == 1:
            weights = tf.expand_dims(weights, -1)
    return predictions, labels, weights


def broadcast_weights(weights: TensorLike, values: tf.Tensor):
    """``weights`` broadcast to the shape of ``values``."""
    return tf.cast(weights, values.dtype) * tf.ones_like(values)


def add(state: MetricState, key: str, delta: TensorLike):
    """``state[key] += delta`` (cast to the variable's dtype); returns the new value."""
    variable = state[key]
    variable.assign_add(tf.cast(delta, variable.dtype))
    return tf.convert_to_tensor(variable)


def read(state: MetricState, key: str):
    """The current value of ``state[key]`` as a tensor."""
    return tf.convert_to_tensor(state[key])


__all__ = [
    "METRICS",
    "capture_metric",
    "MetricSpec",
    "StreamingMetric",
    "get_metric",
    "get_metrics",
    "get_spec",
    "register_metric",
    "reset_metrics",
    "streaming_metric",
    "variable_name",
]
