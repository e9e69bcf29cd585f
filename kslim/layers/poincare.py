"""slim.layers.poincare_normalize: projection into the Poincaré ball."""

from __future__ import annotations

import keras
import tensorflow as tf

from kslim.layers.base import apply_named_op, register_op
from kslim.tensor_types import Size, Tensor

__all__ = ["poincare_normalize"]


@register_op("poincare_normalize")
def _poincare_normalize_op(x: Tensor, axis: Size = 1, epsilon: float = 1e-5):
    x = tf.convert_to_tensor(x)
    square_sum = tf.reduce_sum(tf.square(x), axis, keepdims=True)
    inv_norm = tf.minimum((1.0 - epsilon) * tf.math.rsqrt(square_sum), 1.0)
    return x * inv_norm


def poincare_normalize(
    x: Tensor, axis: Size = 1, epsilon: float = 1e-5, name: str | None = None
) -> keras.KerasTensor | tf.Tensor:
    """Projects each slice along ``axis`` into the ball of norm ``1 - epsilon``.

    ``x * (1 - epsilon) / ||x||`` where ``||x|| > 1 - epsilon``, else ``x``.

    Args:
      x: a float tensor or KerasTensor.
      axis: the axis (int) or axes (list of ints) of a slice, default 1.
      epsilon: distance kept from the unit sphere, default 1e-5.
      name: optional name scope, default ``poincare_normalize``.

    Returns:
      A tensor of ``x``'s shape.

    Raises:
      TypeError: if ``axis`` is not an int or a list of ints.
    """
    if isinstance(axis, (list, tuple)):
        if not all(isinstance(a, int) and not isinstance(a, bool) for a in axis):
            raise TypeError(f"poincare_normalize: axis must be ints, got {axis!r}")
        axis = [int(a) for a in axis]
    elif not isinstance(axis, int) or isinstance(axis, bool):
        raise TypeError(f"poincare_normalize: axis must be an int or list of ints, got {axis!r}")
    output, _ = apply_named_op(
        "poincare_normalize", x, name, "poincare_normalize", axis=axis, epsilon=float(epsilon)
    )
    return output
