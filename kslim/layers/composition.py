"""slim's layer composition: ``repeat`` and ``stack`` (outer scopes ``Repeat`` / ``Stack``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
import tensorflow as tf

from kslim.layers.base import is_symbolic
from kslim.ops.variable_scope import variable_scope
from kslim.tensor_types import TensorLike

__all__ = ["repeat", "stack"]


def _inner_scope_prefix(layer: Callable, fallback: str) -> str:
    """``layer.__name__``, or ``layer.func.__name__`` for a partial, else ``fallback``."""
    if hasattr(layer, "__name__"):
        return layer.__name__
    if hasattr(layer, "func") and hasattr(layer.func, "__name__"):
        return layer.func.__name__
    return fallback


def _as_input(inputs: TensorLike):
    # slim converts the inputs to a tensor; KerasTensors stay symbolic.
    if is_symbolic(inputs):
        return inputs
    return tf.convert_to_tensor(inputs)


def repeat(
    inputs: TensorLike, repetitions: int, layer: Callable, *args: Any, **kwargs: Any
) -> keras.KerasTensor | tf.Tensor:
    """Applies ``layer`` ``repetitions`` times with the same arguments.

    ``repeat(x, 3, conv2d, 64, [3, 3], scope='conv1')`` is
    ``conv2d(conv2d(conv2d(x, 64, [3, 3], scope='conv1/conv1_1'), ...,
    scope='conv1/conv1_2'), ..., scope='conv1/conv1_3')``. Without ``scope``
    the outer variable scope is ``Repeat`` (made unique) and the inner scopes
    use ``layer.__name__`` (``convolution2d`` for ``conv2d``), or
    ``layer.func.__name__`` for a ``functools.partial``, or ``'repeat'``.

    Args:
      inputs: a tensor or KerasTensor.
      repetitions: number of applications (an int; 0 or less returns ``inputs``).
      layer: a layer function ``(inputs, *args, **kwargs)``.
      *args: positional arguments of every call.
      **kwargs: keyword arguments of every call; ``scope`` names the outer scope.

    Returns:
      The output of the last application.

    Raises:
      TypeError: if ``layer`` is not callable or ``repetitions`` not an int.
    """
    if not callable(layer):
        raise TypeError(f"repeat: layer must be callable, got {layer!r}")
    if isinstance(repetitions, bool) or not isinstance(repetitions, int):
        raise TypeError(f"repeat: repetitions must be an int, got {repetitions!r}")
    scope = kwargs.pop("scope", None)
    with variable_scope(scope, "Repeat"):
        inputs = _as_input(inputs)
        if scope is None:
            scope = _inner_scope_prefix(layer, "repeat")
        outputs = inputs
        for i in range(repetitions):
            kwargs["scope"] = scope + "_" + str(i + 1)
            outputs = layer(outputs, *args, **kwargs)
        return outputs


def stack(
    inputs: TensorLike,
    layer: Callable,
    stack_args: list[Any] | tuple[Any, ...],
    **kwargs: Any,
) -> keras.KerasTensor | tf.Tensor:
    """Applies ``layer`` once per entry of ``stack_args``, chaining the outputs.

    ``stack(x, fully_connected, [32, 64, 128], scope='fc')`` is
    ``fully_connected(..., 32, scope='fc/fc_1')`` then ``'fc/fc_2'``,
    ``'fc/fc_3'``. A tuple/list entry gives several positional arguments
    (``stack(x, conv2d, [(32, [3, 3]), (64, [1, 1])])``). Scope naming as in
    ``repeat``, with outer scope ``Stack`` and fallback ``'stack'``.

    Args:
      inputs: a tensor or KerasTensor.
      layer: a layer function ``(inputs, *args, **kwargs)``.
      stack_args: a list or tuple; entry ``i`` holds the positional
        argument(s) of call ``i``.
      **kwargs: keyword arguments of every call; ``scope`` names the outer scope.

    Returns:
      The output of the last layer.

    Raises:
      ValueError: ``'stack_args need to be a list or tuple'``.
      TypeError: if ``layer`` is not callable.
    """
    scope = kwargs.pop("scope", None)
    if not isinstance(stack_args, (list, tuple)):
        raise ValueError("stack_args need to be a list or tuple")
    if not callable(layer):
        raise TypeError(f"stack: layer must be callable, got {layer!r}")
    with variable_scope(scope, "Stack"):
        inputs = _as_input(inputs)
        if scope is None:
            scope = _inner_scope_prefix(layer, "stack")
        outputs = inputs
        for i, layer_args in enumerate(stack_args):
            kwargs["scope"] = scope + "_" + str(i + 1)
            if not isinstance(layer_args, (list, tuple)):
                layer_args = [layer_args]
            outputs = layer(outputs, *layer_args, **kwargs)
        return outputs
