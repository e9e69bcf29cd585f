"""slim.training: tf_slim.training.training (``create_train_op``, ``train``, hooks).

``create_train_op`` is ``kslim.learning.create_train_op`` with TF's
``transform_grads_fn`` hook in place of ``clip_gradient_norm`` /
``gradient_multipliers``. ``train`` is slim's ``MonitoredTrainingSession`` loop
on ``kslim.learning.train``: no ``number_of_steps``, training stops through a
hook (``StopAtStepHook``) or when the data ends; summaries every
``save_summaries_steps`` global steps; checkpoints at the start, every
``save_checkpoint_secs`` and at the end. Hooks are Keras callbacks; a TF1
``tf.compat.v1.train.StopAtStepHook`` is converted, other TF1 SessionRunHooks
are ignored with a warning (they need a session).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import tensorflow as tf

from kslim.learning.callbacks import StepSummarySaver, StopAtStep
from kslim.learning.callbacks._common import global_step
from kslim.learning.train import train as _learning_train
from kslim.learning.train_args import DataLike
from kslim.learning.train_op import (
    TrainOp,
    add_gradients_summaries,
    clip_gradient_norms,
    multiply_gradients,
)
from kslim.learning.train_op import create_train_op as _learning_create_train_op
from kslim.tensor_types import Logs

if TYPE_CHECKING:
    import keras

__all__ = [
    "StopAtStepHook",
    "add_gradients_summaries",
    "clip_gradient_norms",
    "clip_gradient_norms_fn",
    "create_train_op",
    "multiply_gradients",
    "train",
]

_USE_GLOBAL_STEP = 0


def clip_gradient_norms_fn(max_norm: float | tf.Tensor) -> Callable:
    """Returns ``fn(grads_and_vars)`` clipping each gradient to norm ``max_norm``.

    Args:
      max_norm: the maximum norm of each gradient.

    Returns:
      A ``transform_grads_fn`` for ``create_train_op``.
    """

    def clip_norms(gradients_to_variables: list) -> list:
        return clip_gradient_norms(gradients_to_variables, max_norm)

    return clip_norms


def create_train_op(
    total_loss: keras.KerasTensor,
    optimizer: keras.optimizers.Optimizer | tf.compat.v1.train.Optimizer,
    global_step: Any = _USE_GLOBAL_STEP,
    update_ops: Sequence[Callable[[], Any]] | None = None,
    variables_to_train: Iterable[tf.Variable | keras.Variable] | None = None,
    transform_grads_fn: Callable[[list], Iterable] | None = None,
    summarize_gradients: bool = False,
    gate_gradients: int = 1,
    aggregation_method: int | None = None,
    colocate_gradients_with_ops: bool = False,
    check_numerics: bool = True,
) -> TrainOp:
    """Returns the train op (a ``TrainOp`` Keras model), tf_slim.training's signature.

    Args:
      total_loss: the scalar KerasTensor of the graph's total loss.
      optimizer: a Keras optimizer or a ``tf.compat.v1.train`` optimizer.
      global_step: default: the optimizer's ``iterations``; other values warn.
      update_ops: None or a list of callables run before each step.
      variables_to_train: the variables to update (default: all trainable).
      transform_grads_fn: ``fn(grads_and_vars) -> grads_and_vars`` applied to
        the gradients before the update (e.g. ``clip_gradient_norms_fn(1.0)``).
      summarize_gradients: add ``<var>_gradient`` / ``<var>_gradient_norm``
        summaries (of the transformed gradients, as slim).
      gate_gradients: TF1
        graph options; warn when not default.
      aggregation_method: see ``gate_gradients``.
      colocate_gradients_with_ops: see ``gate_gradients``.
      check_numerics: stop with an error when the loss is inf or NaN.

    Returns:
      A compiled ``TrainOp``.

    Raises:
      TypeError: if ``transform_grads_fn`` is not callable.
      ValueError: as ``kslim.learning.create_train_op``.
    """
    if transform_grads_fn is not None and not callable(transform_grads_fn):
        raise TypeError(f"transform_grads_fn must be callable or None, got {transform_grads_fn!r}")
    train_op = _learning_create_train_op(
        total_loss,
        optimizer,
        global_step=global_step,
        update_ops=update_ops,
        variables_to_train=variables_to_train,
        summarize_gradients=summarize_gradients,
        gate_gradients=gate_gradients,
        aggregation_method=aggregation_method,
        colocate_gradients_with_ops=colocate_gradients_with_ops,
        check_numerics=check_numerics,
    )
    train_op.transform_grads_fn = transform_grads_fn
    return train_op


class StopAtStepHook(StopAtStep):
    """Stops training at a global step (TF's ``StopAtStepHook``) as a Keras callback.

    Args:
      num_steps: steps to run from the global step at which training starts.
      last_step: absolute global step to stop at.

    Raises:
      ValueError: TF's messages when neither or both are given; a negative value.
    """

    def __init__(self, num_steps: int | None = None, last_step: int | None = None) -> None:
        if num_steps is None and last_step is None:
            raise ValueError("One of num_steps or last_step must be specified.")
        if num_steps is not None and last_step is not None:
            raise ValueError("Only one of num_steps or last_step can be specified.")
        value, name = (
            (num_steps, "num_steps") if num_steps is not None else (last_step, "last_step")
        )
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name} must be a non-negative int, got {value!r}")
        # At least one step always runs, so last_step=0 behaves as 1.
        super().__init__(max(1, last_step) if last_step is not None else 1)
        self.num_steps = num_steps
        self.last_step = last_step

    def on_train_begin(self, logs: Logs | None = None) -> None:
        """Turns ``num_steps`` into the absolute step to stop at."""
        if self.num_steps is not None:
            self.number_of_steps = max(1, global_step(self.model) + self.num_steps)


def _convert_hooks(
    hooks: Iterable[keras.callbacks.Callback | tf.compat.v1.train.SessionRunHook] | None,
    what: str,
) -> list:
    import keras

    converted = []
    for hook in hooks or []:
        if isinstance(hook, keras.callbacks.Callback):
            converted.append(hook)
        elif isinstance(hook, tf.compat.v1.train.StopAtStepHook):
            num_steps = getattr(hook, "_num_steps", None)
            last_step = getattr(hook, "_last_step", None)
            converted.append(StopAtStepHook(num_steps if last_step is None else None, last_step))
        elif isinstance(hook, tf.compat.v1.train.SessionRunHook):
            warnings.warn(
                f"training.train: {what} entry {hook!r} is a TF1 SessionRunHook and is ignored "
                "(it needs a session); write it as a keras.callbacks.Callback",
                stacklevel=3,
            )
        else:
            raise TypeError(
                f"training.train: {what} must be keras.callbacks.Callback objects (or TF1 "
                f"SessionRunHooks, ignored), got {type(hook).__name__}: {hook!r}"
            )
    return converted


def train(
    train_op: TrainOp,
    logdir: str | None,
    master: str = "",
    is_chief: bool = True,
    scaffold: tf.compat.v1.train.Scaffold | None = None,
    hooks: Iterable[keras.callbacks.Callback | tf.compat.v1.train.SessionRunHook] | None = None,
    chief_only_hooks: Iterable[keras.callbacks.Callback | tf.compat.v1.train.SessionRunHook]
    | None = None,
    save_checkpoint_secs: float | None = 600,
    save_summaries_steps: int | None = 100,
    config: tf.compat.v1.ConfigProto | None = None,
    max_wait_secs: float = 7200,
    run_metadata: tf.compat.v1.RunMetadata | None = None,
    *,
    dataset: DataLike | None = None,
    batch_size: int = 32,
    progress_bar: bool | None = None,
) -> np.float32 | None:
    """Runs the training loop until a hook stops it or the data ends.

    Args:
      train_op: the ``TrainOp`` from ``create_train_op``.
      logdir: checkpoint and summary directory (None: nothing written).
      master: TF1 session
        options; warn when set.
      scaffold: see ``master``.
      config: see ``master``.
      max_wait_secs: see ``master``.
      run_metadata: see ``master``.
      is_chief: only the chief writes and runs ``chief_only_hooks``.
      hooks: Keras callbacks (e.g. ``StopAtStepHook``); a TF1
        ``StopAtStepHook`` is converted; other TF1 hooks warn and are ignored.
      chief_only_hooks: as ``hooks``, used only when ``is_chief``.
      save_checkpoint_secs: seconds between checkpoints (also saved at the
        start and the end); None/0: only at the start and the end.
      save_summaries_steps: global steps between summaries (None/0: none).
      dataset: as ``kslim.learning.train``.
      batch_size: as ``kslim.learning.train``.
      progress_bar: as ``kslim.learning.train``.

    Returns:
      The last step's loss (numpy float32), or None if no step ran.

    Raises:
      ValueError: ``'logdir cannot be None when save_summaries_steps is not
        None'`` / ``'... save_checkpoint_secs is not None'`` (chief without
        logdir), or ``kslim.learning.train``'s errors.
      TypeError: a hook that is neither a Keras callback nor a TF1 hook.
    """
    if logdir is None and is_chief:
        if save_summaries_steps:
            raise ValueError("logdir cannot be None when save_summaries_steps is not None")
        if save_checkpoint_secs:
            raise ValueError("logdir cannot be None when save_checkpoint_secs is not None")
    if save_summaries_steps is not None and (
        isinstance(save_summaries_steps, bool)
        or not isinstance(save_summaries_steps, int)
        or save_summaries_steps < 0
    ):
        raise ValueError(
            f"save_summaries_steps must be a non-negative int or None, got {save_summaries_steps!r}"
        )
    for name, value, default in (
        ("master", master, ""),
        ("scaffold", scaffold, None),
        ("config", config, None),
        ("max_wait_secs", max_wait_secs, 7200),
        ("run_metadata", run_metadata, None),
    ):
        if value is not default and value != default:
            warnings.warn(
                f"training.train: {name}={value!r} has no effect in kslim (there is no TF1 "
                "session)",
                stacklevel=2,
            )
    callbacks = _convert_hooks(hooks, "hooks")
    if is_chief:
        callbacks += _convert_hooks(chief_only_hooks, "chief_only_hooks")
    if logdir is not None and is_chief and save_summaries_steps:
        callbacks.insert(0, StepSummarySaver(logdir, save_summaries_steps, is_chief))
    with warnings.catch_warnings():
        # learning.train's warnings are about arguments this wrapper sets itself.
        warnings.filterwarnings("ignore", message="learning.train: summary_op")
        return _learning_train(
            train_op,
            logdir,
            log_every_n_steps=100,
            is_chief=is_chief,
            summary_op=None,
            save_interval_secs=save_checkpoint_secs or 0,
            dataset=dataset,
            batch_size=batch_size,
            callbacks=callbacks,
            progress_bar=progress_bar,
        )
