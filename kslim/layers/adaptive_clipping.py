"""slim.adaptive_clipping_fn: clip gradients by a running estimate of their norm.

Keeps moving averages of ``log(norm)`` and its square (arXiv:1412.1602, 3.2.1); when
the global norm exceeds ``exp(mean + std_factor * std)`` every gradient is rescaled
so the global norm becomes ``exp(mean)``. The function is a ``transform_grads_fn`` /
``optimize_loss(clip_gradients=...)``; its two averages are variables created when
``adaptive_clipping_fn`` is called (TF1 created them on the first call), so the train
step, which runs it inside ``tf.function``, creates none.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import keras
import tensorflow as tf

from kslim.ops.graph import Graph, GraphKeys, get_default_graph
from kslim.ops.variable_scope import variable_scope
from kslim.tensor_types import Tensor

__all__ = ["adaptive_clipping_fn"]

_GradsAndVars = Sequence[tuple[tf.Tensor | tf.IndexedSlices | None, tf.Variable | keras.Variable]]


def _resolve_step(global_step: tf.Variable | keras.Variable | Tensor | None, graph: Graph):
    """The step to read: a graph's global step follows the TrainOp's ``iterations``."""
    if global_step is None:
        return None
    graph_steps = graph.get_collection(GraphKeys.GLOBAL_STEP)
    if any(global_step is s for s in graph_steps):
        return lambda: graph.get_collection(GraphKeys.GLOBAL_STEP)[-1]
    return lambda: global_step


def adaptive_clipping_fn(
    std_factor: float = 2.0,
    decay: float = 0.95,
    static_max_norm: float | None = None,
    global_step: tf.Variable | keras.Variable | Tensor | None = None,
    report_summary: bool = False,
    epsilon: float = 1e-8,
    name: str | None = None,
) -> Callable:
    """Returns ``fn(grads_and_vars) -> clipped grads_and_vars`` (slim's adaptive clipping).

    Args:
      std_factor: ``max_norm = exp(mean + std_factor * std)``, default 2.0.
      decay: decay of the moving averages, default 0.95.
      static_max_norm: optional extra bound on the global norm.
      global_step: optional step; then ``decay = min(decay, n / (n + 1))`` for
        faster early adaptation. The graph's global step
        (``slim.get_or_create_global_step()``) is read as the TrainOp's
        optimizer ``iterations``; any other variable or tensor is read as is.
      report_summary: must be False: the clip function runs inside the train
        step, where kslim records no summaries (``summarize_gradients`` of
        ``create_train_op`` reports gradient norms).
      epsilon: added to the norm and the variance floor, default 1e-8.
      name: variable scope of the averages, default ``AdaptiveMaxNorm`` made
        unique; variables ``<scope>/mean`` and ``<scope>/sq_mean`` (float32
        scalars, not trainable, checkpointed with the TrainOp).

    Returns:
      The clipping function. ``None`` gradients stay None; ``IndexedSlices``
      have their values scaled.

    Raises:
      ValueError: for ``report_summary=True`` or a ``decay`` outside [0, 1].
    """
    from kslim.variables import variable

    if report_summary:
        raise ValueError(
            "adaptive_clipping_fn: report_summary=True is not supported by kslim (the clip "
            "function runs inside the train step); use create_train_op(summarize_gradients="
            "True) for gradient-norm summaries"
        )
    if not 0.0 <= float(decay) <= 1.0:
        raise ValueError(f"adaptive_clipping_fn: decay must be in [0, 1], got {decay!r}")
    graph = get_default_graph()
    with variable_scope(name, "AdaptiveMaxNorm"):
        zeros = tf.compat.v1.zeros_initializer()
        mean_var = variable("mean", shape=[], dtype=tf.float32, initializer=zeros, trainable=False)
        sq_mean_var = variable(
            "sq_mean", shape=[], dtype=tf.float32, initializer=zeros, trainable=False
        )
    step = _resolve_step(global_step, graph)

    def moving_average(var: tf.Variable | keras.Variable, value: tf.Tensor, one_minus: tf.Tensor):
        var.assign_sub((tf.convert_to_tensor(var) - value) * one_minus)
        return tf.convert_to_tensor(var)

    def gradient_clipping(grads_and_vars: _GradsAndVars):
        grads, variables = zip(*grads_and_vars, strict=True)
        norm = tf.linalg.global_norm([g for g in grads if g is not None])
        log_norm = tf.math.log(norm + epsilon)
        # 1 - decay as TF1's assign_moving_average forms it (float64 for a Python decay).
        one_minus = tf.constant(1.0 - float(decay), tf.float32)
        if step is not None:
            n = tf.cast(step(), tf.float32)
            one_minus = 1.0 - tf.minimum(tf.constant(decay, tf.float32), n / (n + 1.0))
        mean = moving_average(mean_var, log_norm, one_minus)
        sq_mean = moving_average(sq_mean_var, tf.square(log_norm), one_minus)
        std = tf.sqrt(tf.maximum(epsilon, sq_mean - tf.square(mean)))
        max_norm = tf.exp(mean + std_factor * std)
        factor = tf.where(norm < max_norm, tf.ones_like(norm), tf.exp(mean) / norm)
        if static_max_norm is not None:
            factor = tf.minimum(static_max_norm / norm, factor)
        clipped = []
        for grad in grads:
            if grad is None:
                clipped.append(None)
            elif isinstance(grad, tf.IndexedSlices):
                clipped.append(
                    tf.IndexedSlices(grad.values * factor, grad.indices, grad.dense_shape)
                )
            else:
                clipped.append(grad * factor)
        return list(zip(clipped, variables, strict=True))

    return gradient_clipping
