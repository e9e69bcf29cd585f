"""Curve metrics over thresholded confusion counts.

AUC, curve points, sensitivity/specificity, F1, precision-at-recall and
recall-at-precision.

Their counts are ``kslim.metrics.thresholds``'; their formulas are registered there.
"""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf

from kslim.metrics.thresholds import (
    EPSILON,
    check_curve,
    check_num_thresholds,
    register_formula,
    thresholds_metric,
    uniform_thresholds,
)
from kslim.tensor_types import Collections, TensorLike

__all__ = [
    "f1_score",
    "precision_at_recall",
    "recall_at_precision",
    "streaming_auc",
    "streaming_curve_points",
    "streaming_sensitivity_at_specificity",
    "streaming_specificity_at_sensitivity",
]


def _formula_auc(c: dict[str, tf.Tensor], config: dict[str, Any]):
    n = len(config["thresholds"])
    eps = 1.0e-6
    rec = (c["tp"] + eps) / (c["tp"] + c["fn"] + eps)
    if config["curve"] == "ROC":
        x, y = c["fp"] / (c["fp"] + c["tn"] + eps), rec
    else:
        x, y = rec, (c["tp"] + eps) / (c["tp"] + c["fp"] + eps)
    return tf.reduce_sum((x[: n - 1] - x[1:]) * (y[: n - 1] + y[1:]) / 2.0)


def _formula_curve_points(c: dict[str, tf.Tensor], config: dict[str, Any]):
    eps = 1.0e-6
    rec = (c["tp"] + eps) / (c["tp"] + c["fn"] + eps)
    if config["curve"] == "ROC":
        xs, ys = c["fp"] / (c["fp"] + c["tn"] + eps), rec
    else:
        xs, ys = rec, (c["tp"] + eps) / (c["tp"] + c["fp"] + eps)
    return tf.stack([xs, ys], axis=1)


def _formula_specificity_at_sensitivity(c: dict[str, tf.Tensor], config: dict[str, Any]):
    target = config["target"]
    sens = c["tp"] / (c["tp"] + c["fn"] + EPSILON)
    gap = tf.abs(sens - target)
    at_min = tf.cumsum(tf.cast(tf.equal(gap, tf.reduce_min(gap)), tf.int64))
    i = tf.cast(tf.argmax(at_min, 0), tf.int32)
    return c["tn"][i] / (c["tn"][i] + c["fp"][i] + EPSILON)


def _formula_sensitivity_at_specificity(c: dict[str, tf.Tensor], config: dict[str, Any]):
    spec = c["tn"] / (c["tn"] + c["fp"] + EPSILON)
    i = tf.cast(tf.argmin(tf.abs(spec - config["target"]), 0), tf.int32)
    return c["tp"][i] / (c["tp"][i] + c["fn"][i] + EPSILON)


def _formula_f1(c: dict[str, tf.Tensor], config: dict[str, Any]):
    precision = c["tp"] / (EPSILON + c["tp"] + c["fp"])
    recall = c["tp"] / (EPSILON + c["tp"] + c["fn"])
    return tf.reduce_max(2.0 * precision * recall / (precision + recall + EPSILON))


def _formula_precision_at_recall(c: dict[str, tf.Tensor], config: dict[str, Any]):
    recalls = c["tp"] / (c["tp"] + c["fn"] + EPSILON)
    i = tf.reduce_sum(tf.cast(recalls >= config["target"], tf.int64)) - 1
    i = tf.math.floormod(i, tf.size(recalls, out_type=tf.int64))  # -1 reads the last, as TF1
    return (c["tp"][i] + EPSILON) / (c["tp"][i] + c["fp"][i] + EPSILON)


def _formula_recall_at_precision(c: dict[str, tf.Tensor], config: dict[str, Any]):
    target = config["target"]
    precisions = c["tp"] / (c["tp"] + c["fp"] + EPSILON)
    if not config.get("strict_mode"):
        i = tf.argmin(tf.abs(precisions - target), 0, output_type=tf.int32)
        return c["tp"][i] / (c["tp"][i] + c["fn"][i] + EPSILON)
    i = tf.argmax(1.0 / (precisions - target + EPSILON), 0, output_type=tf.int32)
    recall = c["tp"][i] / (c["tp"][i] + c["fn"][i] + EPSILON)
    return tf.where(precisions[i] >= target, recall, 0.0)


for _name, _formula in {
    "auc": _formula_auc,
    "curve_points": _formula_curve_points,
    "specificity_at_sensitivity": _formula_specificity_at_sensitivity,
    "sensitivity_at_specificity": _formula_sensitivity_at_specificity,
    "f1": _formula_f1,
    "precision_at_recall": _formula_precision_at_recall,
    "recall_at_precision": _formula_recall_at_precision,
}.items():
    register_formula(_name, _formula)


def streaming_auc(
    predictions: TensorLike,
    labels: TensorLike,
    weights: TensorLike | None = None,
    num_thresholds: int = 200,
    metrics_collections: Collections | None = None,
    updates_collections: Collections | None = None,
    curve: str = "ROC",
    name: str | None = None,
) -> tuple[keras.KerasTensor | tf.Tensor, keras.KerasTensor | tf.Tensor]:
    """Streaming approximate AUC (trapezoidal rule over ``num_thresholds``).

    Variables ``<scope>/{true_positives, false_negatives, true_negatives,
    false_positives}`` (default scope ``auc``); thresholds
    ``[-1e-7] + [(i+1)/(n-1) for i < n-2] + [1+1e-7]``.

    Args:
      predictions: float tensor of values in [0, 1].
      labels: tensor of the shape of ``predictions``, cast to bool.
      weights: optional tensor broadcastable to ``predictions``.
      num_thresholds: number of thresholds, default 200.
      metrics_collections: collections to add the metric's value to.
      updates_collections: collections to add the update op to.
      curve: ``'ROC'`` (default) or ``'PR'``.
      name: scope name, default ``auc``.

    Returns:
      ``(auc, update_op)``.

    Raises:
      ValueError: for an unknown ``curve`` or a bad ``num_thresholds``.
    """
    check_curve(curve)
    check_num_thresholds(num_thresholds)
    return thresholds_metric(
        "auc",
        predictions,
        labels,
        weights,
        uniform_thresholds(num_thresholds),
        name,
        "auc",
        metrics_collections,
        updates_collections,
        curve=curve,
    )


def streaming_curve_points(
    labels: TensorLike | None = None,
    predictions: TensorLike | None = None,
    weights: TensorLike | None = None,
    num_thresholds: int = 200,
    metrics_collections: Collections | None = None,
    updates_collections: Collections | None = None,
    curve: str = "ROC",
    name: str | None = None,
) -> tuple[keras.KerasTensor | tf.Tensor, keras.KerasTensor | tf.Tensor]:
    """Streaming ROC or PR curve points (note slim's (labels, predictions) order).

    Default scope ``curve_points``; same thresholds as ``streaming_auc``.

    Args:
      labels: tensor of the shape of ``predictions``, cast to bool.
      predictions: float tensor of values in [0, 1].
      weights: optional tensor broadcastable to ``predictions``.
      num_thresholds: default 200.
      metrics_collections: collections to add the metric's value to.
      updates_collections: collections to add the update op to.
      curve: ``'ROC'`` (points (fpr, recall)) or ``'PR'`` ((recall, precision)).
      name: scope name, default ``curve_points``.

    Returns:
      ``(points [num_thresholds, 2], update_op)``; slim's update is a grouped
      op, kslim's returns the updated points.

    Raises:
      ValueError: for an unknown ``curve``.
    """
    check_curve(curve)
    check_num_thresholds(num_thresholds)
    return thresholds_metric(
        "curve_points",
        predictions,
        labels,
        weights,
        uniform_thresholds(num_thresholds),
        name,
        "curve_points",
        metrics_collections,
        updates_collections,
        curve=curve,
    )


def streaming_specificity_at_sensitivity(
    predictions: TensorLike,
    labels: TensorLike,
    sensitivity: float,
    weights: TensorLike | None = None,
    num_thresholds: int = 200,
    metrics_collections: Collections | None = None,
    updates_collections: Collections | None = None,
    name: str | None = None,
) -> tuple[keras.KerasTensor | tf.Tensor, keras.KerasTensor | tf.Tensor]:
    """Streaming specificity at the threshold whose sensitivity is nearest ``sensitivity``.

    Default scope ``specificity_at_sensitivity``; the last threshold is
    ``1 - 1e-7`` (as TF's).

    Args:
      predictions: float tensor in [0, 1].
      labels: tensor of the shape of ``predictions``, cast to bool.
      sensitivity: target in [0, 1].
      weights: optional tensor broadcastable to ``predictions``.
      num_thresholds: default 200.
      metrics_collections: collections to add the metric's value to.
      updates_collections: collections to add the update op to.
      name: scope name.

    Returns:
      ``(specificity, update_op)``.

    Raises:
      ValueError: if ``sensitivity`` is outside [0, 1].
    """
    if sensitivity < 0 or sensitivity > 1:
        raise ValueError(
            f"`sensitivity` must be in the range [0, 1]. Currently, `sensitivity` is {sensitivity}."
        )
    check_num_thresholds(num_thresholds)
    return thresholds_metric(
        "specificity_at_sensitivity",
        predictions,
        labels,
        weights,
        uniform_thresholds(num_thresholds, 1.0 - EPSILON),
        name,
        "specificity_at_sensitivity",
        metrics_collections,
        updates_collections,
        target=float(sensitivity),
    )


def streaming_sensitivity_at_specificity(
    predictions: TensorLike,
    labels: TensorLike,
    specificity: float,
    weights: TensorLike | None = None,
    num_thresholds: int = 200,
    metrics_collections: Collections | None = None,
    updates_collections: Collections | None = None,
    name: str | None = None,
) -> tuple[keras.KerasTensor | tf.Tensor, keras.KerasTensor | tf.Tensor]:
    """Streaming sensitivity at the threshold whose specificity is nearest ``specificity``.

    Default scope ``sensitivity_at_specificity``.

    Args:
      predictions: float tensor in [0, 1].
      labels: tensor of the shape of ``predictions``, cast to bool.
      specificity: target in [0, 1].
      weights: optional tensor broadcastable to ``predictions``.
      num_thresholds: default 200.
      metrics_collections: collections to add the metric's value to.
      updates_collections: collections to add the update op to.
      name: scope name.

    Returns:
      ``(sensitivity, update_op)``.

    Raises:
      ValueError: if ``specificity`` is outside [0, 1].
    """
    if specificity < 0 or specificity > 1:
        raise ValueError(
            "`specificity` must be in the range [0, 1]. Currently, "
            f"`specificity` got {specificity}."
        )
    check_num_thresholds(num_thresholds)
    return thresholds_metric(
        "sensitivity_at_specificity",
        predictions,
        labels,
        weights,
        uniform_thresholds(num_thresholds),
        name,
        "sensitivity_at_specificity",
        metrics_collections,
        updates_collections,
        target=float(specificity),
    )


def f1_score(
    labels: TensorLike,
    predictions: TensorLike,
    weights: TensorLike | None = None,
    num_thresholds: int = 200,
    metrics_collections: Collections | None = None,
    updates_collections: Collections | None = None,
    name: str | None = None,
) -> tuple[keras.KerasTensor | tf.Tensor, keras.KerasTensor | tf.Tensor]:
    """Streaming best F1 over ``num_thresholds`` thresholds ((labels, predictions) order).

    Variables ``<scope>/{true_positives, false_positives, false_negatives}``
    (default scope ``f1``).

    Args:
      labels: tensor of the shape of ``predictions``, cast to bool.
      predictions: float tensor in [0, 1].
      weights: optional tensor broadcastable to ``predictions``.
      num_thresholds: default 200.
      metrics_collections: collections to add the metric's value to.
      updates_collections: collections to add the update op to.
      name: scope name.

    Returns:
      ``(best_f1, update_op)``.
    """
    check_num_thresholds(num_thresholds)
    return thresholds_metric(
        "f1",
        predictions,
        labels,
        weights,
        uniform_thresholds(num_thresholds),
        name,
        "f1",
        metrics_collections,
        updates_collections,
        includes=("tp", "fp", "fn"),
    )


def precision_at_recall(
    labels: TensorLike,
    predictions: TensorLike,
    target_recall: float,
    weights: TensorLike | None = None,
    num_thresholds: int = 200,
    metrics_collections: Collections | None = None,
    updates_collections: Collections | None = None,
    name: str | None = None,
) -> tuple[keras.KerasTensor | tf.Tensor, keras.KerasTensor | tf.Tensor]:
    """Streaming precision at the highest threshold whose recall is >= ``target_recall``.

    Default scope ``precision_at_recall`` ((labels, predictions) order).

    Args:
      labels: tensor of the shape of ``predictions``, cast to bool.
      predictions: float tensor in [0, 1].
      target_recall: in [0, 1].
      weights: optional tensor broadcastable to ``predictions``.
      num_thresholds: default 200.
      metrics_collections: collections to add the metric's value to.
      updates_collections: collections to add the update op to.
      name: scope name.

    Returns:
      ``(precision, update_op)``.

    Raises:
      ValueError: if ``target_recall`` is outside [0, 1] (slim's message).
    """
    if target_recall < 0 or target_recall > 1:
        raise ValueError("`target_recall` must be in the range [0, 1].")
    check_num_thresholds(num_thresholds)
    return thresholds_metric(
        "precision_at_recall",
        predictions,
        labels,
        weights,
        uniform_thresholds(num_thresholds),
        name,
        "precision_at_recall",
        metrics_collections,
        updates_collections,
        target=float(target_recall),
    )


def recall_at_precision(
    labels: TensorLike,
    predictions: TensorLike,
    precision: float,
    weights: TensorLike | None = None,
    num_thresholds: int = 200,
    metrics_collections: Collections | None = None,
    updates_collections: Collections | None = None,
    name: str | None = None,
    strict_mode: bool = False,
) -> tuple[keras.KerasTensor | tf.Tensor, keras.KerasTensor | tf.Tensor]:
    """Streaming recall at the threshold whose precision is nearest ``precision``.

    Default scope ``recall_at_precision`` ((labels, predictions) order). With
    ``strict_mode`` the smallest precision >= the target is used and 0 is
    returned when none reaches it.

    Args:
      labels: tensor of the shape of ``predictions``, cast to bool.
      predictions: float tensor in [0, 1].
      precision: target in [0, 1].
      weights: optional tensor broadcastable to ``predictions``.
      num_thresholds: default 200.
      metrics_collections: collections to add the metric's value to.
      updates_collections: collections to add the update op to.
      name: scope name.
      strict_mode: see above, default False.

    Returns:
      ``(recall, update_op)``.

    Raises:
      ValueError: if ``precision`` is outside [0, 1] (slim's message).
    """
    if not 0 <= precision <= 1:
        raise ValueError("`precision` must be in the range [0, 1].")
    check_num_thresholds(num_thresholds)
    return thresholds_metric(
        "recall_at_precision",
        predictions,
        labels,
        weights,
        uniform_thresholds(num_thresholds),
        name,
        "recall_at_precision",
        metrics_collections,
        updates_collections,
        target=float(precision),
        strict_mode=bool(strict_mode),
    )
