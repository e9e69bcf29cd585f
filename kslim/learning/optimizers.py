"""TF1 optimizers as Keras 3 optimizers with TF1's exact update rules.

``to_keras_optimizer`` turns a ``tf.compat.v1.train`` optimizer object into a Keras
optimizer that trains the same numbers as slim did:

* ``GradientDescentOptimizer`` -> ``keras.optimizers.SGD`` (``var -= lr * grad``, the same
  arithmetic as TF1's kernel);
* ``MomentumOptimizer`` -> ``TF1Momentum`` (``accum = accum * momentum + grad``,
  ``var -= lr * accum``; Nesterov ``var -= lr * grad + lr * momentum * accum``), which
  differs from Keras' SGD momentum when the learning rate changes;
* ``RMSPropOptimizer`` -> ``TF1RMSProp`` (mean square starts at 1.0, epsilon inside the
  square root, default 1e-10, momentum slot always present, optional centering);
* ``AdamOptimizer`` -> ``TF1Adam`` ("epsilon hat":
  ``lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t)``, ``var -= lr_t * m / (sqrt(v) + eps)``,
  with TF1's ``beta1_power`` / ``beta2_power`` accumulators);
* ``AdagradOptimizer`` -> ``TF1Adagrad`` (accumulator starts at
  ``initial_accumulator_value``, 0.1 by default; no epsilon).

Dense gradients run TF1's own kernels (``ResourceApplyRMSProp``,
``ResourceApplyCenteredRMSProp``, ``ResourceApplyMomentum``, ``ResourceApplyAdagrad``),
which also compile under XLA; Adam's dense update is TF1's ``ApplyAdam`` CPU kernel
written as plain TF ops in the kernel's order of operations (same numbers; on CPU the
fused ``ResourceApplyAdam`` costs about a third of a small MLP's training step, while the
other fused kernels are as fast as or faster than plain ops). Sparse gradients
(``tf.IndexedSlices``) follow TF1's sparse rules: duplicate indices are summed, and only
the indexed rows of the slots are updated (Adam, as in TF1, decays all of ``m`` and ``v``).

Slot variables are named as TF1 names them: ``<variable>/<optimizer name>``, then
``<variable>/<optimizer name>_1``, ... in TF1's slot creation order (RMSProp: ``rms``,
``mg`` when centered, ``momentum``; Adam: ``m``, ``v``; Momentum: ``momentum``; Adagrad:
``accumulator``). A slot's Keras ``.path`` is that name (``conv1/weights/RMSProp``), and
``slot_variables_by_tf1_name`` returns the mapping, with Adam's ``beta1_power`` and
``beta2_power``, so optimizer state checkpoints under slim's names.

Learning rates may be floats, Keras ``LearningRateSchedule``s (driven by
``optimizer.iterations``, the global step) or callables taking no argument.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
import tensorflow as tf

from kslim.learning.hyperparameters import VariableLearningRate, to_float, to_learning_rate
from kslim.learning.tf1_optimizer import TF1Optimizer
from kslim.learning.tf1_update_rules import TF1Adagrad, TF1Adam, TF1Momentum, TF1RMSProp

__all__ = [
    "TF1Adagrad",
    "TF1Adam",
    "TF1Momentum",
    "TF1Optimizer",
    "TF1RMSProp",
    "VariableLearningRate",
    "optimizer_variables_by_name",
    "to_keras_optimizer",
]


_TF1_TRAIN = tf.compat.v1.train

# Keras optimizer variables that are not slots (the global step lives elsewhere in slim).
_KERAS_BOOKKEEPING = ("iteration", "learning_rate")


def _from_gradient_descent(opt: Any) -> keras.optimizers.Optimizer:
    lr = to_learning_rate(opt._learning_rate, "learning_rate")
    return keras.optimizers.SGD(learning_rate=lr, momentum=0.0, name=opt._name)


def _from_momentum(opt: Any) -> keras.optimizers.Optimizer:
    return TF1Momentum(
        learning_rate=to_learning_rate(opt._learning_rate, "learning_rate"),
        momentum=to_float(opt._momentum, "momentum"),
        use_nesterov=opt._use_nesterov,
        name=opt._name,
    )


def _from_rmsprop(opt: Any) -> keras.optimizers.Optimizer:
    return TF1RMSProp(
        learning_rate=to_learning_rate(opt._learning_rate, "learning_rate"),
        decay=to_float(opt._decay, "decay"),
        momentum=to_float(opt._momentum, "momentum"),
        epsilon=to_float(opt._epsilon, "epsilon"),
        centered=opt._centered,
        name=opt._name,
    )


def _from_adam(opt: Any) -> keras.optimizers.Optimizer:
    return TF1Adam(
        learning_rate=to_learning_rate(opt._lr, "learning_rate"),
        beta1=to_float(opt._beta1, "beta1"),
        beta2=to_float(opt._beta2, "beta2"),
        epsilon=to_float(opt._epsilon, "epsilon"),
        name=opt._name,
    )


def _from_adagrad(opt: Any) -> keras.optimizers.Optimizer:
    return TF1Adagrad(
        learning_rate=to_learning_rate(opt._learning_rate, "learning_rate"),
        initial_accumulator_value=opt._initial_accumulator_value,
        name=opt._name,
    )


# Exact types only: a subclass may change the update rule, so it is not converted silently.
_CONVERTERS: dict[type, Callable[[Any], keras.optimizers.Optimizer]] = {
    _TF1_TRAIN.GradientDescentOptimizer: _from_gradient_descent,
    _TF1_TRAIN.MomentumOptimizer: _from_momentum,
    _TF1_TRAIN.RMSPropOptimizer: _from_rmsprop,
    _TF1_TRAIN.AdamOptimizer: _from_adam,
    _TF1_TRAIN.AdagradOptimizer: _from_adagrad,
}


def to_keras_optimizer(optimizer: Any) -> keras.optimizers.Optimizer:
    """A Keras optimizer with the update rule of ``optimizer``.

    Args:
      optimizer: a ``keras.optimizers.Optimizer`` (returned as is) or one of
        ``tf.compat.v1.train.{GradientDescent, Momentum, RMSProp, Adam,
        Adagrad}Optimizer`` (its hyperparameters, learning rate and name are read;
        ``use_locking`` has no eager equivalent and is ignored).

    Returns:
      ``keras.optimizers.SGD`` for GradientDescent, ``TF1Momentum``, ``TF1RMSProp``,
      ``TF1Adam`` or ``TF1Adagrad`` for the others.

    Raises:
      TypeError: for any other object, naming it and listing the supported types.
      ValueError: for a hyperparameter kslim cannot evaluate (a graph tensor).
    """
    if isinstance(optimizer, keras.optimizers.Optimizer):
        return optimizer
    converter = _CONVERTERS.get(type(optimizer))
    if converter is None:
        supported = ", ".join(f"tf.compat.v1.train.{cls.__name__}" for cls in _CONVERTERS)
        raise TypeError(
            f"optimizer={optimizer!r} (type {type(optimizer).__module__}."
            f"{type(optimizer).__qualname__}) is not supported: pass a "
            f"keras.optimizers.Optimizer or one of {supported}."
        )
    return converter(optimizer)


def optimizer_variables_by_name(optimizer: keras.optimizers.Optimizer) -> dict:
    """An optimizer's state by checkpoint name, for any Keras optimizer.

    Args:
      optimizer: a built Keras optimizer.

    Returns:
      For kslim's TF1 optimizers, ``slot_variables_by_tf1_name()`` (TF1's names); for
      other Keras optimizers, ``{variable.path: variable}`` of every optimizer variable
      except Keras' ``iteration`` and ``learning_rate`` (slim's global step is separate).

    Raises:
      TypeError: if ``optimizer`` is not a Keras optimizer.
    """
    if not isinstance(optimizer, keras.optimizers.Optimizer):
        raise TypeError(
            f"optimizer_variables_by_name: optimizer={optimizer!r} is not a "
            "keras.optimizers.Optimizer; convert it with to_keras_optimizer first."
        )
    if isinstance(optimizer, TF1Optimizer):
        return optimizer.slot_variables_by_tf1_name() if optimizer.built else {}
    return {
        variable.path: variable
        for variable in optimizer.variables
        if variable.name not in _KERAS_BOOKKEEPING
    }
