"""Classification metrics.

Accuracy, confusion counts and their ratios, and the non-streaming
``accuracy``; mean IoU and Cohen's kappa live in ``kslim.metrics.confusion``
(and are importable from here).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from kslim.layers.base import apply_op, is_symbolic, register_op
from kslim.metrics.aggregation import mean_metric, register_transform
from kslim.metrics.confusion import cohen_kappa, streaming_mean_iou
from kslim.metrics.state import (
    InputShapes,
    MetricInputs,
    MetricSpec,
    MetricState,
    add,
    broadcast_weights,
    prepare,
    read,
    register_metric,
    remove_squeezable_dimensions,
    streaming_metric,
)
from kslim.ops.variable_scope import name_scope
from kslim.tensor_types import Collections, TensorLike


# ------------------------------------------------------------------ accuracy
@register_transform("accuracy")
def _accuracy_values(config: dict[str, Any], x: MetricInputs):
    labels = x["labels"]
    labels, predictions = remove_squeezable_dimensions(labels, x["predictions"])
    predictions = tf.cast(predictions, labels.dtype)
    return tf.cast(tf.equal(predictions, labels), tf.float32), x.get("weights")


def streaming_accuracy(
    predictions: TensorLike,
    labels: TensorLike,
    weights: TensorLike | None = None,
    metrics_collections: Collections | None = None,
    updates_collections: Collections | None = None,
    name: str | None = None,
) -> tuple[keras.KerasTensor | tf.Tensor, keras.KerasTensor | tf.Tensor]:
    """Streaming (weighted) frequency of ``predictions == labels``.

    Variables ``<scope>/total`` and ``<scope>/count`` (default scope ``accuracy``).

    Args:
      predictions: tensor of any shape (cast to the dtype of ``labels``).
      labels: tensor of the shape of ``predictions``.
      weights: optional tensor broadcastable to ``labels``.
      metrics_collections: collections to add the metric's value to.
      updates_collections: collections to add the update op to.
      name: scope name, default ``accuracy``.

    Returns:
      ``(accuracy, update_op)``.

    Raises:
      ValueError: if a collections argument is not a list or tuple, or the
        static shapes of ``predictions`` and ``labels`` are incompatible (as
        slim's ``assert_is_compatible_with``; naming both).
    """
    _check_compatible("streaming_accuracy", predictions, labels)
    return mean_metric(
        "accuracy",
        {"predictions": predictions, "labels": labels, "weights": weights},
        name,
        "accuracy",
        metrics_collections,
        updates_collections,
    )


def _check_compatible(fn: str, predictions: TensorLike, labels: TensorLike) -> None:
    p_shape = getattr(predictions, "shape", None)
    l_shape = getattr(labels, "shape", None)
    if p_shape is None:
        p_shape = np.shape(predictions)
    if l_shape is None:
        l_shape = np.shape(labels)
    p, lab = tf.TensorShape(tuple(p_shape)), tf.TensorShape(tuple(l_shape))
    # slim removes a squeezable trailing 1 first ([batch, 1] vs [batch]).
    if p.rank is not None and lab.rank is not None:
        if p.rank == lab.rank + 1 and p[-1] == 1:
            p = p[:-1]
        elif lab.rank == p.rank + 1 and lab[-1] == 1:
            lab = lab[:-1]
    if not p.is_compatible_with(lab):
        raise ValueError(
            f"{fn}: predictions of shape {p.as_list()} and labels of shape {lab.as_list()} "
            "are incompatible"
        )


# ---------------------------------------------------------- confusion counts
_CONDITIONS = {
    "tp": ("true_positives", lambda p, lab: tf.logical_and(lab, p)),
    "fp": ("false_positives", lambda p, lab: tf.logical_and(tf.logical_not(lab), p)),
    "tn": ("true_negatives", lambda p, lab: tf.logical_and(tf.logical_not(lab), tf.logical_not(p))),
    "fn": ("false_negatives", lambda p, lab: tf.logical_and(lab, tf.logical_not(p))),
}


def _ratio(num: tf.Tensor, other: tf.Tensor):
    total = num + other
    return tf.where(total > 0, tf.math.divide_no_nan(num, total), 0.0)


_FORMULAS = {
    "count": lambda c: c[0],
    "precision": lambda c: _ratio(c[0], c[1]),
    "recall": lambda c: _ratio(c[0], c[1]),
    "fpr": lambda c: _ratio(c[0], c[1]),
    "fnr": lambda c: _ratio(c[0], c[1]),
}


def _counts_path(config: dict[str, Any], key: str):
    prefix = _CONDITIONS[key][0]
    return f"{prefix}/count" if config.get("nested", True) else "count"


def _counts_variables(config: dict[str, Any], shapes: InputShapes):
    return [(_counts_path(config, key), (), "float32") for key in config["counts"]]


def _counts_update(config: dict[str, Any], state: MetricState, x: MetricInputs):
    predictions, labels, weights = prepare(
        tf.cast(x["predictions"], tf.bool), tf.cast(x["labels"], tf.bool), x.get("weights")
    )
    counts = []
    for key in config["counts"]:
        values = tf.cast(_CONDITIONS[key][1](predictions, labels), tf.float32)
        if weights is not None:
            values = values * tf.cast(weights, tf.float32)
        counts.append(add(state, _counts_path(config, key), tf.reduce_sum(values)))
    return _FORMULAS[config["formula"]](counts)


def _counts_value(config: dict[str, Any], state: MetricState):
    counts = [read(state, _counts_path(config, key)) for key in config["counts"]]
    return _FORMULAS[config["formula"]](counts)


register_metric("counts", MetricSpec(_counts_variables, _counts_update, _counts_value))


def _counts_metric(
    counts: Sequence[str],
    formula: str,
    predictions: TensorLike,
    labels: TensorLike,
    weights: TensorLike | None,
    name: str | None,
    default_name: str,
    metrics_collections: Collections | None,
    updates_collections: Collections | None,
    nested: bool = True,
):
    config = {"counts": list(counts), "formula": formula, "nested": nested}
    return streaming_metric(
        "counts",
        {"predictions": predictions, "labels": labels, "weights": weights},
        config,
        name,
        default_name,
        metrics_collections,
        updates_collections,
    )


def _count_fn(key: str):
    default = _CONDITIONS[key][0]

    def fn(
        predictions: TensorLike,
        labels: TensorLike,
        weights: TensorLike | None = None,
        metrics_collections: Collections | None = None,
        updates_collections: Collections | None = None,
        name: str | None = None,
    ):
        return _counts_metric(
            [key],
            "count",
            predictions,
            labels,
            weights,
            name,
            default,
            metrics_collections,
            updates_collections,
            nested=False,
        )

    fn.__name__ = f"streaming_{default}"
    fn.__qualname__ = fn.__name__
    fn.__doc__ = f"""Streaming weighted count of {default.replace("_", " ")}.

    Variable ``<scope>/count`` (default scope ``{default}``); predictions and
    labels are cast to bool.

    Args:
      predictions: tensor of any shape, cast to bool.
      labels: tensor of the shape of ``predictions``, cast to bool.
      weights: optional tensor of rank 0 or the rank of ``labels``.
      metrics_collections: collections to add the metric's value to.
      updates_collections: collections to add the update op to.
      name: scope name, default ``{default}``.

    Returns:
      ``(count, update_op)``, float32 scalars.
    """
    return fn


streaming_true_positives = _count_fn("tp")
streaming_true_negatives = _count_fn("tn")
streaming_false_positives = _count_fn("fp")
streaming_false_negatives = _count_fn("fn")


def streaming_precision(
    predictions: TensorLike,
    labels: TensorLike,
    weights: TensorLike | None = None,
    metrics_collections: Collections | None = None,
    updates_collections: Collections | None = None,
    name: str | None = None,
) -> tuple[keras.KerasTensor | tf.Tensor, keras.KerasTensor | tf.Tensor]:
    """Streaming precision tp/(tp+fp) (0 while tp+fp is 0).

    Variables ``<scope>/true_positives/count`` and ``<scope>/false_positives/count``
    (default scope ``precision``); inputs are cast to bool.

    Args:
      predictions: tensor of any shape, cast to bool.
      labels: tensor of the shape of ``predictions``, cast to bool.
      weights: optional tensor of rank 0 or the rank of ``labels``.
      metrics_collections: collections to add the metric's value to.
      updates_collections: collections to add the update op to.
      name: scope name, default ``precision``.

    Returns:
      ``(precision, update_op)``.
    """
    return _counts_metric(
        ["tp", "fp"],
        "precision",
        predictions,
        labels,
        weights,
        name,
        "precision",
        metrics_collections,
        updates_collections,
    )


def streaming_recall(
    predictions: TensorLike,
    labels: TensorLike,
    weights: TensorLike | None = None,
    metrics_collections: Collections | None = None,
    updates_collections: Collections | None = None,
    name: str | None = None,
) -> tuple[keras.KerasTensor | tf.Tensor, keras.KerasTensor | tf.Tensor]:
    """Streaming recall tp/(tp+fn) (0 while tp+fn is 0).

    Variables ``<scope>/true_positives/count`` and ``<scope>/false_negatives/count``
    (default scope ``recall``).

    Args:
      predictions: tensors of the same shape, cast to bool.
      labels: tensors of the same shape, cast to bool.
      weights: optional tensor of rank 0 or the rank of ``labels``.
      metrics_collections: collections to add the metric's value to.
      updates_collections: collections to add the update op to.
      name: scope name, default ``recall``.

    Returns:
      ``(recall, update_op)``.
    """
    return _counts_metric(
        ["tp", "fn"],
        "recall",
        predictions,
        labels,
        weights,
        name,
        "recall",
        metrics_collections,
        updates_collections,
    )


def streaming_false_positive_rate(
    predictions: TensorLike,
    labels: TensorLike,
    weights: TensorLike | None = None,
    metrics_collections: Collections | None = None,
    updates_collections: Collections | None = None,
    name: str | None = None,
) -> tuple[keras.KerasTensor | tf.Tensor, keras.KerasTensor | tf.Tensor]:
    """Streaming false positive rate fp/(fp+tn) (0 while fp+tn is 0).

    Variables ``<scope>/false_positives/count``, ``<scope>/true_negatives/count``
    (default scope ``false_positive_rate``).

    Args:
      predictions: tensors of the same shape, cast to bool.
      labels: tensors of the same shape, cast to bool.
      weights: optional tensor of rank 0 or the rank of ``labels``.
      metrics_collections: collections to add the metric's value to.
      updates_collections: collections to add the update op to.
      name: scope name, default ``false_positive_rate``.

    Returns:
      ``(false_positive_rate, update_op)``.
    """
    return _counts_metric(
        ["fp", "tn"],
        "fpr",
        predictions,
        labels,
        weights,
        name,
        "false_positive_rate",
        metrics_collections,
        updates_collections,
    )


def streaming_false_negative_rate(
    predictions: TensorLike,
    labels: TensorLike,
    weights: TensorLike | None = None,
    metrics_collections: Collections | None = None,
    updates_collections: Collections | None = None,
    name: str | None = None,
) -> tuple[keras.KerasTensor | tf.Tensor, keras.KerasTensor | tf.Tensor]:
    """Streaming false negative rate fn/(fn+tp) (0 while fn+tp is 0).

    Variables ``<scope>/false_negatives/count``, ``<scope>/true_positives/count``
    (default scope ``false_negative_rate``).

    Args:
      predictions: tensors of the same shape, cast to bool.
      labels: tensors of the same shape, cast to bool.
      weights: optional tensor of rank 0 or the rank of ``labels``.
      metrics_collections: collections to add the metric's value to.
      updates_collections: collections to add the update op to.
      name: scope name, default ``false_negative_rate``.

    Returns:
      ``(false_negative_rate, update_op)``.
    """
    return _counts_metric(
        ["fn", "tp"],
        "fnr",
        predictions,
        labels,
        weights,
        name,
        "false_negative_rate",
        metrics_collections,
        updates_collections,
    )


# ----------------------------------------------------- non-streaming accuracy
@register_op("metrics_accuracy")
def _accuracy_op(predictions: TensorLike, labels: TensorLike, weights: TensorLike | None = None):
    is_correct = tf.cast(tf.equal(predictions, labels), tf.float32)
    if weights is not None:
        is_correct = is_correct * tf.cast(weights, tf.float32)
        num_values = broadcast_weights(tf.cast(weights, tf.float32), is_correct)
        return tf.reduce_sum(is_correct) / tf.reduce_sum(num_values)
    return tf.reduce_mean(is_correct)


def accuracy(
    predictions: TensorLike,
    labels: TensorLike,
    weights: TensorLike | None = None,
    name: str | None = None,
) -> keras.KerasTensor | tf.Tensor:
    """Non-streaming accuracy of one batch (slim ``metrics.accuracy``).

    Args:
      predictions: tensor of the dtype of ``labels``.
      labels: bool, integer or string tensor of the shape of ``predictions``.
      weights: optional tensor broadcastable to ``labels``.
      name: name scope, default ``accuracy``.

    Returns:
      The scalar accuracy (a KerasTensor on KerasTensor inputs).

    Raises:
      ValueError: slim's messages for a float label dtype or mismatched dtypes.
    """
    labels_dtype = tf.as_dtype(labels.dtype)
    if not (labels_dtype.is_integer or labels_dtype in (tf.bool, tf.string)):
        raise ValueError(f"Labels should have bool, integer, or string dtype, not {labels_dtype!r}")
    if not labels_dtype.is_compatible_with(tf.as_dtype(predictions.dtype)):
        raise ValueError(
            "Dtypes of predictions and labels should match. "
            f"Given: predictions ({tf.as_dtype(predictions.dtype)!r}) and labels ({labels_dtype!r})"
        )
    inputs = [predictions, labels] + ([] if weights is None else [weights])
    with name_scope(name, "accuracy") as ns:
        if is_symbolic(inputs):
            return apply_op("metrics_accuracy", inputs, ns + "value")
        return _accuracy_op(*[tf.convert_to_tensor(t) for t in inputs])


__all__ = [
    "accuracy",
    "cohen_kappa",
    "streaming_accuracy",
    "streaming_false_negative_rate",
    "streaming_false_negatives",
    "streaming_false_positive_rate",
    "streaming_false_positives",
    "streaming_mean_iou",
    "streaming_precision",
    "streaming_recall",
    "streaming_true_negatives",
    "streaming_true_positives",
]
