"""Activation functions given the slim way (``tf.nn.relu``) as Keras names."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
import tensorflow as tf

__all__ = ["activation_name", "get_activation"]


def _known() -> dict[Any, str]:
    table = {
        tf.nn.relu: "relu",
        tf.nn.relu6: "relu6",
        tf.nn.elu: "elu",
        tf.nn.selu: "selu",
        tf.nn.sigmoid: "sigmoid",
        tf.sigmoid: "sigmoid",
        tf.nn.tanh: "tanh",
        tf.tanh: "tanh",
        tf.nn.softplus: "softplus",
        tf.nn.softsign: "softsign",
        tf.nn.softmax: "softmax",
        tf.nn.silu: "silu",
        tf.nn.swish: "silu",
        tf.identity: "linear",
    }
    for name in (
        "relu",
        "relu6",
        "elu",
        "selu",
        "sigmoid",
        "tanh",
        "softplus",
        "softsign",
        "softmax",
        "silu",
        "linear",
    ):
        table[keras.activations.get(name)] = name
    return table


_TABLE: dict[Any, str] | None = None


def activation_name(fn: Callable | str | None) -> str | Callable | None:
    """Returns a Keras activation name for ``fn`` when one exists, else ``fn``.

    Args:
      fn: None, a Keras activation name, or a callable (``tf.nn.relu``...).

    Returns:
      None, a name string, or the callable itself (a custom activation).

    Raises:
      TypeError: if ``fn`` is neither None, a string nor callable.
    """
    global _TABLE
    if fn is None or isinstance(fn, str):
        return fn
    if not callable(fn):
        raise TypeError(f"activation_fn must be callable or None, got {fn!r}")
    if _TABLE is None:
        _TABLE = _known()
    try:
        return _TABLE.get(fn, fn)
    except TypeError:  # unhashable callable
        return fn


def get_activation(spec: str | Callable | dict | None) -> Callable | None:
    """Resolves a name, a serialized Keras activation or a callable."""
    if spec is None:
        return None
    if spec == "relu6":
        return tf.nn.relu6
    if isinstance(spec, (str, dict)):
        return keras.activations.get(spec)
    return spec


def serialize_activation(spec: str | Callable | None):
    """A config entry for an activation (name, or a Keras-serialized callable)."""
    if spec is None or isinstance(spec, str):
        return spec
    return keras.saving.serialize_keras_object(spec)
