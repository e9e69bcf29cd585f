"""slim metrics as ``keras.metrics.Metric`` objects, for ``model.compile(metrics=...)``.

``as_keras_metric(kslim.metrics.streaming_auc, num_thresholds=50)`` wraps any
slim streaming metric function; ``StreamingAccuracy()`` etc. are ready-made.
``update_state(y_true, y_pred, sample_weight)`` maps to slim's
``(predictions=y_pred, labels=y_true, weights=sample_weight)`` whatever the
function's argument order. The math is the same ``MetricSpec`` the streaming
functions use. Every streaming metric has a Keras form:

* an extra tensor input is bound as a constant at construction:
  ``StreamingMeanRelativeError(normalizer=...)`` (an array or a float);
* ``StreamingDynamicAUC`` (exact AUC, ``curve='ROC'`` or ``'PR'``) keeps every
  label and prediction seen in growable buffers;
* ``StreamingMeanTensor(shape)`` is the element-wise mean of ``y_pred`` over
  all examples (``shape`` is the per-example shape, ``y_pred.shape[1:]``);
* ``StreamingConcat(shape, max_size)`` is the concatenation of every
  ``y_pred`` seen: an array, which ``evaluate(return_dict=True)`` and the fit
  history return as a NumPy array and Keras' progress bar shows as its mean.

Metrics with a growable or data-dependent-size result (``StreamingDynamicAUC``,
``StreamingConcat``) cannot be XLA-compiled: on a GPU, where Keras'
``jit_compile='auto'`` turns XLA on, compile with ``jit_compile=False``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from kslim.metrics.state import (
    broadcast_weights,
    capture_metric,
    get_spec,
    make_state_variable,
    prepare,
    reset_variables,
)
from kslim.tensor_types import DTypeLike, ShapeLike, TensorLike

_Y_TRUE = object()
_Y_PRED = object()
_WEIGHT = object()
_LABEL_ARGS = ("labels",)
_PRED_ARGS = ("predictions", "values", "predictions_idx", "top_k_predictions")


def _resolve(fn_name: str):
    from kslim import metrics

    fn = getattr(metrics, fn_name, None)
    if fn is None or not callable(fn):
        raise ValueError(f"Unknown kslim.metrics function fn={fn_name!r}")
    return fn


@keras.saving.register_keras_serializable(package="kslim")
class SlimMetric(keras.metrics.Metric):
    """A slim streaming metric function as a Keras metric.

    Args:
      fn: a ``kslim.metrics`` streaming function or its name
        (``'streaming_auc'``).
      fn_kwargs: its non-tensor arguments (``num_thresholds``, ``k`` ...) and
        any tensor argument other than labels/predictions/weights as a
        constant (``normalizer=...``: an array, a nested list or a float).
      name: the metric name, default the function's default scope.
      dtype: Keras metric dtype.

    Raises:
      ValueError: if ``fn`` needs a tensor argument that was not given as a
        constant, or its state depends on the input shape (use
        ``StreamingMeanTensor`` / ``StreamingConcat``).
    """

    def __init__(
        self,
        fn: Callable[..., Any] | str,
        fn_kwargs: Mapping[str, Any] | None = None,
        name: str | None = None,
        dtype: DTypeLike | None = None,
    ) -> None:
        fn_name = fn if isinstance(fn, str) else fn.__name__
        fn = _resolve(fn_name)
        if fn_name == "streaming_concat":
            raise ValueError(
                "fn='streaming_concat' has no Keras metric form through as_keras_metric: "
                "its state depends on the input shape; use StreamingConcat(shape, max_size)"
            )
        fn_kwargs = {
            k: np.asarray(v).tolist() if isinstance(v, (np.ndarray, tf.Tensor)) else v
            for k, v in dict(fn_kwargs or {}).items()
        }
        params = list(inspect.signature(fn).parameters)
        roles = {}
        for param in params:
            if param in _LABEL_ARGS:
                roles[param] = _Y_TRUE
            elif param in _PRED_ARGS:
                roles[param] = _Y_PRED
            elif param == "weights":
                roles[param] = _WEIGHT
        if _Y_PRED not in roles.values():
            raise ValueError(f"fn={fn_name!r} has no predictions/values argument")
        try:
            kind, config, tensors, default = capture_metric(fn, **roles, **fn_kwargs)
        except TypeError as error:  # a required non-y_true/y_pred tensor argument
            raise ValueError(f"fn={fn_name!r} has no Keras metric form: {error}") from error
        spec = get_spec(kind)
        extra = [
            k
            for k, v in tensors.items()
            if v is not None and all(v is not r for r in (_Y_TRUE, _Y_PRED, _WEIGHT))
        ]
        if spec.needs_shapes:
            raise ValueError(
                f"fn={fn_name!r} has no Keras metric form through as_keras_metric: its "
                "state depends on the input shape; use StreamingMeanTensor(shape) or "
                "StreamingConcat(shape, max_size)"
            )
        super().__init__(name=name or default, dtype=dtype)
        self.fn_name = fn_name
        self.fn_kwargs = fn_kwargs
        self.kind = kind
        self.config = config
        self._spec = spec
        self._inputs = {k: v for k, v in tensors.items() if v is not None and k not in extra}
        self._constants = {k: tf.constant(np.asarray(fn_kwargs[k], dtype="float32")) for k in extra}
        state = {}
        for rel, shape, var_dtype in spec.variables(config, {}):
            path = f"{self.name}/{rel}" if rel else self.name
            variable = make_state_variable(path, shape, var_dtype)
            state[rel] = variable
        self._state = state

    def update_state(
        self, y_true: TensorLike, y_pred: TensorLike, sample_weight: TensorLike | None = None
    ) -> None:
        """Adds a batch: slim's ``(predictions=y_pred, labels=y_true, weights=...)``."""
        if sample_weight is None and self.kind == "dynamic_auc":
            # Its buffers were made for weights; unit weights give the same AUC.
            sample_weight = tf.ones_like(tf.convert_to_tensor(y_pred), dtype=tf.float64)
        values = {id(_Y_TRUE): y_true, id(_Y_PRED): y_pred, id(_WEIGHT): sample_weight}
        x = dict(self._constants)
        for key, role in self._inputs.items():
            value = values[id(role)]
            if value is not None:
                x[key] = tf.convert_to_tensor(value)
        self._spec.update(self.config, self._state, x)

    def result(self) -> tf.Tensor:
        """The metric's value from the accumulated state."""
        return self._spec.value(self.config, self._state)

    def reset_state(self) -> None:
        """Zeroes the state (growable buffers back to size 0)."""
        reset_variables(self._state.values())

    def get_config(self) -> dict:
        """The metric function's name and arguments, for Keras serialization."""
        return {
            "fn": self.fn_name,
            "fn_kwargs": self.fn_kwargs,
            "name": self.name,
            "dtype": self.dtype,
        }


def as_keras_metric(
    fn: Callable[..., Any] | str, name: str | None = None, **kwargs: Any
) -> SlimMetric:
    """Wraps slim streaming metric function ``fn`` as a ``keras.metrics.Metric``.

    Args:
      fn: a ``kslim.metrics`` streaming function (or its name).
      name: metric name (default: the function's default scope, ``auc`` ...).
      **kwargs: the function's non-tensor arguments (``num_thresholds=50``).

    Returns:
      A ``SlimMetric``; ``update_state(y_true, y_pred, sample_weight)``.

    Raises:
      ValueError: if ``fn`` has no Keras form.
    """
    return SlimMetric(fn, kwargs, name=name)


def _named(class_name: str, fn_name: str, doc: str):
    def __init__(
        self: SlimMetric, name: str | None = None, dtype: DTypeLike | None = None, **kwargs: Any
    ) -> None:
        SlimMetric.__init__(self, fn_name, kwargs, name=name, dtype=dtype)

    def get_config(self: SlimMetric) -> dict:
        return {"name": self.name, "dtype": self.dtype, **self.fn_kwargs}

    cls = type(
        class_name,
        (SlimMetric,),
        {"__init__": __init__, "get_config": get_config, "__doc__": doc, "__module__": __name__},
    )
    return keras.saving.register_keras_serializable(package="kslim")(cls)


StreamingAccuracy = _named(
    "StreamingAccuracy", "streaming_accuracy", "Keras form of ``streaming_accuracy``."
)
StreamingMean = _named(
    "StreamingMean", "streaming_mean", "Keras form of ``streaming_mean`` (mean of ``y_pred``)."
)
StreamingPrecision = _named(
    "StreamingPrecision", "streaming_precision", "Keras form of ``streaming_precision``."
)
StreamingRecall = _named(
    "StreamingRecall", "streaming_recall", "Keras form of ``streaming_recall``."
)
StreamingAUC = _named(
    "StreamingAUC",
    "streaming_auc",
    "Keras form of ``streaming_auc`` (kwargs num_thresholds, curve).",
)
StreamingMeanIOU = _named(
    "StreamingMeanIOU",
    "streaming_mean_iou",
    "Keras form of ``streaming_mean_iou`` (kwarg num_classes).",
)
StreamingMeanAbsoluteError = _named(
    "StreamingMeanAbsoluteError",
    "streaming_mean_absolute_error",
    "Keras form of ``streaming_mean_absolute_error``.",
)
StreamingMeanSquaredError = _named(
    "StreamingMeanSquaredError",
    "streaming_mean_squared_error",
    "Keras form of ``streaming_mean_squared_error``.",
)
StreamingRootMeanSquaredError = _named(
    "StreamingRootMeanSquaredError",
    "streaming_root_mean_squared_error",
    "Keras form of ``streaming_root_mean_squared_error``.",
)
StreamingMeanRelativeError = _named(
    "StreamingMeanRelativeError",
    "streaming_mean_relative_error",
    "Keras form of ``streaming_mean_relative_error``: mean of |y_pred − y_true| / "
    "normalizer (0 where normalizer is 0); ``normalizer=`` is a constant (array or "
    "float, broadcast to ``y_pred``) bound at construction.",
)
StreamingDynamicAUC = _named(
    "StreamingDynamicAUC",
    "streaming_dynamic_auc",
    "Keras form of ``streaming_dynamic_auc``: the exact AUC of every (y_true, y_pred) "
    "seen (kwarg curve='ROC' or 'PR'); buffers grow with the data. Not XLA-compilable.",
)


def _check_shape(shape: ShapeLike, cls: str) -> tuple:
    try:
        shape = tuple(int(d) for d in shape)
    except (TypeError, ValueError):
        raise ValueError(
            f"{cls}: shape must be a fully defined per-example shape (ints), got {shape!r}"
        ) from None
    if any(d < 0 for d in shape):
        raise ValueError(f"{cls}: shape must have non-negative dimensions, got {shape!r}")
    return shape


@keras.saving.register_keras_serializable(package="kslim")
class StreamingMeanTensor(keras.metrics.Metric):
    """Keras form of ``streaming_mean_tensor``: element-wise mean of ``y_pred``.

    The mean is over every example seen (slim's metric run on one example at a
    time): variables ``<name>/total_tensor`` and ``<name>/count_tensor`` have
    the per-example shape. ``y_true`` is ignored.

    Args:
      shape: the per-example shape of ``y_pred`` (``y_pred.shape[1:]``),
        fully defined; ``()`` for scalar predictions of shape ``[batch]``.
      name: metric name, default ``mean``.
      dtype: Keras metric dtype.

    Raises:
      ValueError: if ``shape`` is not a tuple of non-negative ints.
    """

    def __init__(
        self, shape: ShapeLike, name: str | None = None, dtype: DTypeLike | None = None
    ) -> None:
        shape = _check_shape(shape, "StreamingMeanTensor")
        super().__init__(name=name or "mean", dtype=dtype)
        self.shape = shape
        self._spec = get_spec("mean_tensor")
        self._state = {
            rel: make_state_variable(f"{self.name}/{rel}", var_shape, var_dtype)
            for rel, var_shape, var_dtype in self._spec.variables({}, {"values": shape})
        }

    def update_state(
        self, y_true: TensorLike, y_pred: TensorLike, sample_weight: TensorLike | None = None
    ) -> None:
        """Adds the examples of a batch: ``y_pred`` [batch, *shape]."""
        values = tf.cast(tf.convert_to_tensor(y_pred), tf.float32)
        values = tf.reshape(values, tf.concat([[-1], list(self.shape)], 0))
        weights = tf.ones_like(values)
        if sample_weight is not None:
            values, _, sample_weight = prepare(values, None, tf.convert_to_tensor(sample_weight))
            weights = broadcast_weights(tf.cast(sample_weight, tf.float32), values)
        self._state["total_tensor"].assign_add(tf.reduce_sum(values * weights, 0))
        self._state["count_tensor"].assign_add(tf.reduce_sum(weights, 0))

    def result(self) -> tf.Tensor:
        """The element-wise mean, a tensor of shape ``shape``."""
        return self._spec.value({}, self._state)

    def reset_state(self) -> None:
        """Zeroes the totals and counts."""
        reset_variables(self._state.values())

    def get_config(self) -> dict:
        """The constructor arguments, for Keras serialization."""
        return {"shape": list(self.shape), "name": self.name, "dtype": self.dtype}


@keras.saving.register_keras_serializable(package="kslim")
class StreamingConcat(keras.metrics.Metric):
    """Keras form of ``streaming_concat``: every ``y_pred`` seen, concatenated.

    Concatenates along the batch axis into ``<name>/array`` (``<name>/size``
    slices valid). The result is an array of shape ``[n, *shape]``:
    ``evaluate(return_dict=True)`` returns it as a NumPy array; Keras'
    progress bar shows its mean. ``y_true`` and ``sample_weight`` are ignored.

    Args:
      shape: the per-example shape of ``y_pred`` (``y_pred.shape[1:]``).
      max_size: maximum number of examples kept (later ones are dropped, as
        slim); None grows the buffer without bound.
      name: metric name, default ``streaming_concat``.
      dtype: dtype of the kept values, default float32.

    Raises:
      ValueError: if ``shape`` is not a tuple of non-negative ints or
        ``max_size`` is not a positive int or None.
    """

    def __init__(
        self,
        shape: ShapeLike,
        max_size: int | None = None,
        name: str | None = None,
        dtype: DTypeLike | None = None,
    ) -> None:
        shape = _check_shape(shape, "StreamingConcat")
        if max_size is not None and (not isinstance(max_size, int) or max_size < 1):
            raise ValueError(
                f"StreamingConcat: max_size must be a positive int or None, got {max_size!r}"
            )
        super().__init__(name=name or "streaming_concat", dtype=dtype)
        self.shape = shape
        self.max_size = max_size
        self._config = {
            "axis": 0,
            "max_size": max_size,
            "dtype": tf.as_dtype(dtype or "float32").name,
            "ndim": len(shape) + 1,
        }
        self._spec = get_spec("concat")
        self._state = {
            rel: make_state_variable(f"{self.name}/{rel}", var_shape, var_dtype)
            for rel, var_shape, var_dtype in self._spec.variables(
                self._config, {"values": (None, *shape)}
            )
        }

    def update_state(
        self, y_true: TensorLike, y_pred: TensorLike, sample_weight: TensorLike | None = None
    ) -> None:
        """Appends the batch ``y_pred`` [batch, *shape]."""
        values = tf.cast(tf.convert_to_tensor(y_pred), self._config["dtype"])
        values = tf.reshape(values, tf.concat([[-1], list(self.shape)], 0))
        self._spec.update(self._config, self._state, {"values": values})

    def result(self) -> tf.Tensor:
        """The concatenated values, shape ``[n, *shape]``."""
        return self._spec.value(self._config, self._state)

    def reset_state(self) -> None:
        """Empties the buffer."""
        reset_variables(self._state.values())

    def get_config(self) -> dict:
        """The constructor arguments, for Keras serialization."""
        return {
            "shape": list(self.shape),
            "max_size": self.max_size,
            "name": self.name,
            "dtype": self.dtype,
        }


__all__ = [
    "SlimMetric",
    "StreamingAUC",
    "StreamingAccuracy",
    "StreamingConcat",
    "StreamingDynamicAUC",
    "StreamingMean",
    "StreamingMeanAbsoluteError",
    "StreamingMeanIOU",
    "StreamingMeanRelativeError",
    "StreamingMeanSquaredError",
    "StreamingMeanTensor",
    "StreamingPrecision",
    "StreamingRecall",
    "StreamingRootMeanSquaredError",
    "as_keras_metric",
]
