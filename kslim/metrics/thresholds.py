"""Metrics over a set of thresholds: AUC, curve points, precision/recall at
thresholds, sensitivity/specificity, F1, precision-at-recall and the exact
(dynamic) AUC.

All but ``streaming_dynamic_auc`` accumulate the confusion counts
``true_positives``, ``false_negatives``, ``true_negatives``, ``false_positives``
(float32 vectors over the thresholds): a prediction counts as positive at
threshold t when it is ``> t``.
"""

from __future__ import annotations

import tensorflow as tf

from kslim.metrics.aggregation import concat_update, concat_value
from kslim.metrics.state import (
    MetricSpec,
    add,
    broadcast_weights,
    prepare,
    read,
    register_metric,
    streaming_metric,
)

_EPSILON = 1e-7
_NAMES = {
    "tp": "true_positives",
    "fn": "false_negatives",
    "tn": "true_negatives",
    "fp": "false_positives",
}
_ALL = ("tp", "fn", "tn", "fp")


def uniform_thresholds(num_thresholds: int, top: float = 1.0 + _EPSILON) -> list:
    """slim's thresholds ``[-1e-7] + [(i+1)/(n-1) for i < n-2] + [top]``."""
    inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
    return [0.0 - _EPSILON] + inner + [top]


def _confusion_deltas(x, thresholds, includes):
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


def _formula_auc(c, config):
    n = len(config["thresholds"])
    eps = 1.0e-6
    rec = (c["tp"] + eps) / (c["tp"] + c["fn"] + eps)
    if config["curve"] == "ROC":
        x, y = c["fp"] / (c["fp"] + c["tn"] + eps), rec
    else:
        x, y = rec, (c["tp"] + eps) / (c["tp"] + c["fp"] + eps)
    return tf.reduce_sum((x[: n - 1] - x[1:]) * (y[: n - 1] + y[1:]) / 2.0)


def _formula_curve_points(c, config):
    eps = 1.0e-6
    rec = (c["tp"] + eps) / (c["tp"] + c["fn"] + eps)
    if config["curve"] == "ROC":
        xs, ys = c["fp"] / (c["fp"] + c["tn"] + eps), rec
    else:
        xs, ys = rec, (c["tp"] + eps) / (c["tp"] + c["fp"] + eps)
    return tf.stack([xs, ys], axis=1)


def _formula_specificity_at_sensitivity(c, config):
    target = config["target"]
    sens = c["tp"] / (c["tp"] + c["fn"] + _EPSILON)
    gap = tf.abs(sens - target)
    at_min = tf.cumsum(tf.cast(tf.equal(gap, tf.reduce_min(gap)), tf.int64))
    i = tf.cast(tf.argmax(at_min, 0), tf.int32)
    return c["tn"][i] / (c["tn"][i] + c["fp"][i] + _EPSILON)


def _formula_sensitivity_at_specificity(c, config):
    spec = c["tn"] / (c["tn"] + c["fp"] + _EPSILON)
    i = tf.cast(tf.argmin(tf.abs(spec - config["target"]), 0), tf.int32)
    return c["tp"][i] / (c["tp"][i] + c["fn"][i] + _EPSILON)


def _formula_f1(c, config):
    precision = c["tp"] / (_EPSILON + c["tp"] + c["fp"])
    recall = c["tp"] / (_EPSILON + c["tp"] + c["fn"])
    return tf.reduce_max(2.0 * precision * recall / (precision + recall + _EPSILON))


def _formula_precision_at_recall(c, config):
    recalls = c["tp"] / (c["tp"] + c["fn"] + _EPSILON)
    i = tf.reduce_sum(tf.cast(recalls >= config["target"], tf.int64)) - 1
    i = tf.math.floormod(i, tf.size(recalls, out_type=tf.int64))  # -1 reads the last, as TF1
    return (c["tp"][i] + _EPSILON) / (c["tp"][i] + c["fp"][i] + _EPSILON)


def _formula_recall_at_precision(c, config):
    target = config["target"]
    precisions = c["tp"] / (c["tp"] + c["fp"] + _EPSILON)
    if not config.get("strict_mode"):
        i = tf.argmin(tf.abs(precisions - target), 0, output_type=tf.int32)
        return c["tp"][i] / (c["tp"][i] + c["fn"][i] + _EPSILON)
    i = tf.argmax(1.0 / (precisions - target + _EPSILON), 0, output_type=tf.int32)
    recall = c["tp"][i] / (c["tp"][i] + c["fn"][i] + _EPSILON)
    return tf.where(precisions[i] >= target, recall, 0.0)


_FORMULAS = {
    "auc": _formula_auc,
    "curve_points": _formula_curve_points,
    "specificity_at_sensitivity": _formula_specificity_at_sensitivity,
    "sensitivity_at_specificity": _formula_sensitivity_at_specificity,
    "f1": _formula_f1,
    "precision_at_recall": _formula_precision_at_recall,
    "recall_at_precision": _formula_recall_at_precision,
    "precision": lambda c, config: c["tp"] / (_EPSILON + c["tp"] + c["fp"]),
    "recall": lambda c, config: c["tp"] / (_EPSILON + c["tp"] + c["fn"]),
    "fpr": lambda c, config: c["fp"] / (_EPSILON + c["fp"] + c["tn"]),
    "fnr": lambda c, config: c["fn"] / (_EPSILON + c["fn"] + c["tp"]),
    "tp": lambda c, config: c["tp"],
    "fn": lambda c, config: c["fn"],
    "tn": lambda c, config: c["tn"],
    "fp": lambda c, config: c["fp"],
}


def _path(config, key):
    return "" if config.get("bare") else _NAMES[key]


def _thresholds_variables(config, shapes):
    n = len(config["thresholds"])
    return [(_path(config, key), (n,), "float32") for key in config["includes"]]


def _thresholds_update(config, state, x):
    deltas = _confusion_deltas(x, config["thresholds"], config["includes"])
    counts = {key: add(state, _path(config, key), deltas[key]) for key in config["includes"]}
    return _FORMULAS[config["formula"]](counts, config)


def _thresholds_value(config, state):
    counts = {key: read(state, _path(config, key)) for key in config["includes"]}
    return _FORMULAS[config["formula"]](counts, config)


register_metric(
    "thresholds", MetricSpec(_thresholds_variables, _thresholds_update, _thresholds_value)
)


def _thresholds_metric(
    formula,
    predictions,
    labels,
    weights,
    thresholds,
    name,
    default_name,
    metrics_collections=None,
    updates_collections=None,
    includes=_ALL,
    bare=False,
    **extra,
):
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


def _check_curve(curve):
    if curve not in ("ROC", "PR"):
        raise ValueError(f"curve must be either ROC or PR, {curve} unknown")


def _check_num_thresholds(num_thresholds):
    if not isinstance(num_thresholds, int) or num_thresholds < 2:
        raise ValueError(f"num_thresholds must be an int >= 2, got {num_thresholds!r}")


def streaming_auc(
    predictions,
    labels,
    weights=None,
    num_thresholds=200,
    metrics_collections=None,
    updates_collections=None,
    curve="ROC",
    name=None,
):
    """Streaming approximate AUC (trapezoidal rule over ``num_thresholds``).

    Variables ``<scope>/{true_positives, false_negatives, true_negatives,
    false_positives}`` (default scope ``auc``); thresholds
    ``[-1e-7] + [(i+1)/(n-1) for i < n-2] + [1+1e-7]``.

    Args:
      predictions: float tensor of values in [0, 1].
      labels: tensor of the shape of ``predictions``, cast to bool.
      weights: optional tensor broadcastable to ``predictions``.
      num_thresholds: number of thresholds, default 200.
      metrics_collections, updates_collections: collections for value/update.
      curve: ``'ROC'`` (default) or ``'PR'``.
      name: scope name, default ``auc``.

    Returns:
      ``(auc, update_op)``.

    Raises:
      ValueError: for an unknown ``curve`` or a bad ``num_thresholds``.
    """
    _check_curve(curve)
    _check_num_thresholds(num_thresholds)
    return _thresholds_metric(
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
    labels=None,
    predictions=None,
    weights=None,
    num_thresholds=200,
    metrics_collections=None,
    updates_collections=None,
    curve="ROC",
    name=None,
):
    """Streaming ROC or PR curve points (note slim's (labels, predictions) order).

    Default scope ``curve_points``; same thresholds as ``streaming_auc``.

    Args:
      labels: tensor of the shape of ``predictions``, cast to bool.
      predictions: float tensor of values in [0, 1].
      weights: optional tensor broadcastable to ``predictions``.
      num_thresholds: default 200.
      metrics_collections, updates_collections: collections for value/update.
      curve: ``'ROC'`` (points (fpr, recall)) or ``'PR'`` ((recall, precision)).
      name: scope name, default ``curve_points``.

    Returns:
      ``(points [num_thresholds, 2], update_op)``; slim's update is a grouped
      op, kslim's returns the updated points.

    Raises:
      ValueError: for an unknown ``curve``.
    """
    _check_curve(curve)
    _check_num_thresholds(num_thresholds)
    return _thresholds_metric(
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
    predictions,
    labels,
    sensitivity,
    weights=None,
    num_thresholds=200,
    metrics_collections=None,
    updates_collections=None,
    name=None,
):
    """Streaming specificity at the threshold whose sensitivity is nearest ``sensitivity``.

    Default scope ``specificity_at_sensitivity``; the last threshold is
    ``1 - 1e-7`` (as TF's).

    Args:
      predictions: float tensor in [0, 1].
      labels: tensor of the shape of ``predictions``, cast to bool.
      sensitivity: target in [0, 1].
      weights: optional tensor broadcastable to ``predictions``.
      num_thresholds: default 200.
      metrics_collections, updates_collections: collections for value/update.
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
    _check_num_thresholds(num_thresholds)
    return _thresholds_metric(
        "specificity_at_sensitivity",
        predictions,
        labels,
        weights,
        uniform_thresholds(num_thresholds, 1.0 - _EPSILON),
        name,
        "specificity_at_sensitivity",
        metrics_collections,
        updates_collections,
        target=float(sensitivity),
    )


def streaming_sensitivity_at_specificity(
    predictions,
    labels,
    specificity,
    weights=None,
    num_thresholds=200,
    metrics_collections=None,
    updates_collections=None,
    name=None,
):
    """Streaming sensitivity at the threshold whose specificity is nearest ``specificity``.

    Default scope ``sensitivity_at_specificity``.

    Args:
      predictions: float tensor in [0, 1].
      labels: tensor of the shape of ``predictions``, cast to bool.
      specificity: target in [0, 1].
      weights: optional tensor broadcastable to ``predictions``.
      num_thresholds: default 200.
      metrics_collections, updates_collections: collections for value/update.
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
    _check_num_thresholds(num_thresholds)
    return _thresholds_metric(
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


def _check_thresholds(thresholds):
    if not isinstance(thresholds, (list, tuple)) or not thresholds:
        raise ValueError(f"thresholds must be a non-empty list of floats, got {thresholds!r}")


def streaming_precision_at_thresholds(
    predictions,
    labels,
    thresholds,
    weights=None,
    metrics_collections=None,
    updates_collections=None,
    name=None,
):
    """Streaming precision tp/(tp+fp+1e-7) at each of ``thresholds``.

    Variables ``<scope>/{true_positives, false_positives}`` (default scope
    ``precision_at_thresholds``).

    Args:
      predictions: float tensor in [0, 1].
      labels: tensor of the shape of ``predictions``, cast to bool.
      thresholds: list of float thresholds.
      weights: optional tensor broadcastable to ``predictions``.
      metrics_collections, updates_collections: collections for value/update.
      name: scope name.

    Returns:
      ``(precision [len(thresholds)], update_op)``.
    """
    _check_thresholds(thresholds)
    return _thresholds_metric(
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
    predictions,
    labels,
    thresholds,
    weights=None,
    metrics_collections=None,
    updates_collections=None,
    name=None,
):
    """Streaming recall tp/(tp+fn+1e-7) at each of ``thresholds``.

    Variables ``<scope>/{true_positives, false_negatives}`` (default scope
    ``recall_at_thresholds``).

    Args:
      predictions: float tensor in [0, 1].
      labels: tensor of the shape of ``predictions``, cast to bool.
      thresholds: list of float thresholds.
      weights: optional tensor broadcastable to ``predictions``.
      metrics_collections, updates_collections: collections for value/update.
      name: scope name.

    Returns:
      ``(recall [len(thresholds)], update_op)``.
    """
    _check_thresholds(thresholds)
    return _thresholds_metric(
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
    predictions,
    labels,
    thresholds,
    weights=None,
    metrics_collections=None,
    updates_collections=None,
    name=None,
):
    """Streaming fp/(fp+tn+1e-7) at each of ``thresholds`` (scope
    ``false_positive_rate_at_thresholds``).

    Returns:
      ``(false_positive_rate [len(thresholds)], update_op)``.
    """
    _check_thresholds(thresholds)
    return _thresholds_metric(
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
    predictions,
    labels,
    thresholds,
    weights=None,
    metrics_collections=None,
    updates_collections=None,
    name=None,
):
    """Streaming fn/(fn+tp+1e-7) at each of ``thresholds`` (scope
    ``false_negative_rate_at_thresholds``).

    Returns:
      ``(false_negative_rate [len(thresholds)], update_op)``.
    """
    _check_thresholds(thresholds)
    return _thresholds_metric(
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


def _at_thresholds_fn(key):
    default = _NAMES[key]

    def fn(predictions, labels, thresholds, weights=None):
        _check_thresholds(thresholds)
        return _thresholds_metric(
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


def f1_score(
    labels,
    predictions,
    weights=None,
    num_thresholds=200,
    metrics_collections=None,
    updates_collections=None,
    name=None,
):
    """Streaming best F1 over ``num_thresholds`` thresholds ((labels, predictions) order).

    Variables ``<scope>/{true_positives, false_positives, false_negatives}``
    (default scope ``f1``).

    Args:
      labels: tensor of the shape of ``predictions``, cast to bool.
      predictions: float tensor in [0, 1].
      weights: optional tensor broadcastable to ``predictions``.
      num_thresholds: default 200.
      metrics_collections, updates_collections: collections for value/update.
      name: scope name.

    Returns:
      ``(best_f1, update_op)``.
    """
    _check_num_thresholds(num_thresholds)
    return _thresholds_metric(
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
    labels,
    predictions,
    target_recall,
    weights=None,
    num_thresholds=200,
    metrics_collections=None,
    updates_collections=None,
    name=None,
):
    """Streaming precision at the highest threshold whose recall is >= ``target_recall``.

    Default scope ``precision_at_recall`` ((labels, predictions) order).

    Args:
      labels: tensor of the shape of ``predictions``, cast to bool.
      predictions: float tensor in [0, 1].
      target_recall: in [0, 1].
      weights: optional tensor broadcastable to ``predictions``.
      num_thresholds: default 200.
      metrics_collections, updates_collections: collections for value/update.
      name: scope name.

    Returns:
      ``(precision, update_op)``.

    Raises:
      ValueError: if ``target_recall`` is outside [0, 1] (slim's message).
    """
    if target_recall < 0 or target_recall > 1:
        raise ValueError("`target_recall` must be in the range [0, 1].")
    _check_num_thresholds(num_thresholds)
    return _thresholds_metric(
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
    labels,
    predictions,
    precision,
    weights=None,
    num_thresholds=200,
    metrics_collections=None,
    updates_collections=None,
    name=None,
    strict_mode=False,
):
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
      metrics_collections, updates_collections: collections for value/update.
      name: scope name.
      strict_mode: see above, default False.

    Returns:
      ``(recall, update_op)``.

    Raises:
      ValueError: if ``precision`` is outside [0, 1] (slim's message).
    """
    if not 0 <= precision <= 1:
        raise ValueError("`precision` must be in the range [0, 1].")
    _check_num_thresholds(num_thresholds)
    return _thresholds_metric(
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


# ---------------------------------------------------------------- dynamic AUC
def _dynamic_variables(config, shapes):
    out = []
    for part, dtype in (("preds", "float64"), ("labels", "int64"), ("weights", "float64")):
        if part == "weights" and not config["weighted"]:
            continue
        out += [(f"concat_{part}/array", (None,), dtype), (f"concat_{part}/size", (), "int32")]
    return out


def compute_dynamic_auc(labels, predictions, curve="ROC", weights=None):
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


def _dynamic_update(config, state, x):
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


def _dynamic_value(config, state):
    weights = concat_value(state, 0, 1, "concat_weights/") if config["weighted"] else None
    return compute_dynamic_auc(
        concat_value(state, 0, 1, "concat_labels/"),
        concat_value(state, 0, 1, "concat_preds/"),
        config["curve"],
        weights,
    )


register_metric("dynamic_auc", MetricSpec(_dynamic_variables, _dynamic_update, _dynamic_value))


def streaming_dynamic_auc(
    labels,
    predictions,
    curve="ROC",
    metrics_collections=(),
    updates_collections=(),
    name=None,
    weights=None,
):
    """Exact streaming AUC over all data seen ((labels, predictions) order).

    Keeps every label, prediction (and weight) in growable buffers
    ``<scope>/concat_{labels,preds,weights}/{array,size}`` (default scope
    ``dynamic_auc``), so memory grows with the data.

    Args:
      labels: 0/1 labels of the shape of ``predictions``.
      predictions: predictions castable to float64 (flattened).
      curve: ``'ROC'`` (default) or ``'PR'``.
      metrics_collections, updates_collections: collections for value/update.
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


__all__ = [
    "f1_score",
    "precision_at_recall",
    "recall_at_precision",
    "streaming_auc",
    "streaming_curve_points",
    "streaming_dynamic_auc",
    "streaming_false_negative_rate_at_thresholds",
    "streaming_false_negatives_at_thresholds",
    "streaming_false_positive_rate_at_thresholds",
    "streaming_false_positives_at_thresholds",
    "streaming_precision_at_thresholds",
    "streaming_recall_at_thresholds",
    "streaming_sensitivity_at_specificity",
    "streaming_specificity_at_sensitivity",
    "streaming_true_negatives_at_thresholds",
    "streaming_true_positives_at_thresholds",
]
