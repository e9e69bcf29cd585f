"""slim's loss reduction (``SUM_BY_NONZERO_WEIGHTS``) and the helpers every loss shares.

A loss is reduced as slim does: the weighted sum divided by the number of
elements with a non-zero weight, weights broadcast over the *leading*
dimensions. On KerasTensors each loss is a weightless ``SlimOp`` layer, so the
losses are part of the Keras functional graph; on concrete tensors they are
computed directly.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import tensorflow as tf

from kslim.layers.base import apply_op, is_symbolic, register_op
from kslim.losses.collection import add_loss
from kslim.ops.variable_scope import name_scope
from kslim.tensor_types import Scope, TensorLike

__all__ = ["compute_weighted_loss"]


def weighted_reduce(losses: tf.Tensor, weights: TensorLike):
    """slim's compute_weighted_loss on tensors: sum(w·l) / #non-zero weights."""
    input_dtype = losses.dtype
    losses = tf.cast(losses, tf.float32)
    weights = tf.cast(tf.convert_to_tensor(weights), tf.float32)
    if weights.shape.rank is not None and weights.shape.rank > 1 and weights.shape[-1] == 1:
        weights = tf.squeeze(weights, [-1])
    w_rank = weights.shape.rank
    l_rank = losses.shape.rank
    if w_rank is None or l_rank is None:
        raise ValueError("compute_weighted_loss: losses and weights need a known rank")
    if w_rank > l_rank:
        raise ValueError(
            f"weights must have rank <= rank of losses, got weights shape {weights.shape} "
            f"and losses shape {losses.shape}"
        )
    reduced = losses
    if l_rank > w_rank:
        reduced = tf.reduce_sum(losses, axis=list(range(w_rank, l_rank)))
    total = tf.reduce_sum(reduced * weights)
    if w_rank == 0:
        num_present = tf.where(tf.equal(weights, 0.0), 0.0, tf.cast(tf.size(losses), tf.float32))
    else:
        per = tf.cast(tf.reduce_prod(tf.shape(losses)[w_rank:]), tf.float32)
        # As slim: the non-zero weights are counted as given, not broadcast first.
        nonzero = tf.cast(tf.math.count_nonzero(weights), tf.float32)
        num_present = nonzero * per
    return tf.cast(tf.math.divide_no_nan(total, num_present), input_dtype)


def apply_loss(
    op: str,
    tensors: list,
    weights: Any,
    scope: str | None,
    default: str,
    collect: bool = True,
    **kwargs: Any,
):
    """Runs loss op ``op`` on ``tensors`` (+ weights) in name scope ``scope``/``default``.

    The result is named ``<name scope>/value`` (``op_name``, used by
    ``get_losses(scope)``) and, if ``collect``, added to LOSSES. ``weights=None``
    means the op takes no weights (``hinge_loss``).
    """
    inputs = list(tensors)
    if weights is not None:
        _pass_weights(weights, inputs, kwargs)
    with name_scope(scope, default) as ns:
        loss = apply_op(op, inputs, ns + "value", **kwargs)
    _set_op_name(loss, ns + "value")
    if collect:
        add_loss(loss)
    return loss


def _pass_weights(weights: Any, inputs: list, kwargs: dict) -> None:
    """Adds ``weights`` to the op's inputs (tensors) or kwargs (JSON-able constants).

    A KerasTensor, or a tensor when the losses are concrete, becomes the op's
    last input; a Python/numpy constant (or an eager tensor feeding a Keras
    graph) becomes a JSON-able kwarg so the graph stays serializable.
    """
    symbolic_inputs = is_symbolic(inputs)
    if is_symbolic(weights) or (
        isinstance(weights, (tf.Tensor, tf.Variable)) and not symbolic_inputs
    ):
        inputs.append(weights)
        kwargs["tensor_weights"] = True
        return
    try:
        value = np.asarray(weights, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(
            f"weights must be a number, an array or a tensor, got {weights!r}"
        ) from err
    kwargs["weights"] = float(value) if value.ndim == 0 else value.tolist()


def _set_op_name(tensor: Any, op_name: str) -> None:
    try:
        tensor.op_name = op_name
    except AttributeError:  # a tensor type without a __dict__: no scope filtering
        pass


def check_weights(weights: Any) -> None:
    """Raises ValueError for ``weights=None`` (slim's losses need weights)."""
    if weights is None:
        raise ValueError("weights cannot be None, got weights=None")


def check_labels(labels: Any, name: str = "labels") -> None:
    """Raises ValueError naming ``name`` when ``labels`` is None."""
    if labels is None:
        raise ValueError(f"{name} must be given, got {name}=None")


def split_weights(args: tuple[tf.Tensor, ...], kwargs: dict[str, Any]):
    """A loss op's ``(tensor inputs, weights)`` from its inputs and kwargs (see ``apply_loss``)."""
    if kwargs.pop("tensor_weights", False):
        return list(args[:-1]), args[-1]
    return list(args), kwargs.pop("weights", 1.0)


@register_op("weighted_loss")
def _weighted_loss_op(*args: Any, **kwargs: Any):
    (losses,), weights = split_weights(args, kwargs)
    return weighted_reduce(tf.convert_to_tensor(losses), weights)


def compute_weighted_loss(
    losses: TensorLike, weights: TensorLike = 1.0, scope: Scope | None = None
) -> keras.KerasTensor | tf.Tensor:
    """Reduces ``losses`` slim's way and adds the result to LOSSES.

    Args:
      losses: tensor of per-element losses [batch, d1, ...].
      weights: scalar or tensor whose shape is a prefix of ``losses``' shape
        (a trailing dimension of 1 is squeezed).
      scope: name scope, default ``weighted_loss``.

    Returns:
      The scalar loss: sum(weights·losses) / number of non-zero-weighted elements.

    Raises:
      ValueError: if ``weights`` has a higher rank than ``losses``.
    """
    check_weights(weights)
    return apply_loss("weighted_loss", [losses], weights, scope, "weighted_loss")
