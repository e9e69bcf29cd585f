"""TF1 hyperparameters for Keras optimizers: learning rates and float hyperparameters.

A TF1 learning rate may be a float, a ``tf.Variable`` (read at every step), a Keras
``LearningRateSchedule``, TF1's eager decay partial (``exponential_decay(...)``) or a
callable; ``to_learning_rate`` makes it something a Keras optimizer accepts.
"""

from __future__ import annotations

import functools
import numbers
from typing import Any

import keras
import numpy as np
import tensorflow as tf

__all__ = ["VariableLearningRate", "tf_variable", "to_float", "to_learning_rate"]


def tf_variable(variable: Any) -> tf.Variable:
    """The ``tf.Variable`` behind a Keras variable (the variable itself otherwise)."""
    return variable.value if isinstance(variable, keras.Variable) else variable


@keras.saving.register_keras_serializable(package="kslim")
class VariableLearningRate(keras.optimizers.schedules.LearningRateSchedule):
    """A learning rate held in a ``tf.Variable``, read at every step (TF1 reads it per run).

    Assigning to the variable changes the rate of the next step, as in a TF1 script that
    runs ``lr.assign(...)``. Serialized as its current value (restored into a new variable).

    Args:
      value: the ``tf.Variable`` (or a float, put into a new non-trainable variable).
    """

    def __init__(self, value: Any) -> None:
        if isinstance(value, (tf.Variable, keras.Variable)):
            self.variable = tf_variable(value)
        else:
            self.variable = tf.Variable(to_float(value, "value"), trainable=False)

    def __call__(self, step: Any) -> tf.Tensor:
        """The variable's current value (``step`` is not used)."""
        return tf.convert_to_tensor(self.variable)

    def get_config(self) -> dict:
        """The variable's current value, for Keras serialization."""
        return {"value": float(np.asarray(self.variable.numpy()))}


def _legacy_schedule_to_keras(value: Any) -> keras.optimizers.schedules.LearningRateSchedule | None:
    """``tf.compat.v1.train.exponential_decay(...)`` (eager) as a Keras schedule, if it is one.

    In eager mode TF1's decay functions return ``functools.partial(schedule, global_step)``
    around a legacy Keras 2 schedule; the Keras 3 schedule of the same class and config,
    driven by ``optimizer.iterations``, computes the same learning rate.
    """
    if not isinstance(value, functools.partial) or len(value.args) != 1:
        return None
    schedule = value.func
    module = type(schedule).__module__
    if "learning_rate_schedule" not in module or not hasattr(schedule, "get_config"):
        return None
    config = {k: v for k, v in schedule.get_config().items() if k != "name" or v}
    try:
        return keras.optimizers.schedules.deserialize(
            {"class_name": type(schedule).__name__, "config": config}
        )
    except (TypeError, ValueError):
        return None


def to_learning_rate(value: Any, what: str) -> Any:
    """A TF1 learning rate as something a Keras optimizer accepts.

    Args:
      value: a number, an eager tensor, a ``tf.Variable`` (a ``VariableLearningRate``), a Keras
        ``LearningRateSchedule``, TF1's eager decay partial (converted to the Keras
        schedule of the same config) or a callable taking no argument.
      what: the argument's name for error messages.

    Returns:
      A float, a schedule or a callable.

    Raises:
      ValueError: for a graph tensor or a non-numeric value.
    """
    if isinstance(value, keras.optimizers.schedules.LearningRateSchedule):
        return value
    if isinstance(value, (tf.Variable, keras.Variable)):
        return VariableLearningRate(value)
    schedule = _legacy_schedule_to_keras(value)
    if schedule is not None:
        return schedule
    if callable(value):
        return value
    return to_float(value, what)


def to_float(value: Any, what: str) -> float:
    """A hyperparameter as a Python float (callables are called once, as TF1's _prepare)."""
    if callable(value) and not isinstance(value, (tf.Tensor, tf.Variable, keras.Variable)):
        value = value()
    if isinstance(value, bool):
        raise ValueError(f"{what} must be a number; received {what}={value!r}.")
    if isinstance(value, (tf.Variable, keras.Variable)):
        return float(np.asarray(tf_variable(value).numpy()))
    if isinstance(value, tf.Tensor):
        if not hasattr(value, "numpy"):
            raise ValueError(
                f"{what} is a graph tensor ({value!r}); kslim runs eagerly: pass a float, "
                "a keras.optimizers.schedules.LearningRateSchedule or a callable."
            )
        return float(value.numpy())
    if isinstance(value, (numbers.Real, np.generic, np.ndarray)):
        return float(value)
    raise ValueError(f"{what} must be a number; received {what}={value!r}.")
