"""Regression metrics.

Mean absolute/squared/relative errors, RMSE, cosine distance, percentage below a
threshold, covariance and Pearson correlation.
"""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf

from kslim.metrics.aggregation import mean_metric, register_transform
from kslim.metrics.state import (
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
from kslim.tensor_types import Collections, TensorLike


def _errors(x: MetricInputs):
    predictions, labels, weights = prepare(x["predictions"], x["labels"], x.get("weights"))
    predictions = tf.cast(predictions, tf.float32)
    labels = tf.cast(labels, tf.float32)
    return predictions, labels, weights


@register_transform("absolute_error")
def _absolute_error(config: dict[str, Any], x: MetricInputs):
    predictions, labels, weights = _errors(x)
    return tf.abs(predictions - labels), weights


@register_transform("squared_error")
def _squared_error(config: dict[str, Any], x: MetricInputs):
    predictions, labels, weights = _errors(x)
    return tf.square(labels - predictions), weights


@register_transform("relative_error")
def _relative_error(config: dict[str, Any], x: MetricInputs):
    predictions, labels, weights = _errors(x)
    normalizer = tf.cast(x["normalizer"], tf.float32)
    predictions, normalizer = remove_squeezable_dimensions(predictions, normalizer)
    relative = tf.where(
        tf.equal(normalizer, 0.0),
        tf.zeros_like(labels),
        tf.math.divide_no_nan(tf.abs(labels - predictions), normalizer),
    )
    return relative, weights


@register_transform("below")
def _below(config: dict[str, Any], x: MetricInputs):
    return tf.cast(tf.cast(x["values"], tf.float32) < config["threshold"], tf.float32), x.get(
        "weights"
    )


@register_transform("cosine")
def _cosine(config: dict[str, Any], x: MetricInputs):
    predictions, labels, weights = _errors(x)
    radial = tf.reduce_sum(predictions * labels, axis=[config["dim"]], keepdims=True)
    return radial, weights


def _tensors(predictions: TensorLike, labels: TensorLike, weights: TensorLike | None, **extra: Any):
    return {"predictions": predictions, "labels": labels, "weights": weights, **extra}


def streaming_mean_absolute_error(
    predictions: TensorLike,
    labels: TensorLike,
    weights: TensorLike | None = None,
    metrics_collections: Collections | None = None,
    updates_collections: Collections | None = None,
    name: str | None = None,
) -> tuple[keras.KerasTensor | tf.Tensor, keras.KerasTensor | tf.Tensor]:
    """Streaming weighted mean of |predictions − labels|.

    Variables ``<scope>/{total,count}`` (default scope ``mean_absolute_error``).

    Args:
      predictions: float tensor.
      labels: tensor of the shape of ``predictions``.
      weights: optional tensor broadcastable to ``predictions``.
      metrics_collections: collections to add the metric's value to.
      updates_collections: collections to add the update op to.
      name: scope name.

    Returns:
      ``(mean_absolute_error, update_op)``.
    """
    return mean_metric(
        "absolute_error",
        _tensors(predictions, labels, weights),
        name,
        "mean_absolute_error",
        metrics_collections,
        updates_collections,
    )


def streaming_mean_squared_error(
    predictions: TensorLike,
    labels: TensorLike,
    weights: TensorLike | None = None,
    metrics_collections: Collections | None = None,
    updates_collections: Collections | None = None,
    name: str | None = None,
) -> tuple[keras.KerasTensor | tf.Tensor, keras.KerasTensor | tf.Tensor]:
    """Streaming weighted mean of (predictions − labels)².

    Variables ``<scope>/{total,count}`` (default scope ``mean_squared_error``).

    Args:
      predictions: float tensor.
      labels: tensor of the shape of ``predictions``.
      weights: optional tensor broadcastable to ``predictions``.
      metrics_collections: collections to add the metric's value to.
      updates_collections: collections to add the update op to.
      name: scope name.

    Returns:
      ``(mean_squared_error, update_op)``.
    """
    return mean_metric(
        "squared_error",
        _tensors(predictions, labels, weights),
        name,
        "mean_squared_error",
        metrics_collections,
        updates_collections,
    )


def streaming_root_mean_squared_error(
    predictions: TensorLike,
    labels: TensorLike,
    weights: TensorLike | None = None,
    metrics_collections: Collections | None = None,
    updates_collections: Collections | None = None,
    name: str | None = None,
) -> tuple[keras.KerasTensor | tf.Tensor, keras.KerasTensor | tf.Tensor]:
    """Streaming sqrt of the weighted mean squared error.

    Variables ``<scope>/{total,count}`` (default scope ``root_mean_squared_error``).

    Args:
      predictions: float tensor.
      labels: tensor of the shape of ``predictions``.
      weights: optional tensor broadcastable to ``predictions``.
      metrics_collections: collections to add the metric's value to.
      updates_collections: collections to add the update op to.
      name: scope name.

    Returns:
      ``(rmse, update_op)``.
    """
    return mean_metric(
        "squared_error",
        _tensors(predictions, labels, weights),
        name,
        "root_mean_squared_error",
        metrics_collections,
        updates_collections,
        post="sqrt",
    )


def streaming_mean_relative_error(
    predictions: TensorLike,
    labels: TensorLike,
    normalizer: TensorLike,
    weights: TensorLike | None = None,
    metrics_collections: Collections | None = None,
    updates_collections: Collections | None = None,
    name: str | None = None,
) -> tuple[keras.KerasTensor | tf.Tensor, keras.KerasTensor | tf.Tensor]:
    """Streaming weighted mean of |predictions − labels| / normalizer (0 where it is 0).

    Variables ``<scope>/{total,count}`` (default scope ``mean_relative_error``).

    Args:
      predictions: float tensor.
      labels: tensor of the shape of ``predictions``.
      normalizer: tensor of the shape of ``predictions``.
      weights: optional tensor broadcastable to ``predictions``.
      metrics_collections: collections to add the metric's value to.
      updates_collections: collections to add the update op to.
      name: scope name.

    Returns:
      ``(mean_relative_error, update_op)``.
    """
    return mean_metric(
        "relative_error",
        _tensors(predictions, labels, weights, normalizer=normalizer),
        name,
        "mean_relative_error",
        metrics_collections,
        updates_collections,
    )


def streaming_mean_cosine_distance(
    predictions: TensorLike,
    labels: TensorLike,
    dim: int,
    weights: TensorLike | None = None,
    metrics_collections: Collections | None = None,
    updates_collections: Collections | None = None,
    name: str | None = None,
) -> tuple[keras.KerasTensor | tf.Tensor, keras.KerasTensor | tf.Tensor]:
    """Streaming ``1 − mean(Σ_dim predictions·labels)`` (inputs unit-normalized).

    Variables ``<scope>/{total,count}`` (default scope ``mean_cosine_distance``).

    Args:
      predictions: float tensor, unit-normalized along ``dim``.
      labels: tensor of the shape of ``predictions``, unit-normalized.
      dim: the dimension along which the cosine is computed.
      weights: optional tensor broadcastable to the reduced shape.
      metrics_collections: collections to add the metric's value to.
      updates_collections: collections to add the update op to.
      name: scope name.

    Returns:
      ``(mean_distance, update_op)``.

    Raises:
      ValueError: if ``dim`` is not an int.
    """
    if not isinstance(dim, int):
        raise ValueError(f"dim must be an int, got {dim!r}")
    return mean_metric(
        "cosine",
        _tensors(predictions, labels, weights),
        name,
        "mean_cosine_distance",
        metrics_collections,
        updates_collections,
        post="one_minus",
        dim=dim,
    )


def streaming_percentage_less(
    values: TensorLike,
    threshold: float,
    weights: TensorLike | None = None,
    metrics_collections: Collections | None = None,
    updates_collections: Collections | None = None,
    name: str | None = None,
) -> tuple[keras.KerasTensor | tf.Tensor, keras.KerasTensor | tf.Tensor]:
    """Streaming weighted fraction of ``values`` below ``threshold``.

    Variables ``<scope>/{total,count}`` (default scope
    ``percentage_below_threshold``).

    Args:
      values: numeric tensor.
      threshold: a float.
      weights: optional tensor broadcastable to ``values``.
      metrics_collections: collections to add the metric's value to.
      updates_collections: collections to add the update op to.
      name: scope name.

    Returns:
      ``(percentage, update_op)``.
    """
    return mean_metric(
        "below",
        {"values": values, "weights": weights},
        name,
        "percentage_below_threshold",
        metrics_collections,
        updates_collections,
        threshold=float(threshold),
    )


# ------------------------------------------------------------ covariance
_MOMENTS = ("count", "mean_prediction", "mean_label", "comoment")


def _covariance_update(
    state: MetricState,
    prefix: str,
    predictions: tf.Tensor,
    labels: tf.Tensor,
    weights: tf.Tensor | None,
):
    """slim's streaming co-moment update (Chan et al.) of the ``prefix`` variables."""
    if weights is None:
        batch_count = tf.cast(tf.size(labels), tf.float32)
        weighted_predictions, weighted_labels = predictions, labels
    else:
        batch_count = tf.reduce_sum(weights)
        weighted_predictions, weighted_labels = predictions * weights, labels * weights
    prev_mean_prediction = read(state, prefix + "mean_prediction")
    prev_mean_label = read(state, prefix + "mean_label")
    update_count = add(state, prefix + "count", batch_count)
    prev_count = update_count - batch_count
    batch_mean_prediction = tf.math.divide_no_nan(tf.reduce_sum(weighted_predictions), batch_count)
    delta_mean_prediction = tf.math.divide_no_nan(
        (batch_mean_prediction - prev_mean_prediction) * batch_count, update_count
    )
    add(state, prefix + "mean_prediction", delta_mean_prediction)
    batch_mean_label = tf.math.divide_no_nan(tf.reduce_sum(weighted_labels), batch_count)
    delta_mean_label = tf.math.divide_no_nan(
        (batch_mean_label - prev_mean_label) * batch_count, update_count
    )
    add(state, prefix + "mean_label", delta_mean_label)
    coresiduals = (predictions - batch_mean_prediction) * (labels - batch_mean_label)
    if weights is not None:
        coresiduals = coresiduals * weights
    batch_comoment = tf.reduce_sum(coresiduals)
    delta_comoment = batch_comoment + (prev_mean_prediction - batch_mean_prediction) * (
        prev_mean_label - batch_mean_label
    ) * (prev_count * batch_count / update_count)
    add(state, prefix + "comoment", delta_comoment)
    return _covariance_value(state, prefix)


def _covariance_value(state: MetricState, prefix: str):
    count_ = read(state, prefix + "count")
    comoment = read(state, prefix + "comoment")
    return tf.where(count_ <= 1.0, float("nan"), comoment / (count_ - 1.0))


def _cov_inputs(x: MetricInputs):
    predictions, labels, weights = prepare(x["predictions"], x["labels"], x.get("weights"))
    predictions = tf.cast(predictions, tf.float32)
    labels = tf.cast(labels, tf.float32)
    if weights is not None:
        weights = broadcast_weights(tf.cast(weights, tf.float32), labels)
    return predictions, labels, weights


register_metric(
    "covariance",
    MetricSpec(
        lambda config, shapes: [(m, (), "float32") for m in _MOMENTS],
        lambda config, state, x: _covariance_update(state, "", *_cov_inputs(x)),
        lambda config, state: _covariance_value(state, ""),
    ),
)

_PEARSON_PARTS = ("covariance/", "variance_predictions/", "variance_labels/")


def _pearson_update(config: dict[str, Any], state: MetricState, x: MetricInputs):
    predictions, labels, weights = _cov_inputs(x)
    cov = _covariance_update(state, "covariance/", predictions, labels, weights)
    var_p = _covariance_update(state, "variance_predictions/", predictions, predictions, weights)
    var_l = _covariance_update(state, "variance_labels/", labels, labels, weights)
    return cov / (tf.sqrt(var_p) * tf.sqrt(var_l))


def _pearson_value(config: dict[str, Any], state: MetricState):
    cov, var_p, var_l = (_covariance_value(state, p) for p in _PEARSON_PARTS)
    return cov / (tf.sqrt(var_p) * tf.sqrt(var_l))


register_metric(
    "pearson_r",
    MetricSpec(
        lambda config, shapes: [(p + m, (), "float32") for p in _PEARSON_PARTS for m in _MOMENTS],
        _pearson_update,
        _pearson_value,
    ),
)


def streaming_covariance(
    predictions: TensorLike,
    labels: TensorLike,
    weights: TensorLike | None = None,
    metrics_collections: Collections | None = None,
    updates_collections: Collections | None = None,
    name: str | None = None,
) -> tuple[keras.KerasTensor | tf.Tensor, keras.KerasTensor | tf.Tensor]:
    """Streaming unbiased (weighted) covariance of ``predictions`` and ``labels``.

    Variables ``<scope>/{count, mean_prediction, mean_label, comoment}``
    (default scope ``covariance``); NaN until more than one weight unit is seen.

    Args:
      predictions: float tensor.
      labels: tensor of the shape of ``predictions``.
      weights: optional tensor broadcastable to ``labels``.
      metrics_collections: collections to add the metric's value to.
      updates_collections: collections to add the update op to.
      name: scope name.

    Returns:
      ``(covariance, update_op)``.
    """
    return streaming_metric(
        "covariance",
        _tensors(predictions, labels, weights),
        {},
        name,
        "covariance",
        metrics_collections,
        updates_collections,
    )


def streaming_pearson_correlation(
    predictions: TensorLike,
    labels: TensorLike,
    weights: TensorLike | None = None,
    metrics_collections: Collections | None = None,
    updates_collections: Collections | None = None,
    name: str | None = None,
) -> tuple[keras.KerasTensor | tf.Tensor, keras.KerasTensor | tf.Tensor]:
    """Streaming Pearson correlation of ``predictions`` and ``labels``.

    Three covariances ``<scope>/{covariance, variance_predictions,
    variance_labels}/...`` (default scope ``pearson_r``).

    Args:
      predictions: float tensor.
      labels: tensor of the shape of ``predictions``.
      weights: optional tensor broadcastable to ``labels``.
      metrics_collections: collections to add the metric's value to.
      updates_collections: collections to add the update op to.
      name: scope name.

    Returns:
      ``(pearson_r, update_op)``.
    """
    return streaming_metric(
        "pearson_r",
        _tensors(predictions, labels, weights),
        {},
        name,
        "pearson_r",
        metrics_collections,
        updates_collections,
    )


__all__ = [
    "streaming_covariance",
    "streaming_mean_absolute_error",
    "streaming_mean_cosine_distance",
    "streaming_mean_relative_error",
    "streaming_mean_squared_error",
    "streaming_percentage_less",
    "streaming_pearson_correlation",
    "streaming_root_mean_squared_error",
]
