"""optimize_loss: tf_slim.layers.optimizers.optimize_loss, returning a kslim TrainOp."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import keras
import tensorflow as tf

from kslim.learning.optimizers import to_keras_optimizer
from kslim.tensor_types import Tensor, TensorLike

if TYPE_CHECKING:
    from kslim.learning.train_op import TrainOp

__all__ = ["OPTIMIZER_CLS_NAMES", "OPTIMIZER_SUMMARIES", "optimize_loss"]

_V1 = tf.compat.v1.train
OPTIMIZER_CLS_NAMES = {
    "Adagrad": _V1.AdagradOptimizer,
    "Adam": _V1.AdamOptimizer,
    "Ftrl": lambda learning_rate: keras.optimizers.Ftrl(learning_rate=learning_rate),
    "Momentum": lambda learning_rate: _V1.MomentumOptimizer(learning_rate, momentum=0.9),
    "RMSProp": _V1.RMSPropOptimizer,
    "SGD": _V1.GradientDescentOptimizer,
}
_GradsAndVars = Sequence[tuple[tf.Tensor | tf.IndexedSlices | None, tf.Variable | keras.Variable]]
OPTIMIZER_SUMMARIES = [
    "learning_rate",
    "loss",
    "gradients",
    "gradient_norm",
    "global_gradient_norm",
]


class _DecaySchedule(keras.optimizers.schedules.LearningRateSchedule):
    """``learning_rate_decay_fn(lr, global_step)`` as a Keras schedule of the step."""

    def __init__(
        self, learning_rate: float, decay_fn: Callable[[tf.Tensor, tf.Tensor], Any]
    ) -> None:
        self.learning_rate = float(learning_rate)
        self.decay_fn = decay_fn

    def __call__(self, step: TensorLike) -> tf.Tensor:
        lr = tf.constant(self.learning_rate, tf.float32)
        return tf.cast(self.decay_fn(lr, tf.cast(step, tf.int64)), tf.float32)

    def get_config(self) -> dict:
        return {"learning_rate": self.learning_rate}


def _clip_by_global_norm_fn(max_norm: float):
    def clip(grads_and_vars: _GradsAndVars):
        present = [(g, v) for g, v in grads_and_vars if g is not None]
        clipped, _ = tf.clip_by_global_norm([g for g, _ in present], max_norm)
        return list(zip(clipped, [v for _, v in present], strict=True))

    return clip


def optimize_loss(
    loss: Tensor,
    global_step: tf.Variable | keras.Variable | Tensor | None,
    learning_rate: float | None,
    optimizer: str
    | type
    | tf.compat.v1.train.Optimizer
    | keras.optimizers.Optimizer
    | Callable[..., Any],
    gradient_noise_scale: float | None = None,
    gradient_multipliers: dict[Any, float | tf.Tensor] | None = None,
    clip_gradients: float | Callable[[_GradsAndVars], _GradsAndVars] | None = None,
    learning_rate_decay_fn: Callable[[tf.Tensor, tf.Tensor], Any] | None = None,
    update_ops: Sequence[Callable[[], Any]] | None = None,
    variables: Sequence[tf.Variable | keras.Variable] | None = None,
    name: str | None = None,
    summaries: Sequence[str] | None = None,
    colocate_gradients_with_ops: bool = False,
    increment_global_step: bool = True,
) -> TrainOp:
    """Returns a ``TrainOp`` minimizing ``loss`` (contrib's ``optimize_loss``).

    Args:
      loss: scalar KerasTensor (the graph's total loss).
      global_step: accepted; the optimizer's ``iterations`` are the global step.
      learning_rate: float >= 0, or None with an optimizer instance/function.
      optimizer: a name in ``OPTIMIZER_CLS_NAMES`` (Momentum uses 0.9), an
        optimizer class (called with ``learning_rate=``), an instance (TF1 or
        Keras), or a function ``fn(lr)`` (``fn()`` without learning rate).
      gradient_noise_scale: not supported (raises).
      gradient_multipliers: dict variable-or-name -> factor.
      clip_gradients: float: clip by global norm; callable:
        ``fn(grads_and_vars)``.
      learning_rate_decay_fn: ``fn(lr, global_step) -> lr``, applied as a
        Keras schedule of the optimizer's step.
      update_ops: as ``create_train_op``'s ``update_ops`` /
        ``variables_to_train``.
      variables: see ``update_ops``.
      name: accepted (no TF1 graph scope).
      colocate_gradients_with_ops: accepted (no TF1 graph scope).
      summaries: subset of ``OPTIMIZER_SUMMARIES``; ``gradients`` /
        ``gradient_norm`` turn on the TrainOp's gradient summaries (kslim
        writes ``total_loss`` and ``learning_rate`` always).
      increment_global_step: False is not supported (raises).

    Returns:
      A compiled ``TrainOp``.

    Raises:
      ValueError: slim's messages (learning rate, summaries, optimizer,
        clip_gradients), and for the unsupported arguments, named.
    """
    from kslim.training import create_train_op

    del name
    if gradient_noise_scale is not None:
        raise ValueError(
            f"optimize_loss: gradient_noise_scale={gradient_noise_scale!r} is not supported "
            "by kslim"
        )
    if not increment_global_step:
        raise ValueError(
            "optimize_loss: increment_global_step=False is not supported by kslim (the "
            "optimizer's iterations are the global step)"
        )
    lr = None
    if learning_rate is not None:
        if isinstance(learning_rate, (int, float)) and not isinstance(learning_rate, bool):
            if learning_rate < 0.0:
                raise ValueError("Invalid learning_rate %s." % learning_rate)
            lr = float(learning_rate)
        else:
            raise ValueError(
                "Learning rate should be 0d Tensor or float. "
                "Got %s of type %s" % (str(learning_rate), str(type(learning_rate)))
            )
    if summaries is None:
        summaries = ["loss", "learning_rate", "global_gradient_norm"]
    else:
        for summ in summaries:
            if summ not in OPTIMIZER_SUMMARIES:
                raise ValueError(
                    "Summaries should be one of [%s], you provided %s."
                    % (", ".join(OPTIMIZER_SUMMARIES), summ)
                )
    if lr is not None and learning_rate_decay_fn is not None:
        lr = _DecaySchedule(lr, learning_rate_decay_fn)
    if isinstance(optimizer, str):
        if lr is None:
            raise ValueError(
                "Learning rate is None, but should be specified if "
                "optimizer is string (%s)." % optimizer
            )
        if optimizer not in OPTIMIZER_CLS_NAMES:
            raise ValueError(
                "Optimizer name should be one of [%s], you provided %s."
                % (", ".join(OPTIMIZER_CLS_NAMES), optimizer)
            )
        opt = OPTIMIZER_CLS_NAMES[optimizer](learning_rate=lr)
    elif isinstance(optimizer, type) and issubclass(
        optimizer, (tf.compat.v1.train.Optimizer, keras.optimizers.Optimizer)
    ):
        if lr is None:
            raise ValueError(
                "Learning rate is None, but should be specified if "
                "optimizer is class (%s)." % optimizer
            )
        opt = optimizer(learning_rate=lr)
    elif isinstance(optimizer, (tf.compat.v1.train.Optimizer, keras.optimizers.Optimizer)):
        opt = optimizer
    elif callable(optimizer):
        opt = optimizer(lr) if learning_rate is not None else optimizer()
        if not isinstance(opt, (tf.compat.v1.train.Optimizer, keras.optimizers.Optimizer)):
            raise ValueError(
                "Unrecognized optimizer: function should return "
                "subclass of Optimizer. Got %s." % str(opt)
            )
    else:
        raise ValueError(
            "Unrecognized optimizer: should be string, "
            "subclass of Optimizer, instance of "
            "subclass of Optimizer or function with one argument. "
            "Got %s." % str(optimizer)
        )
    if isinstance(clip_gradients, float):
        clip = _clip_by_global_norm_fn(clip_gradients)
    elif callable(clip_gradients) or clip_gradients is None:
        clip = clip_gradients
    else:
        raise ValueError("Unknown type %s for clip_gradients" % type(clip_gradients))
    if gradient_multipliers is not None:
        from kslim.learning.train_op import multiply_gradients

        def transform(grads_and_vars: _GradsAndVars):
            grads_and_vars = multiply_gradients(list(grads_and_vars), gradient_multipliers)
            return clip(grads_and_vars) if clip is not None else grads_and_vars
    else:
        transform = clip
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="create_train_op: global_step")
        return create_train_op(
            loss,
            to_keras_optimizer(opt),
            global_step=global_step,
            update_ops=update_ops,
            variables_to_train=variables,
            transform_grads_fn=transform,
            summarize_gradients="gradients" in summaries or "gradient_norm" in summaries,
            colocate_gradients_with_ops=colocate_gradients_with_ops,
        )
