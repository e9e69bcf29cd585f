"""The chunked loop: up to ``num_steps`` steps over a dataset iterator in one call.

``TrainOp`` (training steps) and the evaluator (eval batches) both run many
steps per host call, as Keras' ``steps_per_execution``: a ``tf.while_loop`` that
takes the next element with ``get_next_as_optional`` and stops early, without
an exception, when the data ends.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import tensorflow as tf

__all__ = ["run_steps"]


def run_steps(
    iterator: tf.data.Iterator | tf.distribute.DistributedIterator,
    num_steps: tf.Tensor,
    step_fn: Callable[[Any, tf.Tensor, Any], Any],
    state: Any,
    state_invariants: Any = None,
) -> tuple[tf.Tensor, Any]:
    """Runs ``state = step_fn(element, i, state)`` for up to ``num_steps`` elements.

    Call it inside a ``tf.function``. The next element is fetched only when
    another step follows, so a chunk never reads past its last step.

    Args:
      iterator: a (distributed) dataset iterator.
      num_steps: int32 scalar tensor, the most steps to run.
      step_fn: ``(element, i, state) -> state``; a list element is passed as a tuple.
      state: the loop state (a nest of tensors / TensorArrays).
      state_invariants: shape invariants of ``state`` (None: its shapes stay fixed).

    Returns:
      ``(steps_run, final_state)``; ``steps_run < num_steps`` when the data ended.
    """

    def cond(i: tf.Tensor, opt: tf.experimental.Optional, state: Any):
        return tf.logical_and(i < num_steps, opt.has_value())

    def body(i: tf.Tensor, opt: tf.experimental.Optional, state: Any):
        element = opt.get_value()
        if isinstance(element, list):
            element = tuple(element)
        state = step_fn(element, i, state)
        nxt = tf.cond(i + 1 < num_steps, iterator.get_next_as_optional, lambda: opt)
        return i + 1, nxt, state

    first = iterator.get_next_as_optional()
    loop_vars = [tf.constant(0), first, state]
    if state_invariants is None:
        steps, _, state = tf.while_loop(cond, body, loop_vars)
    else:
        invariants = [tf.TensorShape([]), tf.OptionalSpec.from_value(first), state_invariants]
        steps, _, state = tf.while_loop(cond, body, loop_vars, shape_invariants=invariants)
    return steps, state
