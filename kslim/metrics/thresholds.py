"""Thresholded confusion counts and the metrics read from them at each threshold.

The metrics here and in ``kslim.metrics.curves`` accumulate the confusion counts
``true_positives``, ``false_negatives``, ``true_negatives``, ``false_positives``
(float32 vectors over the thresholds): a prediction counts as positive at
threshold t when it is ``> t``. A metric's value is a *formula* of the counts
(``register_formula``); this module has precision, recall, false positive and
false negative rates and the raw counts at each threshold.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import keras
import tensorflow as tf

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
    streaming_metric,
)
from kslim.tensor_types import Collections, TensorLike

__all__ = [
    "streaming_false_negative_rate_at_thresholds",
    "streaming_false_negatives_at_thresholds",
    "streaming_false_positive_rate_at_thresholds",
    "streaming_false_positives_at_thresholds",
    "streaming_precision_at_thresholds",
    "streaming_recall_at_thresholds",
    "streaming_true_negatives_at_thresholds",
    "streaming_true_positives_at_thresholds",
]

#: slim's epsilon in the ratios of confusion counts.
EPSILON = 1e-7
_NAMES = {
    "tp": "true_positives",
    "fn": "false_negatives",
    "tn": "true_negatives",
    "fp": "false_positives",
}
_ALL = ("tp", "fn", "tn", "fp")


def uniform_thresholds(num_thresholds: int, top: float = 1.0 + EPSILON) -> list:
    """slim's thresholds ``[-1e-7] + [(i+1)/(n-1) for i < n-2] + [top]``."""
    inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
    return [0.0 - EPSILON] + inner + [top]


def _confusion_deltas(x: MetricInputs, thresholds: Sequence[float], includes: Sequence[str]):
    predictions, labels, weights = prepare(x["predictions"], x["labels"], x.get("weights"))
    predictions = tf.cast(predictions, tf.float32)
    preds = tf.reshape(predictions, [1, -1])
    label_pos = tf.reshape(tf.cast(labels, tf.bool), [1, -1])
    thresh = tf.reshape(tf.constant(thresholds, tf.float32), [-1, 1])
    pred_pos = preds > thresh
    weights_row = None
    if weights is not None:
        weights_row = tf.reshape(
            broadcast_weights(tf.cast(weights, tf.float32), predictions), [1, -1]
        )
    cases = {
        "tp": lambda: tf.logical_and(label_pos, pred_pos),
        "fn": lambda: tf.logical_and(label_pos, tf.logical_not(pred_pos)),
        "tn": lambda: tf.logical_and(tf.logical_not(label_pos), tf.logical_not(pred_pos)),
        "fp": lambda: tf.logical_and(tf.logical_not(label_pos), pred_pos),
    }
    deltas = {}
    for key in includes:
        hits = tf.cast(cases[key](), tf.float32)
        if weights_row is not None:
            hits = hits * weights_row
        deltas[key] = tf.reduce_sum(hits, 1)
    return deltas


_FORMULAS = {
    "precision": lambda c, config: c["tp"] / (EPSILON + c["tp"] + c["fp"]),
    "recall": lambda c, config: c["tp"] / (EPSILON + c["tp"] + c["fn"]),
    "fpr": lambda c, config: c["fp"] / (EPSILON + c["fp"] + c["tn"]),
    "fnr": lambda c, config: c["fn"] / (EPSILON + c["fn"] + c["tp"]),
    "tp": lambda c, config: c["tp"],
    "fn": lambda c, config: c["fn"],
    "tn": lambda c, config: c["tn"],
    "fp": lambda c, config: c["fp"],
}


def register_formula(name: str, formula: Callable) -> None:
    """Registers ``formula(counts, config)``: a metric value from the confusion counts.

    Args:
      name: the formula's name (a ``thresholds_metric`` argument).
      formula: called with ``{'tp': ..., ...}`` (the counts the metric
        includes) and the metric's config.

    Raises:
      ValueError: if ``name`` is registered already.
    """
    if name in _FORMULAS:
        raise ValueError(f"formula {name!r} is registered already")
    _FORMULAS[name] = formula


def _path(config: dict[str, Any], key: str):
    return "" if config.get("bare") else _NAMES[key]


def _thresholds_variables(config: dict[str, Any], shapes: InputShapes):
    n = len(config["thresholds"])
    return [(_path(config, key), (n,), "float32") for key in config["includes"]]


def _thresholds_update(config: dict[str, Any], state: MetricState, x: MetricInputs):
    deltas = _confusion_deltas(x, config["thresholds"], config["includes"])
    counts = {key: add(state, _path(config, key), deltas[key]) for key in config["includes"]}
    return _FORMULAS[config["formula"]](counts, config)


def _thresholds_value(config: dict[str, Any], state: MetricState):
    counts = {key: read(state, _path(config, key)) for key in config["includes"]}
    return _FORMULAS[config["formula"]](counts, config)


register_metric(
    "thresholds", MetricSpec(_thresholds_variables, _thresholds_update, _thresholds_value)
)


def thresholds_metric(
    formula: str,
    predictions: TensorLike,
    labels: TensorLike,
    weights: TensorLike | None,
    thresholds: Sequence[float],
    name: str | None,
    default_name: str,
    metrics_collections: Collections | None = None,
    updates_collections: Collections | None = None,
    includes: Sequence[str] = _ALL,
    bare: bool = False,
    **extra: Any,
):
    """A streaming metric of thresholded confusion counts (slim's collections and names).

    Args:
      formula: a registered formula name (``register_formula``).
      predictions: the metric's inputs.
      labels: the metric's inputs.
      weights: the metric's inputs.
      thresholds: the float thresholds.
      name: the metric's variable scope name (or default).
      default_name: the metric's variable scope name (or default).
      metrics_collections: collections to add the metric's value to.
      updates_collections: collections to add the update op to.
      includes: the counts kept (``'tp'``, ``'fn'``, ``'tn'``, ``'fp'``).
      bare: the variables are named by the scope alone (no count name).
      **extra: more config read by the formula (``curve``, ``target`` ...).

    Returns:
      ``(value, update_op)``.
    """
    config = {
        "formula": formula,
        "thresholds": [float(t) for t in thresholds],
        "includes": [key for key in _ALL if key in includes],
        "bare": bare,
        **extra,
    }
    return streaming_metric(
        "thresholds",
        {"predictions": predictions, "labels": labels, "weights": weights},
        config,
        name,
        default_name,
        metrics_collections,
        updates_collections,
    )


def check_curve(curve: str):
    """Raises slim's ValueError for a ``curve`` other than ROC or PR."""
    if curve not in ("ROC", "PR"):
        raise ValueError(f"curve must be either ROC or PR, {curve} unknown")


def check_num_thresholds(num_thresholds: int):
    """Raises ValueError unless ``num_thresholds`` is an int >= 2."""
    if not isinstance(num_thresholds, int) or num_thresholds < 2:
        raise ValueError(f"num_thresholds must be an int >= 2, got {num_thresholds!r}")


def check_thresholds(thresholds: Sequence[float]):
    """Raises ValueError unless ``thresholds`` is a non-empty list or tuple."""
    if not isinstance(thresholds, (list, tuple)) or not thresholds:
        raise ValueError(f"thresholds must be a non-empty list of floats, got {thresholds!r}")


def streaming_precision_at_thresholds(
    predictions: TensorLike,
    labels: TensorLike,
    thresholds: Sequence[float],
    weights: TensorLike | None = None,
    metrics_collections: Collections | None = None,
    updates_collections: Collections | None = None,
    name: str | None = None,
) -> tuple[keras.KerasTensor | tf.Tensor, keras.KerasTensor | tf.Tensor]:
    """Streaming precision tp/(tp+fp+1e-7) at each of ``thresholds``.

    Variables ``<scope>/{true_positives, false_positives}`` (default scope
    ``precision_at_thresholds``).

    Args:
      predictions: float tensor in [0, 1].
      labels: tensor of the shape of ``predictions``, cast to bool.
      thresholds: list of float thresholds.
      weights: optional tensor broadcastable to ``predictions``.
      metrics_collections: collections to add the metric's value to.
      updates_collections: collections to add the update op to.
      name: scope name.

    Returns:
      ``(precision [len(thresholds)], update_op)``.
    """
    check_thresholds(thresholds)
    return thresholds_metric(
        "precision",
        predictions,
        labels,
        weights,
        thresholds,
        name,
        "precision_at_thresholds",
        metrics_collections,
        updates_collections,
        includes=("tp", "fp"),
    )


def streaming_recall_at_thresholds(
    predictions: TensorLike,
    labels: TensorLike,
    thresholds: Sequence[float],
    weights: TensorLike | None = None,
    metrics_collections: Collections | None = None,
    updates_collections: Collections | None = None,
    name: str | None = None,
) -> tuple[keras.KerasTensor | tf.Tensor, keras.KerasTensor | tf.Tensor]:
    """Streaming recall tp/(tp+fn+1e-7) at each of ``thresholds``.

    Variables ``<scope>/{true_positives, false_negatives}`` (default scope
    ``recall_at_thresholds``).

    Args:
      predictions: float tensor in [0, 1].
      labels: tensor of the shape of ``predictions``, cast to bool.
      thresholds: list of float thresholds.
      weights: optional tensor broadcastable to ``predictions``.
      metrics_collections: collections to add the metric's value to.
      updates_collections: collections to add the update op to.
      name: scope name.

    Returns:
      ``(recall [len(thresholds)], update_op)``.
    """
    check_thresholds(thresholds)
    return thresholds_metric(
        "recall",
        predictions,
        labels,
        weights,
        thresholds,
        name,
        "recall_at_thresholds",
        metrics_collections,
        updates_collections,
        includes=("tp", "fn"),
    )


def streaming_false_positive_rate_at_thresholds(
    predictions: TensorLike,
    labels: TensorLike,
    thresholds: Sequence[float],
    weights: TensorLike | None = None,
    metrics_collections: Collections | None = None,
    updates_collections: Collections | None = None,
    name: str | None = None,
) -> tuple[keras.KerasTensor | tf.Tensor, keras.KerasTensor | tf.Tensor]:
    """Streaming fp/(fp+tn+1e-7) at each of ``thresholds``.

    Scope ``false_positive_rate_at_thresholds``.

    Returns:
      ``(false_positive_rate [len(thresholds)], update_op)``.
    """
    check_thresholds(thresholds)
    return thresholds_metric(
        "fpr",
        predictions,
        labels,
        weights,
        thresholds,
        name,
        "false_positive_rate_at_thresholds",
        metrics_collections,
        updates_collections,
        includes=("fp", "tn"),
    )


def streaming_false_negative_rate_at_thresholds(
    predictions: TensorLike,
    labels: TensorLike,
    thresholds: Sequence[float],
    weights: TensorLike | None = None,
    metrics_collections: Collections | None = None,
    updates_collections: Collections | None = None,
    name: str | None = None,
) -> tuple[keras.KerasTensor | tf.Tensor, keras.KerasTensor | tf.Tensor]:
    """Streaming fn/(fn+tp+1e-7) at each of ``thresholds``.

    Scope ``false_negative_rate_at_thresholds``.

    Returns:
      ``(false_negative_rate [len(thresholds)], update_op)``.
    """
    check_thresholds(thresholds)
    return thresholds_metric(
        "fnr",
        predictions,
        labels,
        weights,
        thresholds,
        name,
        "false_negative_rate_at_thresholds",
        metrics_collections,
        updates_collections,
        includes=("fn", "tp"),
    )


def _at_thresholds_fn(key: str):
    default = _NAMES[key]

    def fn(
        predictions: TensorLike,
        labels: TensorLike,
        thresholds: Sequence[float],
        weights: TensorLike | None = None,
    ):
        check_thresholds(thresholds)
        return thresholds_metric(
            key, predictions, labels, weights, thresholds, None, default, includes=(key,), bare=True
        )

    fn.__name__ = f"streaming_{default}_at_thresholds"
    fn.__qualname__ = fn.__name__
    fn.__doc__ = f"""Streaming weighted {default.replace("_", " ")} at each threshold.

    One variable ``{default}`` (``{default}_1`` ... for later calls) of shape
    [len(thresholds)]; as in slim there are no collections or name arguments.

    Args:
      predictions: float tensor in [0, 1].
      labels: tensor of the shape of ``predictions``, cast to bool.
      thresholds: list of float thresholds.
      weights: optional tensor broadcastable to ``predictions``.

    Returns:
      ``(counts [len(thresholds)], update_op)``.
    """
    return fn


streaming_true_positives_at_thresholds = _at_thresholds_fn("tp")
streaming_false_negatives_at_thresholds = _at_thresholds_fn("fn")
streaming_false_positives_at_thresholds = _at_thresholds_fn("fp")
streaming_true_negatives_at_thresholds = _at_thresholds_fn("tn")
