"""Top-k metrics: recall@k, sparse precision/recall@k (mean AP@k: ``average_precision``).

Labels are dense int tensors ``[batch]`` or ``[batch, num_labels]`` of class
ids; predictions are logits/scores ``[batch, num_classes]`` (``*_at_k``) or
top-k class ids ``[batch, k]`` (``*_at_top_k``). Counts are float64, as TF's.
"""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf

from kslim.metrics.aggregation import mean_metric, register_transform
from kslim.metrics.state import (
    InputShapes,
    MetricInputs,
    MetricSpec,
    MetricState,
    add,
    read,
    register_metric,
    streaming_metric,
)
from kslim.tensor_types import Collections, TensorLike


def at_k_name(name: str, k: int | None = None, class_id: int | None = None) -> str:
    """The default metric name of an ``*_at_k`` metric: ``<name>_at_<k>[_class<id>]``."""
    name = f"{name}_at_{int(k)}" if k is not None else f"{name}_at_k"
    if class_id is not None:
        name = f"{name}_class{int(class_id)}"
    return name


# ------------------------------------------------------------ recall_at_k
@register_transform("in_top_k")
def _in_top_k(config: dict[str, Any], x: MetricInputs):
    hits = tf.math.in_top_k(
        tf.cast(x["labels"], tf.int32), tf.cast(x["predictions"], tf.float32), config["k"]
    )
    return tf.cast(hits, tf.float32), x.get("weights")


def streaming_recall_at_k(
    predictions: TensorLike,
    labels: TensorLike,
    k: int,
    weights: TensorLike | None = None,
    metrics_collections: Collections | None = None,
    updates_collections: Collections | None = None,
    name: str | None = None,
) -> tuple[keras.KerasTensor | tf.Tensor, keras.KerasTensor | tf.Tensor]:
    """Streaming mean of ``in_top_k(predictions, labels, k)`` (slim, deprecated).

    Variables ``<scope>/{total,count}`` (default scope ``recall_at_<k>``).

    Args:
      predictions: float scores [batch, num_classes].
      labels: int class ids [batch].
      k: number of top predictions considered.
      weights: optional tensor [batch].
      metrics_collections: collections to add the metric's value to.
      updates_collections: collections to add the update op to.
      name: scope name.

    Returns:
      ``(recall, update_op)``.
    """
    return mean_metric(
        "in_top_k",
        {"predictions": predictions, "labels": labels, "weights": weights},
        name,
        at_k_name("recall", k),
        metrics_collections,
        updates_collections,
        k=int(k),
    )


# ------------------------------------------------------------- sparse sets
def maybe_expand_labels(labels: tf.Tensor, predictions_idx: tf.Tensor) -> tf.Tensor:
    """``labels`` with a trailing axis when ``predictions_idx`` has one more (as TF's)."""
    lr, pr = labels.shape.rank, predictions_idx.shape.rank
    if lr is not None and pr is not None and pr == lr + 1:
        return tf.expand_dims(labels, -1)
    if lr is not None and pr is not None and pr != lr:
        raise ValueError(
            f"Unexpected labels shape {labels.shape} for predictions shape "
            f"{predictions_idx.shape}. Predictions rank should be the same rank "
            "as labels rank or labels rank plus one ."
        )
    return labels


def _select_class_id(ids: tf.Tensor, selected_id: int):
    ids = tf.cast(ids, tf.int64)
    shape = tf.shape(ids, out_type=tf.int64)
    filled = tf.fill(tf.concat([shape[:-1], [1]], 0), tf.constant(selected_id, tf.int64))
    result = tf.sets.intersection(filled, ids)
    return tf.SparseTensor(result.indices, result.values, shape)


def _select(labels: tf.Tensor, predictions_idx: tf.Tensor, class_id: int | None):
    if class_id is None:
        return labels, predictions_idx
    return _select_class_id(labels, class_id), _select_class_id(predictions_idx, class_id)


def _weighted(counts: tf.Tensor, weights: tf.Tensor | None):
    counts = tf.cast(counts, tf.float64)
    if weights is not None:
        counts = counts * tf.cast(weights, tf.float64)
    return counts


def _sparse_counts(
    labels: tf.Tensor,
    predictions_idx: tf.Tensor,
    class_id: int | None,
    weights: tf.Tensor | None,
    which: str,
):
    labels, predictions_idx = _select(labels, predictions_idx, class_id)
    if which == "tp":
        counts = tf.sets.size(tf.sets.intersection(predictions_idx, labels))
    elif which == "fn":
        counts = tf.sets.size(tf.sets.difference(predictions_idx, labels, aminusb=False))
    else:
        counts = tf.sets.size(tf.sets.difference(predictions_idx, labels, aminusb=True))
    return _weighted(counts, weights)


def _topk_names(config: dict[str, Any]):
    k, class_id = config.get("k"), config.get("class_id")
    other = "false_negative" if config["which"] == "recall" else "false_positive"
    return at_k_name("true_positive", k, class_id), at_k_name(other, k, class_id)


def _topk_variables(config: dict[str, Any], shapes: InputShapes):
    return [(name, (), "float64") for name in _topk_names(config)]


def _predictions_idx(config: dict[str, Any], x: MetricInputs):
    if config.get("from_scores"):
        _, idx = tf.math.top_k(x["predictions"], config["k"])
        return tf.cast(idx, tf.int64)
    return tf.cast(x["predictions"], tf.int64)


def _topk_update(config: dict[str, Any], state: MetricState, x: MetricInputs):
    idx = _predictions_idx(config, x)
    labels = maybe_expand_labels(tf.cast(x["labels"], tf.int64), idx)
    weights = x.get("weights")
    tp_name, other_name = _topk_names(config)
    other_kind = "fn" if config["which"] == "recall" else "fp"
    tp = add(
        state,
        tp_name,
        tf.reduce_sum(_sparse_counts(labels, idx, config.get("class_id"), weights, "tp")),
    )
    other = add(
        state,
        other_name,
        tf.reduce_sum(_sparse_counts(labels, idx, config.get("class_id"), weights, other_kind)),
    )
    return tp / (tp + other)


def _topk_value(config: dict[str, Any], state: MetricState):
    tp_name, other_name = _topk_names(config)
    tp = read(state, tp_name)
    return tp / (tp + read(state, other_name))


register_metric("top_k", MetricSpec(_topk_variables, _topk_update, _topk_value))


def _topk_metric(
    which: str,
    predictions: TensorLike,
    labels: TensorLike,
    k: int | None,
    class_id: int | None,
    weights: TensorLike | None,
    name: str | None,
    from_scores: bool,
    metrics_collections: Collections | None,
    updates_collections: Collections | None,
):
    if k is not None and k < 1:
        raise ValueError(f"Invalid k={k}. `k` should be >= 1.")
    config = {"which": which, "k": k, "class_id": class_id, "from_scores": from_scores}
    return streaming_metric(
        "top_k",
        {"predictions": predictions, "labels": labels, "weights": weights},
        config,
        name,
        at_k_name(which, k, class_id),
        metrics_collections,
        updates_collections,
    )


def streaming_sparse_recall_at_k(
    predictions: TensorLike,
    labels: TensorLike,
    k: int,
    class_id: int | None = None,
    weights: TensorLike | None = None,
    metrics_collections: Collections | None = None,
    updates_collections: Collections | None = None,
    name: str | None = None,
) -> tuple[keras.KerasTensor | tf.Tensor, keras.KerasTensor | tf.Tensor]:
    """Streaming recall@k: of the labels, the share found in the top-k predictions.

    Variables ``<scope>/true_positive_at_<k>`` and ``<scope>/false_negative_at_<k>``
    (float64; default scope ``recall_at_<k>``, ``..._class<id>`` with ``class_id``).

    Args:
      predictions: float scores [batch, num_classes].
      labels: int64 class ids [batch] or [batch, num_labels].
      k: number of top predictions.
      class_id: restrict to this class.
      weights: optional tensor [batch] (or broadcastable).
      metrics_collections: collections to add the metric's value to.
      updates_collections: collections to add the update op to.
      name: scope name.

    Returns:
      ``(recall, update_op)``, float64 (NaN while nothing is counted).

    Raises:
      ValueError: for ``k`` < 1.
    """
    return _topk_metric(
        "recall",
        predictions,
        labels,
        k,
        class_id,
        weights,
        name,
        True,
        metrics_collections,
        updates_collections,
    )


def streaming_sparse_precision_at_k(
    predictions: TensorLike,
    labels: TensorLike,
    k: int,
    class_id: int | None = None,
    weights: TensorLike | None = None,
    metrics_collections: Collections | None = None,
    updates_collections: Collections | None = None,
    name: str | None = None,
) -> tuple[keras.KerasTensor | tf.Tensor, keras.KerasTensor | tf.Tensor]:
    """Streaming precision@k: of the top-k predictions, the share that are labels.

    Variables ``<scope>/true_positive_at_<k>``, ``<scope>/false_positive_at_<k>``
    (float64; default scope ``precision_at_<k>``).

    Args:
      predictions: float scores [batch, num_classes].
      labels: int64 class ids [batch] or [batch, num_labels].
      k: number of top predictions.
      class_id: restrict to this class.
      weights: optional tensor [batch].
      metrics_collections: collections to add the metric's value to.
      updates_collections: collections to add the update op to.
      name: scope name.

    Returns:
      ``(precision, update_op)``, float64.

    Raises:
      ValueError: for ``k`` < 1.
    """
    return _topk_metric(
        "precision",
        predictions,
        labels,
        k,
        class_id,
        weights,
        name,
        True,
        metrics_collections,
        updates_collections,
    )


def streaming_sparse_precision_at_top_k(
    top_k_predictions: TensorLike,
    labels: TensorLike,
    class_id: int | None = None,
    weights: TensorLike | None = None,
    metrics_collections: Collections | None = None,
    updates_collections: Collections | None = None,
    name: str | None = None,
) -> tuple[keras.KerasTensor | tf.Tensor, keras.KerasTensor | tf.Tensor]:
    """``streaming_sparse_precision_at_k`` given the top-k class ids directly.

    Default scope ``precision_at_k`` (``..._class<id>``).

    Args:
      top_k_predictions: int class ids [batch, k].
      labels: int64 class ids [batch] or [batch, num_labels].
      class_id: as
        ``streaming_sparse_precision_at_k``.
      weights: see ``class_id``.
      metrics_collections: see ``class_id``.
      updates_collections: see ``class_id``.
      name: see ``class_id``.

    Returns:
      ``(precision, update_op)``, float64.
    """
    return _topk_metric(
        "precision",
        top_k_predictions,
        labels,
        None,
        class_id,
        weights,
        name,
        False,
        metrics_collections,
        updates_collections,
    )


def sparse_recall_at_top_k(
    labels: TensorLike,
    top_k_predictions: TensorLike,
    class_id: int | None = None,
    weights: TensorLike | None = None,
    metrics_collections: Collections | None = None,
    updates_collections: Collections | None = None,
    name: str | None = None,
) -> tuple[keras.KerasTensor | tf.Tensor, keras.KerasTensor | tf.Tensor]:
    """``streaming_sparse_recall_at_k`` given the top-k class ids ((labels, ...) order).

    Default scope ``recall_at_k`` (``..._class<id>``).

    Args:
      labels: int64 class ids [batch] or [batch, num_labels].
      top_k_predictions: int class ids [batch, k].
      class_id: as
        ``streaming_sparse_recall_at_k``.
      weights: see ``class_id``.
      metrics_collections: see ``class_id``.
      updates_collections: see ``class_id``.
      name: see ``class_id``.

    Returns:
      ``(recall, update_op)``, float64.
    """
    return _topk_metric(
        "recall",
        top_k_predictions,
        labels,
        None,
        class_id,
        weights,
        name,
        False,
        metrics_collections,
        updates_collections,
    )


__all__ = [
    "sparse_recall_at_top_k",
    "streaming_recall_at_k",
    "streaming_sparse_precision_at_k",
    "streaming_sparse_precision_at_top_k",
    "streaming_sparse_recall_at_k",
]
