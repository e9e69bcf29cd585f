"""slim's weight regularizers (``l2_regularizer(s)`` = s·Σw²/2), as Keras objects."""

from __future__ import annotations

import logging
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import keras
import tensorflow as tf

from kslim.tensor_types import Regularizer, Tensor, TensorLike

__all__ = [
    "l1_regularizer",
    "l2_regularizer",
    "l1_l2_regularizer",
    "sum_regularizer",
    "apply_regularization",
    "L1",
    "L2",
    "SumRegularizer",
]

_log = logging.getLogger("kslim")


def _check_scale(scale: Any, label: str, final_dot: bool) -> None:
    if isinstance(scale, numbers.Integral):
        raise ValueError("%s cannot be an integer: %s" % (label, scale))
    if isinstance(scale, numbers.Real):
        if scale < 0.0:
            raise ValueError(
                "Setting a scale less than 0 on a regularizer: %g%s"
                % (scale, "." if final_dot else "")
            )
    else:
        raise TypeError(f"{label} must be a float, got {scale!r} of type {type(scale).__name__}")


@keras.saving.register_keras_serializable(package="kslim")
class L1(keras.regularizers.Regularizer):
    """``scale * sum(|w|)``."""

    def __init__(self, scale: float) -> None:
        self.scale = float(scale)

    def __call__(self, weights: TensorLike | keras.Variable) -> tf.Tensor:
        """The penalty ``scale * sum(|weights|)``."""
        w = tf.convert_to_tensor(weights)
        return tf.cast(self.scale, w.dtype) * tf.reduce_sum(tf.abs(w))

    def get_config(self) -> dict:
        """The constructor arguments, for Keras serialization."""
        return {"scale": self.scale}


@keras.saving.register_keras_serializable(package="kslim")
class L2(keras.regularizers.Regularizer):
    """``scale * sum(w**2) / 2`` (``scale * tf.nn.l2_loss(w)``, slim's formula)."""

    def __init__(self, scale: float) -> None:
        self.scale = float(scale)

    def __call__(self, weights: TensorLike | keras.Variable) -> tf.Tensor:
        """The penalty ``scale * sum(weights**2) / 2``."""
        w = tf.convert_to_tensor(weights)
        return tf.cast(self.scale, w.dtype) * tf.nn.l2_loss(w)

    def get_config(self) -> dict:
        """The constructor arguments, for Keras serialization."""
        return {"scale": self.scale}


@keras.saving.register_keras_serializable(package="kslim")
class SumRegularizer(keras.regularizers.Regularizer):
    """The sum of several regularizers' penalties (None results are skipped)."""

    def __init__(self, regularizers: Sequence[Regularizer | dict[str, Any]]) -> None:
        self.regularizers = [
            keras.regularizers.get(r) if isinstance(r, dict) else r for r in regularizers
        ]

    def __call__(self, weights: TensorLike | keras.Variable) -> tf.Tensor | None:
        """The sum of the regularizers' penalties of ``weights`` (None if none has one)."""
        penalties = [p for p in (r(weights) for r in self.regularizers) if p is not None]
        if not penalties:
            return None
        return tf.add_n(penalties)

    def get_config(self) -> dict:
        """The serialized regularizers, for Keras serialization."""
        return {"regularizers": [keras.regularizers.serialize(r) for r in self.regularizers]}


def _disabled(_weights: object):
    return None


def is_disabled(regularizer: Regularizer | None) -> bool:
    """True for the regularizer a scale of 0 returns (it adds no loss)."""
    return regularizer is _disabled


def l1_regularizer(scale: float, scope: str | None = None) -> Callable:
    """Returns ``L1(scale)``: ``scale * sum(|w|)``.

    Args:
      scale: a non-negative float; 0 disables the regularizer.
      scope: accepted for slim compatibility.

    Returns:
      A regularizer ``weights -> scalar`` (returning None when disabled).

    Raises:
      ValueError: for an integer or negative ``scale``.
    """
    del scope
    _check_scale(scale, "scale", final_dot=False)
    if scale == 0.0:
        _log.info("Scale of 0 disables regularizer.")
        return _disabled
    return L1(scale)


def l2_regularizer(scale: float, scope: str | None = None) -> Callable:
    """Returns ``L2(scale)``: ``scale * sum(w**2) / 2``.

    Args:
      scale: a non-negative float; 0 disables the regularizer.
      scope: accepted for slim compatibility.

    Returns:
      A regularizer ``weights -> scalar`` (returning None when disabled).

    Raises:
      ValueError: for an integer or negative ``scale``.
    """
    del scope
    _check_scale(scale, "scale", final_dot=True)
    if scale == 0.0:
        _log.info("Scale of 0 disables regularizer.")
        return _disabled
    return L2(scale)


def l1_l2_regularizer(
    scale_l1: float = 1.0, scale_l2: float = 1.0, scope: str | None = None
) -> Callable:
    """Returns the sum of ``l1_regularizer(scale_l1)`` and ``l2_regularizer(scale_l2)``.

    Raises:
      ValueError: for integer or negative scales.
    """
    del scope
    if isinstance(scale_l1, numbers.Integral):
        raise ValueError("scale_l1 cannot be an integer: %s" % (scale_l1,))
    if isinstance(scale_l2, numbers.Integral):
        raise ValueError("scale_l2 cannot be an integer: %s" % (scale_l2,))
    if scale_l1 == 0.0:
        return l2_regularizer(scale_l2)
    if scale_l2 == 0.0:
        return l1_regularizer(scale_l1)
    return SumRegularizer([l1_regularizer(scale_l1), l2_regularizer(scale_l2)])


def sum_regularizer(
    regularizer_list: Sequence[Callable | None], scope: str | None = None
) -> Callable | None:
    """Returns a regularizer summing the non-None regularizers of the list, or None."""
    del scope
    regularizers = [r for r in regularizer_list if r is not None]
    if not regularizers:
        return None
    return SumRegularizer(regularizers)


def apply_regularization(
    regularizer: Callable,
    weights_list: Sequence[tf.Variable | keras.Variable | Tensor] | None = None,
) -> keras.KerasTensor | tf.Tensor:
    """Sums ``regularizer`` over ``weights_list`` and records it as a regularization loss.

    Args:
      regularizer: a callable ``weights -> scalar``.
      weights_list: the variables; default the graph's WEIGHTS collection
        (which slim layers leave empty, as in slim).

    Returns:
      The scalar penalty (also appended to REGULARIZATION_LOSSES).

    Raises:
      ValueError: with no weights, or a non-scalar penalty.
    """
    from kslim.ops.graph import GraphKeys, get_default_graph

    graph = get_default_graph()
    if weights_list is None:
        weights_list = graph.get_collection(GraphKeys.WEIGHTS)
    if not weights_list:
        raise ValueError("No weights to regularize.")
    penalties = [regularizer(w) for w in weights_list]
    penalties = [p for p in penalties if p is not None]
    for p in penalties:
        rank = len(tf.convert_to_tensor(p).shape)
        if rank != 0:
            raise ValueError(
                "regularizer must return a scalar Tensor instead of a Tensor with rank %d." % rank
            )
    summed = tf.add_n(penalties) if penalties else tf.constant(0.0)
    graph.add_to_collection(GraphKeys.REGULARIZATION_LOSSES, summed)
    return summed
