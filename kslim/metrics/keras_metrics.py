"""slim metrics as ``keras.metrics.Metric`` objects, for ``model.compile(metrics=...)``.

``as_keras_metric(kslim.metrics.streaming_auc, num_thresholds=50)`` wraps any
slim streaming metric function; ``StreamingAccuracy()`` etc. are ready-made.
``update_state(y_true, y_pred, sample_weight)`` maps to slim's
``(predictions=y_pred, labels=y_true, weights=sample_weight)`` whatever the
function's argument order. The math is the same ``MetricSpec`` the streaming
functions use. Metrics whose state shape depends on the input shape
(``streaming_mean_tensor``, ``streaming_concat``, ``streaming_dynamic_auc``)
and those with an extra tensor input (``streaming_mean_relative_error``) have
no Keras form.
"""

from __future__ import annotations

import inspect

import keras
import tensorflow as tf

from kslim.metrics.state import capture_metric, get_spec, make_state_variable

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
      fn_kwargs: its non-tensor arguments (``num_thresholds``, ``k`` ...).
      name: the metric name, default the function's default scope.
      dtype: Keras metric dtype.

    Raises:
      ValueError: if ``fn`` has no Keras form (see the module docstring).
    """

    def __init__(self, fn, fn_kwargs=None, name=None, dtype=None) -> None:
        fn_name = fn if isinstance(fn, str) else fn.__name__
        fn = _resolve(fn_name)
        fn_kwargs = dict(fn_kwargs or {})
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
        if spec.needs_shapes or extra:
            raise ValueError(
                f"fn={fn_name!r} has no Keras metric form (its state depends on "
                f"the input shape or it needs extra inputs {extra})"
            )
        super().__init__(name=name or default, dtype=dtype)
        self.fn_name = fn_name
        self.fn_kwargs = fn_kwargs
        self.kind = kind
        self.config = config
        self._spec = spec
        self._inputs = {k: v for k, v in tensors.items() if v is not None}
        state = {}
        for rel, shape, var_dtype in spec.variables(config, {}):
            path = f"{self.name}/{rel}" if rel else self.name
            variable = make_state_variable(path, shape, var_dtype)
            state[rel] = variable
        self._state = state

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds a batch: slim's ``(predictions=y_pred, labels=y_true, weights=...)``."""
        values = {id(_Y_TRUE): y_true, id(_Y_PRED): y_pred, id(_WEIGHT): sample_weight}
        x = {}
        for key, role in self._inputs.items():
            value = values[id(role)]
            if value is not None:
                x[key] = tf.convert_to_tensor(value)
        self._spec.update(self.config, self._state, x)

    def result(self):
        """The metric's value from the accumulated state."""
        return self._spec.value(self.config, self._state)

    def get_config(self) -> dict:
        return {
            "fn": self.fn_name,
            "fn_kwargs": self.fn_kwargs,
            "name": self.name,
            "dtype": self.dtype,
        }


def as_keras_metric(fn, name=None, **kwargs) -> SlimMetric:
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
    def __init__(self, name=None, dtype=None, **kwargs):
        SlimMetric.__init__(self, fn_name, kwargs, name=name, dtype=dtype)

    def get_config(self):
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

__all__ = [
    "SlimMetric",
    "StreamingAUC",
    "StreamingAccuracy",
    "StreamingMean",
    "StreamingMeanAbsoluteError",
    "StreamingMeanIOU",
    "StreamingMeanSquaredError",
    "StreamingPrecision",
    "StreamingRecall",
    "StreamingRootMeanSquaredError",
    "as_keras_metric",
]
