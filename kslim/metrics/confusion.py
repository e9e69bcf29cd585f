"""Confusion-matrix metrics: streaming mean IoU and Cohen's kappa."""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf

from kslim.metrics.state import (
    InputShapes,
    MetricInputs,
    MetricSpec,
    MetricState,
    add,
    prepare,
    read,
    register_metric,
    streaming_metric,
)
from kslim.tensor_types import Collections, TensorLike

__all__ = ["cohen_kappa", "streaming_mean_iou"]


# ------------------------------------------------------------------ mean IoU
def _mean_iou_variables(config: dict[str, Any], shapes: InputShapes):
    c = config["num_classes"]
    return [("total_confusion_matrix", (c, c), "float64")]


def _mean_iou_update(config: dict[str, Any], state: MetricState, x: MetricInputs):
    predictions = tf.reshape(tf.cast(x["predictions"], tf.int64), [-1])
    labels = tf.reshape(tf.cast(x["labels"], tf.int64), [-1])
    weights = x.get("weights")
    if weights is not None:
        weights = tf.reshape(weights, [-1])
    cm = tf.math.confusion_matrix(
        labels, predictions, config["num_classes"], weights=weights, dtype=tf.float64
    )
    return add(state, "total_confusion_matrix", cm)


def _mean_iou_value(config: dict[str, Any], state: MetricState):
    cm = read(state, "total_confusion_matrix")
    rows = tf.cast(tf.reduce_sum(cm, 0), tf.float32)
    cols = tf.cast(tf.reduce_sum(cm, 1), tf.float32)
    diag = tf.cast(tf.linalg.diag_part(cm), tf.float32)
    denominator = rows + cols - diag
    valid = tf.reduce_sum(tf.cast(tf.not_equal(denominator, 0), tf.float32))
    denominator = tf.where(denominator > 0, denominator, tf.ones_like(denominator))
    iou = diag / denominator
    return tf.where(valid > 0, tf.reduce_sum(iou) / tf.maximum(valid, 1.0), 0.0)


register_metric("mean_iou", MetricSpec(_mean_iou_variables, _mean_iou_update, _mean_iou_value))


def streaming_mean_iou(
    predictions: TensorLike,
    labels: TensorLike,
    num_classes: int,
    weights: TensorLike | None = None,
    metrics_collections: Collections | None = None,
    updates_collections: Collections | None = None,
    name: str | None = None,
) -> tuple[keras.KerasTensor | tf.Tensor, keras.KerasTensor | tf.Tensor]:
    """Streaming mean intersection-over-union.

    Variable ``<scope>/total_confusion_matrix`` (float64 [C, C], rows = labels;
    default scope ``mean_iou``). The value is the mean of tp/(row+col−tp) over
    the classes whose denominator is non-zero.

    Args:
      predictions: int class predictions of any shape (flattened).
      labels: int labels of the same shape.
      num_classes: the number of classes C.
      weights: optional tensor of the shape of ``labels``.
      metrics_collections: collections to add the metric's value to.
      updates_collections: collections to add the update op to.
      name: scope name, default ``mean_iou``.

    Returns:
      ``(mean_iou, update_op)``; ``update_op`` returns the updated confusion
      matrix, as slim's does.

    Raises:
      ValueError: if ``num_classes`` is not a positive int.
    """
    if not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(f"num_classes must be a positive int, got {num_classes!r}")
    return streaming_metric(
        "mean_iou",
        {"predictions": predictions, "labels": labels, "weights": weights},
        {"num_classes": num_classes},
        name,
        "mean_iou",
        metrics_collections,
        updates_collections,
    )


# --------------------------------------------------------------- cohen kappa
def _kappa_variables(config: dict[str, Any], shapes: InputShapes):
    c, dtype = config["num_classes"], config["dtype"]
    return [("po", (c,), dtype), ("pe_row", (c,), dtype), ("pe_col", (c,), dtype)]


def _kappa(po: tf.Tensor, pe_row: tf.Tensor, pe_col: tf.Tensor):
    po_sum = tf.reduce_sum(po)
    total = tf.reduce_sum(pe_row)
    pe_sum = tf.reduce_sum(
        tf.math.divide_no_nan(tf.cast(pe_row * pe_col, tf.float64), tf.cast(total, tf.float64))
    )
    po_sum, total = tf.cast(po_sum, tf.float64), tf.cast(total, tf.float64)
    return tf.math.divide_no_nan(po_sum - pe_sum, total - pe_sum)


def _kappa_update(config: dict[str, Any], state: MetricState, x: MetricInputs):
    labels = x["labels"]
    if labels.shape.rank == 2:
        labels = tf.squeeze(labels, [-1])
    predictions, labels, weights = prepare(x["predictions_idx"], labels, x.get("weights"))
    cm = tf.math.confusion_matrix(
        labels, predictions, config["num_classes"], weights=weights, dtype=config["dtype"]
    )
    po = add(state, "po", tf.linalg.diag_part(cm))
    pe_row = add(state, "pe_row", tf.reduce_sum(cm, 0))
    pe_col = add(state, "pe_col", tf.reduce_sum(cm, 1))
    return _kappa(po, pe_row, pe_col)


def _kappa_value(config: dict[str, Any], state: MetricState):
    return _kappa(read(state, "po"), read(state, "pe_row"), read(state, "pe_col"))


register_metric("cohen_kappa", MetricSpec(_kappa_variables, _kappa_update, _kappa_value))


def cohen_kappa(
    labels: TensorLike,
    predictions_idx: TensorLike,
    num_classes: int,
    weights: TensorLike | None = None,
    metrics_collections: Collections | None = None,
    updates_collections: Collections | None = None,
    name: str | None = None,
) -> tuple[keras.KerasTensor | tf.Tensor, keras.KerasTensor | tf.Tensor]:
    """Streaming Cohen's kappa (note slim's (labels, predictions) order).

    Variables ``<scope>/{po, pe_row, pe_col}`` (default scope ``cohen_kappa``),
    int64 unless ``weights`` is a float tensor (then float32).

    Args:
      labels: int labels [N] or [N, 1].
      predictions_idx: int predicted classes of the shape of ``labels``.
      num_classes: number of classes, >= 2.
      weights: optional tensor of the shape of ``labels``.
      metrics_collections: collections to add the metric's value to.
      updates_collections: collections to add the update op to.
      name: scope name, default ``cohen_kappa``.

    Returns:
      ``(kappa, update_op)``, float64.

    Raises:
      ValueError: if ``num_classes`` < 2 (slim's message).
    """
    if num_classes < 2:
        raise ValueError(f"`num_classes` must be >= 2.Found: {num_classes}")
    integer = weights is None or tf.as_dtype(getattr(weights, "dtype", "float32")).is_integer
    config = {"num_classes": int(num_classes), "dtype": "int64" if integer else "float32"}
    return streaming_metric(
        "cohen_kappa",
        {"labels": labels, "predictions_idx": predictions_idx, "weights": weights},
        config,
        name,
        "cohen_kappa",
        metrics_collections,
        updates_collections,
    )
