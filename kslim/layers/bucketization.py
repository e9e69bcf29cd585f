"""slim.bucketize: which bucket of sorted boundaries each value falls in."""

from __future__ import annotations

import numbers

import keras
import tensorflow as tf

from kslim.layers.base import apply_named_op, register_op
from kslim.tensor_types import Tensor

__all__ = ["bucketize"]


@register_op("bucketize")
def _bucketize_op(x: Tensor, boundaries: list[float]):
    return tf.raw_ops.Bucketize(input=x, boundaries=boundaries)


def bucketize(
    input_tensor: Tensor,
    boundaries: list[float] | tuple[float, ...],
    name: str | None = None,
) -> keras.KerasTensor | tf.Tensor:
    """Bucket index of each value: ``i`` with ``boundaries[i-1] <= x < boundaries[i]``.

    Values below ``boundaries[0]`` are in bucket 0, values at or above the last
    boundary in bucket ``len(boundaries)``.

    Args:
      input_tensor: a numeric tensor or KerasTensor.
      boundaries: a sorted list (or tuple) of floats.
      name: optional name scope, default ``Bucketize``.

    Returns:
      An int32 tensor of ``input_tensor``'s shape.

    Raises:
      TypeError: if ``boundaries`` is not a list or tuple of numbers.
      ValueError: if ``boundaries`` is not sorted.
    """
    if not isinstance(boundaries, (list, tuple)) or not all(
        isinstance(b, numbers.Real) and not isinstance(b, bool) for b in boundaries
    ):
        raise TypeError(f"bucketize: boundaries must be a list of floats, got {boundaries!r}")
    boundaries = [float(b) for b in boundaries]
    if boundaries != sorted(boundaries):
        raise ValueError(f"bucketize: boundaries must be sorted, got {boundaries!r}")
    output, _ = apply_named_op("bucketize", input_tensor, name, "Bucketize", boundaries=boundaries)
    return output
