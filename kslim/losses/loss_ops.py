"""slim's loss functions (absolute difference, MSE, log loss, hinge, cosine, cross-entropies).

Each loss is reduced as slim does (``kslim.losses.reduction``) and recorded in
the graph's LOSSES collection (``kslim.losses.collection``).
"""

from __future__ import annotations

import logging
from typing import Any

import keras
import tensorflow as tf

from kslim.layers.base import register_op
from kslim.losses.reduction import (
    apply_loss,
    check_labels,
    check_weights,
    split_weights,
    weighted_reduce,
)
from kslim.tensor_types import Scope, TensorLike

_log = logging.getLogger("kslim")

__all__ = [
    "absolute_difference",
    "cosine_distance",
    "hinge_loss",
    "log_loss",
    "mean_pairwise_squared_error",
    "mean_squared_error",
    "sigmoid_cross_entropy",
    "softmax_cross_entropy",
    "sparse_softmax_cross_entropy",
]


def _check_same_shape(a: TensorLike, b: TensorLike, name_a: str, name_b: str) -> None:
    """slim's ``a.get_shape().assert_is_compatible_with(b.get_shape())``."""
    sa, sb = getattr(a, "shape", None), getattr(b, "shape", None)
    if sa is None or sb is None:
        return
    sa, sb = tuple(sa), tuple(sb)
    if len(sa) != len(sb) or any(
        x is not None and y is not None and x != y for x, y in zip(sa, sb, strict=True)
    ):
        raise ValueError(
            f"Shapes {sa} and {sb} are incompatible: {name_a} has shape {sa}, {name_b} has "
            f"shape {sb}"
        )


def _check_pair(
    predictions: TensorLike,
    labels: TensorLike | None,
    name_a: str = "predictions",
    name_b: str = "labels",
) -> None:
    check_labels(labels, name_b)
    _check_same_shape(predictions, labels, name_a, name_b)


def _as_float32(*tensors: TensorLike):
    return [tf.cast(t, tf.float32) for t in tensors]


@register_op("absolute_difference")
def _absolute_difference_op(*args: Any, **kwargs: Any):
    (predictions, labels), weights = split_weights(args, kwargs)
    predictions, labels = _as_float32(predictions, labels)
    return weighted_reduce(tf.abs(predictions - labels), weights)


def absolute_difference(
    predictions: TensorLike,
    labels: TensorLike | None = None,
    weights: TensorLike = 1.0,
    scope: Scope | None = None,
) -> keras.KerasTensor | tf.Tensor:
    """Weighted mean absolute error ``|predictions - labels|``.

    Args:
      predictions: the predicted values, [batch, d1, ...].
      labels: the targets, same shape as ``predictions`` (required).
      weights: default 1.0; a scalar, [batch], or a shape that is a prefix of
        ``predictions``' shape (broadcast over the leading dimensions).
      scope: name scope, default ``absolute_difference``.

    Returns:
      The scalar loss: the weighted sum divided by the number of elements with a
      non-zero weight (added to LOSSES).

    Raises:
      ValueError: if ``labels`` is None, the shapes differ, or ``weights`` is
        None or has a higher rank than the losses.
    """
    _check_pair(predictions, labels)
    check_weights(weights)
    return apply_loss(
        "absolute_difference", [predictions, labels], weights, scope, "absolute_difference"
    )


@register_op("mean_squared_error")
def _mean_squared_error_op(*args: Any, **kwargs: Any):
    (predictions, labels), weights = split_weights(args, kwargs)
    predictions, labels = _as_float32(predictions, labels)
    return weighted_reduce(tf.math.squared_difference(predictions, labels), weights)


def mean_squared_error(
    predictions: TensorLike,
    labels: TensorLike | None = None,
    weights: TensorLike = 1.0,
    scope: Scope | None = None,
) -> keras.KerasTensor | tf.Tensor:
    """Weighted mean of ``(predictions - labels)**2``.

    Args:
      predictions: the predicted values, [batch, d1, ...].
      labels: the targets, same shape as ``predictions`` (required).
      weights: default 1.0; a scalar, [batch], or a prefix of the losses' shape.
      scope: name scope, default ``mean_squared_error``.

    Returns:
      The scalar loss (÷ number of non-zero-weighted elements; added to LOSSES).

    Raises:
      ValueError: if ``labels`` is None, the shapes differ, or ``weights`` is
        invalid.
    """
    _check_pair(predictions, labels)
    check_weights(weights)
    return apply_loss(
        "mean_squared_error", [predictions, labels], weights, scope, "mean_squared_error"
    )


def _num_present_per_batch(losses: tf.Tensor, weights: tf.Tensor):
    """slim's ``_num_present(losses, weights, per_batch=True)``: [batch] counts."""
    batch_size = tf.shape(losses)[0]
    if weights.shape.rank == 0:
        per = tf.cast(tf.size(losses), tf.float32) / tf.cast(batch_size, tf.float32)
        per = tf.where(tf.equal(weights, 0.0), 0.0, per)
        return tf.ones([batch_size], tf.float32) * per
    nonzero = tf.reduce_sum(
        tf.cast(tf.not_equal(weights, 0.0), tf.float32),
        axis=list(range(1, weights.shape.rank)),
    )
    broadcast = tf.cast(tf.reduce_prod(tf.shape(losses)[weights.shape.rank :]), tf.float32)
    return nonzero * broadcast


@register_op("mean_pairwise_squared_error")
def _mean_pairwise_squared_error_op(*args: Any, **kwargs: Any):
    (predictions, labels), weights = split_weights(args, kwargs)
    predictions, labels = _as_float32(predictions, labels)
    weights = tf.cast(tf.convert_to_tensor(weights), tf.float32)
    diffs = predictions - labels
    axis = list(range(1, diffs.shape.rank))
    num_present = _num_present_per_batch(diffs, weights)
    term1 = 2.0 * tf.math.divide_no_nan(tf.reduce_sum(tf.square(diffs), axis=axis), num_present)
    term2 = 2.0 * tf.math.divide_no_nan(
        tf.square(tf.reduce_sum(diffs, axis=axis)), tf.square(num_present)
    )
    # slim's _scale_losses: reduce the per-example terms down to weights' rank,
    # scale, and SUM over the batch (this loss is not averaged over examples).
    per_example = term1 - term2
    w_rank = weights.shape.rank
    if w_rank == 0:
        scaled = tf.reduce_sum(per_example) * weights
    else:
        scaled = tf.reduce_sum(per_example * weights)
    return tf.where(tf.reduce_sum(num_present) > 0, scaled, tf.zeros_like(scaled))


def mean_pairwise_squared_error(
    predictions: TensorLike,
    labels: TensorLike | None = None,
    weights: TensorLike = 1.0,
    scope: Scope | None = None,
) -> keras.KerasTensor | tf.Tensor:
    """slim's pairwise-difference loss, summed (not averaged) over the batch.

    For each example ``b`` with differences ``d = predictions - labels`` over its
    ``n`` weighted elements: ``2·Σd²/n − 2·(Σd)²/n²`` (the mean over pairs of
    the squared difference of differences); the per-example values are scaled
    by ``weights`` and summed over the batch.

    Args:
      predictions: [batch, d1, ...] predicted values (rank ≥ 2).
      labels: the targets, same shape (required).
      weights: default 1.0; a scalar or [batch] per-example weights.
      scope: name scope, default ``mean_pairwise_squared_error``.

    Returns:
      The scalar loss (added to LOSSES).

    Raises:
      ValueError: if ``labels`` is None, the shapes differ, ``weights`` is None
        or ``predictions`` has no batch dimension.
    """
    _check_pair(predictions, labels)
    check_weights(weights)
    rank = len(getattr(predictions, "shape", ()))
    if rank < 1:
        raise ValueError(
            f"mean_pairwise_squared_error: predictions must have a batch dimension, got "
            f"shape {tuple(getattr(predictions, 'shape', ()))}"
        )
    return apply_loss(
        "mean_pairwise_squared_error",
        [predictions, labels],
        weights,
        scope,
        "mean_pairwise_squared_error",
    )


@register_op("log_loss")
def _log_loss_op(*args: Any, epsilon: float = 1e-7, **kwargs: Any):
    (predictions, labels), weights = split_weights(args, kwargs)
    predictions, labels = _as_float32(predictions, labels)
    losses = -labels * tf.math.log(predictions + epsilon) - (1.0 - labels) * tf.math.log(
        1.0 - predictions + epsilon
    )
    return weighted_reduce(losses, weights)


def log_loss(
    predictions: TensorLike,
    labels: TensorLike | None = None,
    weights: TensorLike = 1.0,
    epsilon: float = 1e-7,
    scope: Scope | None = None,
) -> keras.KerasTensor | tf.Tensor:
    """Weighted binary log loss ``−l·log(p+ε) − (1−l)·log(1−p+ε)``.

    Args:
      predictions: predicted probabilities, [batch, d1, ...].
      labels: the targets (0/1 or soft), same shape (required).
      weights: default 1.0; a scalar, [batch], or a prefix of the losses' shape.
      epsilon: default 1e-7, added inside both logarithms.
      scope: name scope, default ``log_loss``.

    Returns:
      The scalar loss (÷ number of non-zero-weighted elements; added to LOSSES).

    Raises:
      ValueError: if ``labels`` is None, the shapes differ, or ``weights`` is
        invalid.
    """
    _check_pair(predictions, labels)
    check_weights(weights)
    return apply_loss(
        "log_loss", [predictions, labels], weights, scope, "log_loss", epsilon=float(epsilon)
    )


@register_op("hinge_loss")
def _hinge_loss_op(logits: tf.Tensor, labels: tf.Tensor):
    labels = tf.cast(labels, logits.dtype)
    return tf.nn.relu(1.0 - (2.0 * labels - 1.0) * logits)


def hinge_loss(
    logits: TensorLike, labels: TensorLike | None = None, scope: Scope | None = None
) -> keras.KerasTensor | tf.Tensor:
    """Per-element hinge loss ``relu(1 − (2·labels − 1)·logits)``.

    Unlike the other losses it is unreduced and NOT added to LOSSES (as in slim).

    Args:
      logits: [batch, ...] 0-centred scores.
      labels: same shape, values 0.0 or 1.0 (mapped to −1/+1) (required).
      scope: name scope, default ``hinge_loss``.

    Returns:
      A tensor of the shape of ``logits``.

    Raises:
      ValueError: if ``labels`` is None or the shapes differ.
    """
    _check_pair(logits, labels, "logits", "labels")
    return apply_loss("hinge_loss", [logits, labels], None, scope, "hinge_loss", collect=False)


@register_op("cosine_distance")
def _cosine_distance_op(*args: Any, axis: int, **kwargs: Any):
    (predictions, labels), weights = split_weights(args, kwargs)
    predictions, labels = _as_float32(predictions, labels)
    losses = 1.0 - tf.reduce_sum(predictions * labels, axis=[axis])
    return weighted_reduce(losses, weights)


def cosine_distance(
    predictions: TensorLike,
    labels: TensorLike | None = None,
    axis: int | None = None,
    weights: TensorLike = 1.0,
    scope: Scope | None = None,
    dim: int | None = None,
) -> keras.KerasTensor | tf.Tensor:
    """Weighted cosine distance ``1 − Σ_axis predictions·labels``.

    The inputs are assumed unit-normalized along ``axis`` (as in slim).

    Args:
      predictions: [batch, ...] unit vectors along ``axis``.
      labels: same shape (required).
      axis: the dimension of the vectors (required).
      weights: default 1.0; a scalar, [batch], or a prefix of the losses' shape
        (the losses have ``axis`` reduced away).
      scope: name scope, default ``cosine_distance_loss``.
      dim: deprecated alias of ``axis``.

    Returns:
      The scalar loss (÷ number of non-zero-weighted elements; added to LOSSES).

    Raises:
      ValueError: ``"You must specify 'axis'."`` if neither ``axis`` nor ``dim``
        is given; if both are; if ``labels`` is None or the shapes differ.
    """
    if dim is not None:
        if axis is not None:
            raise ValueError(f"Cannot specify both 'axis' and 'dim' (axis={axis!r}, dim={dim!r})")
        _log.warning("cosine_distance: dim is deprecated, use axis instead")
        axis = dim
    if axis is None:
        raise ValueError("You must specify 'axis'.")
    _check_pair(predictions, labels)
    check_weights(weights)
    return apply_loss(
        "cosine_distance",
        [predictions, labels],
        weights,
        scope,
        "cosine_distance_loss",
        axis=int(axis),
    )


@register_op("sigmoid_cross_entropy")
def _sigmoid_ce_op(*args: Any, label_smoothing: float = 0.0, **kwargs: Any):
    (logits, labels), weights = split_weights(args, kwargs)
    labels = tf.cast(labels, logits.dtype)
    if label_smoothing > 0:
        labels = labels * (1.0 - label_smoothing) + 0.5 * label_smoothing
    losses = tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits)
    return weighted_reduce(losses, weights)


def sigmoid_cross_entropy(
    logits: TensorLike,
    multi_class_labels: TensorLike,
    weights: TensorLike = 1.0,
    label_smoothing: float = 0,
    scope: Scope | None = None,
) -> keras.KerasTensor | tf.Tensor:
    """Weighted sigmoid cross-entropy of ``logits`` against 0/1 labels.

    Args:
      logits: [batch, num_classes] logits.
      multi_class_labels: [batch, num_classes] labels in {0, 1} (or soft).
      weights: default 1.0; a scalar, [batch] or [batch, num_classes].
      label_smoothing: default 0; if > 0 labels become ``y·(1−ls) + 0.5·ls``.
      scope: name scope, default ``sigmoid_cross_entropy_loss``.

    Returns:
      The scalar loss (÷ number of non-zero-weighted elements; added to LOSSES).

    Raises:
      ValueError: if the shapes of ``logits`` and ``multi_class_labels`` differ
        or ``weights`` is invalid.
    """
    _check_pair(logits, multi_class_labels, "logits", "multi_class_labels")
    check_weights(weights)
    return apply_loss(
        "sigmoid_cross_entropy",
        [logits, multi_class_labels],
        weights,
        scope,
        "sigmoid_cross_entropy_loss",
        label_smoothing=float(label_smoothing),
    )


@register_op("softmax_cross_entropy")
def _softmax_ce_op(*args: Any, label_smoothing: float = 0.0, **kwargs: Any):
    (logits, labels), weights = split_weights(args, kwargs)
    labels = tf.cast(labels, logits.dtype)
    if label_smoothing > 0:
        num_classes = tf.cast(tf.shape(labels)[1], logits.dtype)
        labels = labels * (1.0 - label_smoothing) + label_smoothing / num_classes
    # slim's (TF1) op does not back-propagate into the labels.
    losses = tf.nn.softmax_cross_entropy_with_logits(labels=tf.stop_gradient(labels), logits=logits)
    return weighted_reduce(losses, weights)


def softmax_cross_entropy(
    logits: TensorLike,
    onehot_labels: TensorLike,
    weights: TensorLike = 1.0,
    label_smoothing: float = 0,
    scope: Scope | None = None,
) -> keras.KerasTensor | tf.Tensor:
    """Softmax cross-entropy of ``logits`` [batch, classes] against one-hot labels.

    Args:
      logits: [batch, num_classes] unnormalized log probabilities.
      onehot_labels: [batch, num_classes] one-hot (or soft) labels.
      weights: default 1.0; a scalar or [batch] per-example weights.
      label_smoothing: default 0; if > 0, labels become ``y·(1-ls) + ls/num_classes``.
      scope: name scope, default ``softmax_cross_entropy_loss``.

    Returns:
      The scalar loss (÷ number of non-zero-weighted examples; added to LOSSES).

    Raises:
      ValueError: if the shapes of ``logits`` and ``onehot_labels`` differ or
        ``weights`` is invalid.
    """
    _check_pair(logits, onehot_labels, "logits", "onehot_labels")
    check_weights(weights)
    return apply_loss(
        "softmax_cross_entropy",
        [logits, onehot_labels],
        weights,
        scope,
        "softmax_cross_entropy_loss",
        label_smoothing=float(label_smoothing),
    )


@register_op("sparse_softmax_cross_entropy")
def _sparse_softmax_ce_op(*args: Any, **kwargs: Any):
    (logits, labels), weights = split_weights(args, kwargs)
    labels = tf.reshape(labels, [tf.shape(labels)[0]])
    if not labels.dtype.is_integer:
        labels = tf.cast(labels, tf.int64)
    losses = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    return weighted_reduce(losses, weights)


def sparse_softmax_cross_entropy(
    logits: TensorLike, labels: TensorLike, weights: TensorLike = 1.0, scope: Scope | None = None
) -> keras.KerasTensor | tf.Tensor:
    """Softmax cross-entropy of ``logits`` against integer class ``labels``.

    Args:
      logits: [batch, num_classes] logits.
      labels: [batch] or [batch, 1] class indices in ``[0, num_classes)``
        (float labels holding integers are cast to int64).
      weights: default 1.0; a scalar, [batch] or [batch, 1].
      scope: name scope, default ``sparse_softmax_cross_entropy_loss``.

    Returns:
      The scalar loss (÷ number of non-zero-weighted examples; added to LOSSES).

    Raises:
      ValueError: if ``labels`` is None or not of shape [batch]/[batch, 1], or
        ``weights`` is invalid.
    """
    check_labels(labels)
    check_weights(weights)
    shape = getattr(labels, "shape", None)
    if shape is not None and (
        len(shape) == 0 or len(shape) > 2 or (len(shape) == 2 and shape[1] not in (1, None))
    ):
        raise ValueError(
            f"sparse_softmax_cross_entropy: labels must have shape [batch] or [batch, 1], "
            f"got labels shape {tuple(shape)}"
        )
    return apply_loss(
        "sparse_softmax_cross_entropy",
        [logits, labels],
        weights,
        scope,
        "sparse_softmax_cross_entropy_loss",
    )
