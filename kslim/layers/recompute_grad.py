"""slim.recompute_grad: trade compute for memory by recomputing a block on backprop.

On concrete tensors (eager, ``tf.function``, the train step) the wrapped function's
activations are dropped and ``fn`` is run again, under the same variable scope with
``reuse=True`` and the same ``arg_scope``, when gradients are taken (slim's rule). On
KerasTensors the layers ``fn`` creates are built under ``keras.RematScope('full')``:
Keras recomputes each of their calls on the backward pass.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from typing import Any

import keras
import tensorflow as tf

from kslim.layers.base import is_symbolic
from kslim.ops.arg_scope import arg_scope, current_arg_scope
from kslim.ops.graph import get_default_graph
from kslim.ops.variable_scope import get_variable_scope, variable_scope
from kslim.tensor_types import Tensor

__all__ = ["recompute_grad"]

_USE_DEFAULT = "__rev_block_lib_default"

_Input = Tensor | tf.Variable | keras.Variable

_WRONG_VARS_ERR = (
    "The variables used on recompute were different than the variables originally used. "
    "The function wrapped with @recompute_grad likely creates its own variable scope with "
    "a default name and has been called twice in the same enclosing scope. To fix, "
    "ensure each call to the function happens in its own unique variable scope."
)


def _check_closure(fn: Callable[..., Any]) -> None:
    for var_name, cell in zip(fn.__code__.co_freevars, fn.__closure__ or (), strict=False):
        value = cell.cell_contents
        if isinstance(value, (tf.Tensor, tf.Variable, keras.Variable, keras.KerasTensor)):
            raise ValueError(
                "fn decorated with @recompute_grad closes over Tensor "
                f"{getattr(value, 'name', value)} (local variable name: {var_name}). The "
                "decorated fn must not close over Tensors or Variables because gradients "
                "will NOT be computed for them through fn. To ensure correct gradients, make "
                "the Tensor an input to fn."
            )


def recompute_grad(
    fn: Callable[..., Any], use_data_dep: bool | str = _USE_DEFAULT, tupleize_grads: bool = False
) -> Callable:
    """Decorator: ``fn``'s activations are recomputed on the backward pass.

    ``fn`` must be free of state changes and randomness, or take a keyword
    ``is_recomputing`` (False on the forward pass, True when recomputing) and
    skip them then. Give the layers inside ``fn`` explicit scopes (or call the
    wrapped function in its own ``variable_scope``): the recomputation re-uses
    them by name.

    Args:
      fn: a function of tensors (positional arguments) returning a tensor or a
        tuple of tensors; it must not close over tensors or variables.
      use_data_dep: accepted for slim's signature; TF2 orders the
        recomputation by data dependencies itself.
      tupleize_grads: accepted for slim's signature (TF2's gradients of one
        ``custom_gradient`` are produced together).

    Returns:
      The wrapped function, equal to ``fn`` on the forward pass.

    Raises:
      ValueError: if ``fn`` closes over tensors or variables (at decoration),
        an argument is not a tensor, or the recomputation used other
        variables than the forward pass (slim's messages).
    """
    del use_data_dep, tupleize_grads
    if not callable(fn):
        raise TypeError(f"recompute_grad: fn must be callable, got {fn!r}")
    _check_closure(fn)
    try:
        takes_flag = "is_recomputing" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        takes_flag = False

    def call_fn(args: Sequence[_Input], recomputing: bool):
        return fn(*args, **({"is_recomputing": recomputing} if takes_flag else {}))

    @functools.wraps(fn)
    def wrapped(*args: _Input):
        if is_symbolic(args):
            with keras.RematScope(mode="full"):
                return call_fn(args, False)
        for arg in args:
            if not isinstance(arg, (tf.Tensor, tf.Variable, keras.Variable)):
                raise ValueError(f"All inputs to function must be Tensors, got {arg!r}")
        graph = get_default_graph()
        scope = get_variable_scope()
        scopes = current_arg_scope()

        @tf.custom_gradient
        def forward(*xs: _Input):
            with tf.GradientTape() as probe:
                outputs = call_fn(xs, False)
            used = {id(v) for v in probe.watched_variables()}

            def grad(*upstream: tf.Tensor, variables: Sequence[tf.Variable] | None = None):
                variables = list(variables or [])
                with graph.as_default(), arg_scope(scopes):
                    with variable_scope(scope, reuse=True):
                        with tf.GradientTape() as tape:
                            tape.watch(xs)
                            recomputed = call_fn(xs, True)
                if {id(v) for v in tape.watched_variables()} != used:
                    raise ValueError(_WRONG_VARS_ERR)
                flat = tf.nest.flatten(recomputed)
                grads = tape.gradient(flat, list(xs) + variables, output_gradients=list(upstream))
                return grads[: len(xs)], grads[len(xs) :]

            return outputs, grad

        return forward(*args)

    return wrapped
