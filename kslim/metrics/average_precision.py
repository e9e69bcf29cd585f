"""Mean average precision@k: streaming_sparse_average_precision_at_k and _at_top_k.

Labels are dense int tensors ``[batch]`` or ``[batch, num_labels]`` of class
ids (-1 pads); predictions are logits/scores ``[batch, num_classes]``
(``*_at_k``) or top-k class ids ``[batch, k]`` (``*_at_top_k``). Counts are
float64, as TF's.
"""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf

from kslim.metrics.ranking import at_k_name, maybe_expand_labels
from kslim.metrics.state import (
    MetricInputs,
    MetricSpec,
    MetricState,
    add,
    broadcast_weights,
    read,
    register_metric,
    streaming_metric,
)
from kslim.tensor_types import Collections, TensorLike


# ------------------------------------------------------- average precision
def _average_precision(labels: tf.Tensor, predictions_idx: tf.Tensor):
    """Per-row average precision@k of top-k ids ``predictions_idx`` [batch, k]."""
    k = predictions_idx.shape[-1]
    if k is None:
        raise ValueError(
            "The last dimension of predictions_idx must be set. Currently, it is None."
        )
    labels = maybe_expand_labels(labels, predictions_idx)
    idx_per_k = tf.expand_dims(predictions_idx, -1)
    labels_per_k = tf.tile(
        tf.expand_dims(labels, -2), tf.concat([tf.ones_like(tf.shape(labels)[:-1]), [k, 1]], 0)
    )
    relevant_per_k = tf.cast(
        tf.sets.size(tf.sets.intersection(idx_per_k, labels_per_k)), tf.float64
    )
    tp_per_k = tf.cumsum(relevant_per_k, axis=-1)
    retrieved_per_k = tf.cumsum(tf.ones_like(relevant_per_k), axis=-1)
    precision_sum = tf.reduce_sum(tp_per_k / retrieved_per_k * relevant_per_k, axis=-1)
    num_labels = tf.reduce_sum(
        tf.where(labels >= 0, tf.ones_like(labels), tf.zeros_like(labels)), axis=-1
    )
    num_relevant = tf.cast(tf.minimum(num_labels, k), tf.float64)
    return precision_sum / num_relevant


def _ap_update(config: dict[str, Any], state: MetricState, x: MetricInputs):
    labels = tf.cast(x["labels"], tf.int64)
    if config.get("k") is not None:
        scores = x["predictions"]
        _, idx = tf.math.top_k(scores, config["k"])
        num_classes = tf.cast(tf.shape(scores)[-1], tf.int64)
        labels = tf.where(labels >= num_classes, -tf.ones_like(labels), labels)
    else:
        idx = x["predictions"]
    ap = _average_precision(labels, tf.cast(idx, tf.int64))
    weights = x.get("weights")
    if weights is None:
        batch_max = tf.cast(tf.size(ap), tf.float64)
    else:
        weights = broadcast_weights(tf.cast(weights, tf.float64), ap)
        ap = ap * weights
        batch_max = tf.reduce_sum(weights)
    max_ = add(state, _max_name(config), batch_max)
    total = add(state, "total", tf.reduce_sum(ap))
    return tf.math.divide_no_nan(total, max_)


def _max_name(config: dict[str, Any]):
    # TF1 named it ``max_1`` when an op named ``Max`` (the label range check of
    # the ``_at_k`` form) already held the case-insensitive name ``max``.
    return "max" if config.get("k") is None else "max_1"


register_metric(
    "average_precision",
    MetricSpec(
        lambda config, shapes: [(_max_name(config), (), "float64"), ("total", (), "float64")],
        _ap_update,
        lambda config, state: tf.math.divide_no_nan(
            read(state, "total"), read(state, _max_name(config))
        ),
    ),
)


def streaming_sparse_average_precision_at_k(
    predictions: TensorLike,
    labels: TensorLike,
    k: int,
    weights: TensorLike | None = None,
    metrics_collections: Collections | None = None,
    updates_collections: Collections | None = None,
    name: str | None = None,
) -> tuple[keras.KerasTensor | tf.Tensor, keras.KerasTensor | tf.Tensor]:
    """Streaming mean average precision@k.

    Variables ``<scope>/max`` and ``<scope>/total`` (float64; default scope
    ``average_precision_at_<k>``). Labels >= num_classes are ignored.

    Args:
      predictions: float scores [batch, num_classes].
      labels: int64 class ids [batch] or [batch, num_labels] (-1 pads).
      k: number of top predictions, >= 1.
      weights: optional tensor [batch].
      metrics_collections: collections to add the metric's value to.
      updates_collections: collections to add the update op to.
      name: scope name.

    Returns:
      ``(mean_average_precision, update_op)``, float64.

    Raises:
      ValueError: for ``k`` < 1 (TF's message).
    """
    if k < 1:
        raise ValueError(f"Invalid k={k}. `k` should be >= 1.")
    return streaming_metric(
        "average_precision",
        {"predictions": predictions, "labels": labels, "weights": weights},
        {"k": int(k)},
        name,
        at_k_name("average_precision", k),
        metrics_collections,
        updates_collections,
    )


def streaming_sparse_average_precision_at_top_k(
    top_k_predictions: TensorLike,
    labels: TensorLike,
    weights: TensorLike | None = None,
    metrics_collections: Collections | None = None,
    updates_collections: Collections | None = None,
    name: str | None = None,
) -> tuple[keras.KerasTensor | tf.Tensor, keras.KerasTensor | tf.Tensor]:
    """Streaming mean average precision of given top-k class ids [batch, k].

    Default scope ``average_precision_at_top_k``; see
    ``streaming_sparse_average_precision_at_k``.

    Returns:
      ``(mean_average_precision, update_op)``, float64.
    """
    return streaming_metric(
        "average_precision",
        {"predictions": top_k_predictions, "labels": labels, "weights": weights},
        {"k": None},
        name,
        "average_precision_at_top_k",
        metrics_collections,
        updates_collections,
    )


__all__ = [
    "streaming_sparse_average_precision_at_k",
    "streaming_sparse_average_precision_at_top_k",
]
