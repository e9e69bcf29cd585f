"""Data layouts: slim's channels-first formats run as transposes around a channels-last op."""

from __future__ import annotations

import tensorflow as tf

from kslim.tensor_types import Tensor

__all__ = ["channels_first", "to_channels_first", "to_channels_last"]


def channels_first(data_format: str | None) -> bool:
    """True for NCW/NCHW/NCDHW.

    Args:
      data_format: slim's spelling (``'NHWC'``, ``'NCHW'`` ...) or None.

    Returns:
      Whether the channels come right after the batch axis.
    """
    return data_format is not None and data_format.startswith("NC")


def to_channels_last(x: Tensor, rank: int) -> tf.Tensor:
    """NC... -> N...C for ``rank`` spatial dimensions.

    Args:
      x: a tensor of rank ``rank + 2``.
      rank: the number of spatial dimensions.

    Returns:
      The transposed tensor.
    """
    return tf.transpose(x, [0] + list(range(2, rank + 2)) + [1])


def to_channels_first(x: Tensor, rank: int) -> tf.Tensor:
    """N...C -> NC... for ``rank`` spatial dimensions.

    Args:
      x: a tensor of rank ``rank + 2``.
      rank: the number of spatial dimensions.

    Returns:
      The transposed tensor.
    """
    return tf.transpose(x, [0, rank + 1] + list(range(1, rank + 1)))
