"""slim's weightless tensor transforms.

one_hot_encoding, softmax, unit_norm, maxout and scale_gradient:
each a registered op (``kslim.layers.base.register_op``): a graph node on
KerasTensors, computed directly on concrete tensors.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from kslim.layers.base import apply_named_op, apply_op, is_symbolic, register_op
from kslim.ops.arg_scope import add_arg_scope
from kslim.ops.variable_scope import variable_scope
from kslim.tensor_types import Collections, Scope, Tensor, TensorLike
from kslim.utils import collect_named_outputs, last_dimension

__all__ = [
    "maxout",
    "one_hot_encoding",
    "scale_gradient",
    "single_input",
    "softmax",
    "unit_norm",
]


def single_input(x: TensorLike) -> keras.KerasTensor | tf.Tensor:
    """A list/tuple given as one tensor (``apply_op`` would spread it over arguments).

    Args:
      x: a tensor, KerasTensor, or a (nested) list of numbers.

    Returns:
      ``x``, a concrete list converted to one tensor.
    """
    if isinstance(x, (list, tuple)) and not is_symbolic(x):
        return tf.convert_to_tensor(x)
    return x


@register_op("one_hot_encoding")
def _one_hot_op(
    labels: TensorLike, num_classes: int | Tensor, on_value: float = 1.0, off_value: float = 0.0
):
    labels = tf.convert_to_tensor(labels)
    if labels.dtype == tf.int32:
        labels = tf.cast(labels, tf.int64)
    return tf.one_hot(labels, num_classes, on_value=on_value, off_value=off_value)


@add_arg_scope
def one_hot_encoding(
    labels: TensorLike,
    num_classes: int | Tensor,
    on_value: float = 1.0,
    off_value: float = 0.0,
    outputs_collections: Collections | None = None,
    scope: Scope | None = None,
) -> keras.KerasTensor | tf.Tensor:
    """One-hot encodes ``labels`` with ``tf.one_hot`` (name scope ``OneHotEncoding``).

    Args:
      labels: integer labels (int32 labels are cast to int64, as in slim).
      num_classes: the number of classes (a Python int on KerasTensors).
      on_value: value of the hot entry, default 1.0 (float32 output).
      off_value: value of the other entries, default 0.0.
      outputs_collections: collections receiving the output.
      scope: name scope.

    Returns:
      The one-hot tensor, shape ``labels.shape + [num_classes]``.

    Raises:
      TypeError: if ``num_classes`` is not an int while building a Keras graph.
    """
    if is_symbolic(labels):
        if not isinstance(num_classes, (int, np.integer)) or isinstance(num_classes, bool):
            raise TypeError(
                f"one_hot_encoding: num_classes must be a Python int on KerasTensors, got "
                f"{num_classes!r}"
            )
        num_classes = int(num_classes)
    outputs, alias = apply_named_op(
        "one_hot_encoding",
        single_input(labels),
        scope,
        "OneHotEncoding",
        num_classes=num_classes,
        on_value=on_value,
        off_value=off_value,
    )
    return collect_named_outputs(outputs_collections, alias, outputs)


@register_op("softmax")
def _softmax_op(logits: TensorLike):
    logits = tf.convert_to_tensor(logits)
    num_logits = int(logits.shape[-1])
    predictions = tf.nn.softmax(tf.reshape(logits, [-1, num_logits]))
    predictions = tf.reshape(predictions, tf.shape(logits))
    predictions.set_shape(logits.shape)
    return predictions


@add_arg_scope
def softmax(logits: TensorLike, scope: Scope | None = None) -> keras.KerasTensor | tf.Tensor:
    """Softmax over the last axis of an N-D tensor (variable scope ``softmax``).

    Args:
      logits: a tensor of rank >= 2 with a known last dimension.
      scope: variable scope, default ``softmax`` made unique.

    Returns:
      A tensor of the shape and dtype of ``logits``.

    Raises:
      ValueError: slim's ``last_dimension`` messages for rank < 2 or an unknown
        last dimension.
    """
    shape = getattr(logits, "shape", None)
    if shape is None:
        raise ValueError("dims of shape must be known but is None")
    with variable_scope(scope, "softmax") as sc:
        last_dimension(shape, min_rank=2)
        return apply_op("softmax", single_input(logits), sc.original_name_scope.rstrip("/"))


@register_op("unit_norm")
def _unit_norm_op(x: Tensor, dim: int, epsilon: float = 1e-7):
    x = tf.convert_to_tensor(x)
    lengths = tf.sqrt(epsilon + tf.reduce_sum(tf.square(x), dim, keepdims=True))
    return x / lengths


@add_arg_scope
def unit_norm(
    inputs: Tensor, dim: int, epsilon: float = 1e-7, scope: Scope | None = None
) -> keras.KerasTensor | tf.Tensor:
    """``inputs / sqrt(epsilon + sum(inputs², dim))`` (variable scope ``UnitNorm``).

    Args:
      inputs: a tensor of known rank.
      dim: the axis to normalize, in ``[0, rank)``.
      epsilon: added under the square root, default 1e-7.
      scope: variable scope, default ``UnitNorm`` made unique.

    Returns:
      The normalized tensor.

    Raises:
      ValueError: ``'The input rank must be known.'`` (also for scalars) or
        ``'dim must be positive but smaller than the input rank.'``.
    """
    with variable_scope(scope, "UnitNorm") as sc:
        shape = getattr(inputs, "shape", None)
        if shape is None or getattr(shape, "rank", len(shape)) is None or len(shape) == 0:
            raise ValueError("The input rank must be known.")
        if not isinstance(dim, (int, np.integer)) or dim < 0 or dim >= len(shape):
            raise ValueError(
                "dim must be positive but smaller than the input rank. "
                f"(dim={dim!r}, rank {len(shape)})"
            )
        return apply_op(
            "unit_norm",
            single_input(inputs),
            sc.original_name_scope.rstrip("/"),
            dim=int(dim),
            epsilon=epsilon,
        )


@register_op("maxout")
def _maxout_op(x: Tensor, num_units: int, axis: int = -1):
    x = tf.convert_to_tensor(x)
    shape = x.shape.as_list()
    num_channels = shape[axis]
    shape[axis] = num_units
    shape += [num_channels // num_units]
    dynamic = tf.shape(x)
    for i in range(len(shape)):
        if shape[i] is None:
            shape[i] = dynamic[i]
    return tf.reduce_max(tf.reshape(x, shape), -1, keepdims=False)


@add_arg_scope
def maxout(
    inputs: Tensor, num_units: int, axis: int = -1, scope: Scope | None = None
) -> keras.KerasTensor | tf.Tensor:
    """Maxout (variable scope ``MaxOut``): max over groups of ``axis``.

    As in slim, the grouped axis is reshaped to ``num_units`` and the group
    index is appended as a new last axis, which is reduced with max.

    Args:
      inputs: a tensor with a known dimension ``axis``.
      num_units: features kept; must divide ``inputs.shape[axis]``.
      axis: the axis pooled over, default -1.
      scope: variable scope, default ``MaxOut`` made unique.

    Returns:
      The maxout tensor.

    Raises:
      ValueError: ``'number of features(C) is not a multiple of num_units(k)'``,
        or if that dimension is unknown.
    """
    with variable_scope(scope, "MaxOut") as sc:
        shape = getattr(inputs, "shape", None)
        if shape is None or getattr(shape, "rank", len(shape)) is None:
            raise ValueError(f"maxout: inputs {inputs!r} has undefined rank")
        if not isinstance(axis, (int, np.integer)) or not -len(shape) <= axis < len(shape):
            raise ValueError(f"maxout: axis={axis!r} is out of range for shape {tuple(shape)}")
        num_channels = shape[axis]
        if num_channels is None:
            raise ValueError(
                f"maxout: dimension {axis} of inputs must be known, got shape {tuple(shape)}"
            )
        if not isinstance(num_units, (int, np.integer)) or num_units <= 0:
            raise ValueError(f"maxout: num_units must be a positive int, got {num_units!r}")
        if num_channels % num_units:
            raise ValueError(
                f"number of features({num_channels}) is not a multiple of num_units({num_units})"
            )
        return apply_op(
            "maxout",
            single_input(inputs),
            sc.original_name_scope.rstrip("/"),
            num_units=int(num_units),
            axis=int(axis),
        )


@register_op("scale_gradient")
def _scale_gradient_op(x: Tensor, gradient_multiplier: float | Tensor):
    @tf.custom_gradient
    def identity(value: tf.Tensor):
        def grad(dy: tf.Tensor):
            return dy * gradient_multiplier

        return tf.identity(value), grad

    return identity(x)


def scale_gradient(
    inputs: Tensor, gradient_multiplier: float | Tensor
) -> keras.KerasTensor | tf.Tensor:
    """Identity forward; the gradient to ``inputs`` is multiplied by ``gradient_multiplier``.

    Not arg-scoped, as in slim. On a KerasTensor it is a graph node (layer
    named by the name scope ``ScaleGradient``) and ``gradient_multiplier`` must
    be a Python number.

    Args:
      inputs: the tensor.
      gradient_multiplier: a number, or (on concrete tensors) a tensor
        broadcastable to ``inputs``.

    Returns:
      A tensor equal to ``inputs``.

    Raises:
      TypeError: if ``gradient_multiplier`` is not a number while building a
        Keras graph.
    """
    if is_symbolic(inputs):
        if isinstance(gradient_multiplier, bool) or not isinstance(
            gradient_multiplier, (int, float, np.integer, np.floating)
        ):
            raise TypeError(
                "scale_gradient: gradient_multiplier must be a Python number on KerasTensors, "
                f"got {gradient_multiplier!r}"
            )
        gradient_multiplier = float(gradient_multiplier)
    outputs, _ = apply_named_op(
        "scale_gradient",
        single_input(inputs),
        None,
        "ScaleGradient",
        gradient_multiplier=gradient_multiplier,
    )
    return outputs
