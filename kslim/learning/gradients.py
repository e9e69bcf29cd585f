"""Gradient helpers of slim.learning: clipping, multipliers and gradient summaries."""

from __future__ import annotations

import logging
from typing import Any

import keras
import tensorflow as tf

__all__ = ["add_gradients_summaries", "clip_gradient_norms", "multiply_gradients"]

_log = logging.getLogger("kslim")

# ``(gradient, variable)`` pairs; a gradient is dense, ``tf.IndexedSlices`` or None.
_GradsAndVars = list[tuple[tf.Tensor | tf.IndexedSlices | None, tf.Variable | keras.Variable]]


def clip_gradient_norms(gradients_to_variables: _GradsAndVars, max_norm: float | tf.Tensor) -> list:
    """Clips each gradient to norm ``max_norm`` (per tensor, slim's rule).

    Args:
      gradients_to_variables: list of (gradient, variable); None gradients kept.
      max_norm: the maximum norm.

    Returns:
      The clipped list.
    """
    clipped = []
    for grad, var in gradients_to_variables:
        if grad is not None:
            if isinstance(grad, tf.IndexedSlices):
                grad = tf.IndexedSlices(
                    tf.clip_by_norm(grad.values, max_norm), grad.indices, grad.dense_shape
                )
            else:
                grad = tf.clip_by_norm(grad, max_norm)
        clipped.append((grad, var))
    return clipped


def _var_name(var: tf.Variable | keras.Variable) -> str:
    return getattr(var, "path", None) or var.name.split(":")[0]


def multiply_gradients(
    grads_and_vars: _GradsAndVars, gradient_multipliers: dict[Any, float | tf.Tensor]
) -> list:
    """Multiplies gradients by per-variable factors.

    Args:
      grads_and_vars: list of (gradient, variable).
      gradient_multipliers: dict keyed by a variable's slim name (``'fc1/weights'``)
        or by ``variable.ref()`` (TF2 variables are unhashable; for a Keras
        variable, ``v.value.ref()``).

    Returns:
      The scaled list.

    Raises:
      ValueError: slim's messages for a non-list, empty or non-dict argument
        or a multiplier for a None gradient.
    """
    if not isinstance(grads_and_vars, list):
        raise ValueError("`grads_and_vars` must be a list.")
    if not gradient_multipliers:
        raise ValueError("`gradient_multipliers` is empty.")
    if not isinstance(gradient_multipliers, dict):
        raise ValueError("`gradient_multipliers` must be a dict.")
    by_name, by_id = {}, {}
    for key, value in gradient_multipliers.items():
        if hasattr(key, "deref"):  # ``variable.ref()``: TF2 variables are unhashable
            key = key.deref()
        if isinstance(key, str):
            by_name[key] = value
        else:
            by_id[id(key)] = value
    out = []
    for grad, var in grads_and_vars:
        name = _var_name(var)
        mult = by_id.get(id(var), by_id.get(id(getattr(var, "value", None)), by_name.get(name)))
        if mult is not None:
            if grad is None:
                raise ValueError("Requested multiple of `None` gradient.")
            mult = tf.cast(mult, grad.dtype)
            if isinstance(grad, tf.IndexedSlices):
                grad = tf.IndexedSlices(grad.values * mult, grad.indices, grad.dense_shape)
            else:
                grad = grad * mult
        out.append((grad, var))
    return out


def add_gradients_summaries(grads_and_vars: _GradsAndVars) -> dict[str, Any]:
    """Returns slim's gradient summaries as a dict ``'<kind>:<tag>'`` -> tensor.

    ``<var>_gradient`` (histogram) and ``<var>_gradient_norm`` (scalar).
    """
    summaries = {}
    for grad, var in grads_and_vars:
        if grad is None:
            _log.info("Var %s has no gradient", _var_name(var))
            continue
        values = grad.values if isinstance(grad, tf.IndexedSlices) else grad
        summaries["histogram:" + _var_name(var) + "_gradient"] = values
        summaries["scalar:" + _var_name(var) + "_gradient_norm"] = tf.linalg.global_norm([values])
    return summaries
