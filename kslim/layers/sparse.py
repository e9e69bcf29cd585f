"""slim.dense_to_sparse: a dense label tensor as a ``tf.SparseTensor`` (for ctc_loss)."""

from __future__ import annotations

import keras
import tensorflow as tf

from kslim.layers.base import apply_op, register_op
from kslim.ops.variable_scope import variable_scope
from kslim.tensor_types import Collections, Scope, TensorLike
from kslim.utils import collect_named_outputs

__all__ = ["dense_to_sparse"]


@register_op("dense_to_sparse")
def _dense_to_sparse_op(x: TensorLike, eos_token: int = 0):
    x = tf.convert_to_tensor(x)
    indices = tf.where(tf.not_equal(x, tf.constant(eos_token, x.dtype)))
    values = tf.gather_nd(x, indices)
    return tf.SparseTensor(indices, values, tf.shape(x, out_type=tf.int64))


def dense_to_sparse(
    tensor: TensorLike,
    eos_token: int = 0,
    outputs_collections: Collections | None = None,
    scope: Scope | None = None,
) -> tf.SparseTensor | keras.KerasTensor:
    """The entries of ``tensor`` other than ``eos_token`` as a ``tf.SparseTensor``.

    Args:
      tensor: an integer tensor or KerasTensor (``[batch, max_len]`` labels).
      eos_token: the padding value left out, default 0.
      outputs_collections: collections receiving the output.
      scope: variable scope, default ``dense_to_sparse`` made unique.

    Returns:
      A ``tf.SparseTensor`` (int64 indices in row-major order, dense shape of
      ``tensor``); on a KerasTensor a sparse KerasTensor.

    Raises:
      TypeError: if ``eos_token`` is not an integer.
    """
    if not isinstance(eos_token, int) or isinstance(eos_token, bool):
        raise TypeError(f"dense_to_sparse: eos_token must be an integer, got {eos_token!r}")
    with variable_scope(scope, "dense_to_sparse") as sc:
        outputs = apply_op(
            "dense_to_sparse",
            tensor,
            sc.original_name_scope.rstrip("/"),
            eos_token=eos_token,
        )
        return collect_named_outputs(outputs_collections, sc.name, outputs)
