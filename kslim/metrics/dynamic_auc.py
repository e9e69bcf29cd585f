"""The exact (dynamic) streaming AUC.

Every label and prediction is kept; every distinct prediction is a threshold.
"""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf

from kslim.metrics.aggregation import concat_update, concat_value
from kslim.metrics.state import (
    InputShapes,
    MetricInputs,
    MetricSpec,
    MetricState,
    register_metric,
    streaming_metric,
)
from kslim.tensor_types import Collections, TensorLike

__all__ = ["compute_dynamic_auc", "streaming_dynamic_auc"]


def _dynamic_variables(config: dict[str, Any], shapes: InputShapes):
    out = []
    for part, dtype in (("preds", "float64"), ("labels", "int64"), ("weights", "float64")):
        if part == "weights" and not config["weighted"]:
            continue
        out += [(f"concat_{part}/array", (None,), dtype), (f"concat_{part}/size", (), "int32")]
    return out


def compute_dynamic_auc(
    labels: TensorLike,
    predictions: TensorLike,
    curve: str = "ROC",
    weights: TensorLike | None = None,
) -> tf.Tensor:
    """Exact AUC over all data, every distinct prediction a threshold (slim's)."""
    if weights is None:
        weights = tf.ones_like(labels, dtype=tf.float64)
    total_weight = tf.reduce_sum(weights)
    zeros = tf.zeros_like(weights)
    total_positive = tf.reduce_sum(tf.where(labels > 0, weights, zeros))

    def compute():
        size = tf.size(predictions)
        ordered, indices = tf.math.top_k(predictions, k=size)
        ordered_labels = tf.gather(labels, indices)
        ordered_weights = tf.gather(weights, indices)
        _, _, counts = tf.unique_with_counts(ordered)
        splits = tf.cast(tf.pad(tf.cumsum(counts), [[1, 0]]), tf.int32)
        zero_w = tf.zeros_like(ordered_weights)
        tps = tf.gather(
            tf.pad(tf.cumsum(tf.where(ordered_labels > 0, ordered_weights, zero_w)), [[1, 0]]),
            splits,
        )
        if curve == "ROC":
            fps = tf.gather(
                tf.pad(tf.cumsum(tf.where(ordered_labels < 1, ordered_weights, zero_w)), [[1, 0]]),
                splits,
            )
            x = fps / (total_weight - total_positive)
            y = tps / total_positive
        else:
            x = tps / total_positive
            positives = tf.gather(tf.pad(tf.cumsum(ordered_weights), [[1, 0]]), splits)
            y = tf.where(splits > 0, tf.math.divide_no_nan(tps, positives), tf.ones_like(tps))
        heights = (y[1:] + y[:-1]) / 2.0
        widths = tf.abs(x[1:] - x[:-1])
        return tf.reduce_sum(heights * widths)

    degenerate = tf.logical_or(tf.equal(total_positive, 0), tf.equal(total_positive, total_weight))
    return tf.cond(degenerate, lambda: tf.constant(0.0, tf.float64), compute)


def _dynamic_update(config: dict[str, Any], state: MetricState, x: MetricInputs):
    labels = tf.reshape(tf.cast(x["labels"], tf.int64), [-1])
    predictions = tf.reshape(tf.cast(x["predictions"], tf.float64), [-1])
    tf.debugging.assert_greater_equal(
        labels, tf.zeros_like(labels), message="labels must be 0 or 1, at least one is <0"
    )
    tf.debugging.assert_less_equal(
        labels, tf.ones_like(labels), message="labels must be 0 or 1, at least one is >1"
    )
    concat_update(state, predictions, 0, None, "concat_preds/")
    concat_update(state, labels, 0, None, "concat_labels/")
    if config["weighted"]:
        weights = tf.reshape(tf.cast(x["weights"], tf.float64), [-1])
        concat_update(state, weights, 0, None, "concat_weights/")
    return _dynamic_value(config, state)


def _dynamic_value(config: dict[str, Any], state: MetricState):
    weights = concat_value(state, 0, 1, "concat_weights/") if config["weighted"] else None
    return compute_dynamic_auc(
        concat_value(state, 0, 1, "concat_labels/"),
        concat_value(state, 0, 1, "concat_preds/"),
        config["curve"],
        weights,
    )


register_metric("dynamic_auc", MetricSpec(_dynamic_variables, _dynamic_update, _dynamic_value))


def streaming_dynamic_auc(
    labels: TensorLike,
    predictions: TensorLike,
    curve: str = "ROC",
    metrics_collections: Collections | None = (),
    updates_collections: Collections | None = (),
    name: str | None = None,
    weights: TensorLike | None = None,
) -> tuple[keras.KerasTensor | tf.Tensor, keras.KerasTensor | tf.Tensor]:
    """Exact streaming AUC over all data seen ((labels, predictions) order).

    Keeps every label, prediction (and weight) in growable buffers
    ``<scope>/concat_{labels,preds,weights}/{array,size}`` (default scope
    ``dynamic_auc``), so memory grows with the data.

    Args:
      labels: 0/1 labels of the shape of ``predictions``.
      predictions: predictions castable to float64 (flattened).
      curve: ``'ROC'`` (default) or ``'PR'``.
      metrics_collections: collections to add the metric's value to.
      updates_collections: collections to add the update op to.
      name: scope name.
      weights: optional non-negative weights (flattened).

    Returns:
      ``(auc, update_op)`` float64; slim's update is a grouped op, kslim's
      returns the updated AUC.

    Raises:
      ValueError: for an unknown ``curve`` (slim's message).
    """
    if curve not in ("PR", "ROC"):
        raise ValueError(f"curve must be either ROC or PR, {curve} unknown")
    return streaming_metric(
        "dynamic_auc",
        {"labels": labels, "predictions": predictions, "weights": weights},
        {"curve": curve, "weighted": weights is not None},
        name,
        "dynamic_auc",
        metrics_collections,
        updates_collections,
    )
