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

import functools
import numbers
from collections.abc import Callable
from typing import Any

import keras
import numpy as np
import tensorflow as tf

_TF1_TRAIN = tf.compat.v1.train

# Keras optimizer variables that are not slots (the global step lives elsewhere in slim).
_KERAS_BOOKKEEPING = ("iteration", "learning_rate")


def _tf_variable(variable: Any) -> tf.Variable:
    """The ``tf.Variable`` behind a Keras variable (the variable itself otherwise)."""
    return variable.value if isinstance(variable, keras.Variable) else variable


def _hyper(value: Any, dtype: tf.DType) -> tf.Tensor:
    """A hyperparameter as TF1 feeds it to a kernel: converted to a tensor, then cast.

    A Python float becomes float32 first, so float64 variables see the float32 value,
    exactly as in TF1.
    """
    return tf.cast(tf.convert_to_tensor(value), dtype)


def _reference_path(variable: Any) -> str:
    """The slim name of a model variable: Keras ``.path`` or TF ``.name`` minus ``:0``."""
    path = getattr(variable, "path", None)
    if path:
        return path
    name = str(getattr(variable, "name", "variable"))
    return name[:-2] if name.endswith(":0") else name


def _dedup(gradient: tf.IndexedSlices) -> tuple[tf.Tensor, tf.Tensor]:
    """Sums the values of repeated indices, as TF1's optimizers do before sparse apply."""
    unique, positions = tf.unique(gradient.indices)
    summed = tf.math.unsorted_segment_sum(gradient.values, positions, tf.shape(unique)[0])
    return summed, unique


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
            self.variable = _tf_variable(value)
        else:
            self.variable = tf.Variable(_float(value, "value"), trainable=False)

    def __call__(self, step: Any) -> tf.Tensor:
        return tf.convert_to_tensor(self.variable)

    def get_config(self) -> dict:
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


def _learning_rate(value: Any, what: str) -> Any:
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
    return _float(value, what)


def _float(value: Any, what: str) -> float:
    """A hyperparameter as a Python float (callables are called once, as TF1's _prepare)."""
    if callable(value) and not isinstance(value, (tf.Tensor, tf.Variable, keras.Variable)):
        value = value()
    if isinstance(value, bool):
        raise ValueError(f"{what} must be a number; received {what}={value!r}.")
    if isinstance(value, (tf.Variable, keras.Variable)):
        return float(np.asarray(_tf_variable(value).numpy()))
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


class TF1Optimizer(keras.optimizers.Optimizer):
    """Base of kslim's TF1 optimizers: slots named as TF1 names them.

    Subclasses list their slots in TF1's creation order (``_slot_specs``) and implement
    ``_apply_dense`` / ``_apply_sparse`` with TF1's rule.

    Args:
      learning_rate: a float, a ``keras.optimizers.schedules.LearningRateSchedule``
        (driven by ``iterations``) or a callable taking no argument.
      name: the TF1 optimizer name; slots are ``<variable>/<name>``, ``<name>_1``, ...
      **kwargs: Keras ``Optimizer`` arguments (``clipnorm``, ``use_ema``, ...).
    """

    def __init__(self, learning_rate: Any, name: str, **kwargs: Any) -> None:
        if isinstance(learning_rate, numbers.Real) and not isinstance(learning_rate, bool):
            learning_rate = float(learning_rate)
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)

    def _slot_specs(self) -> list[tuple[str, Any]]:
        """``[(slot key, initializer)]`` in TF1's creation order."""
        raise NotImplementedError

    def build(self, var_list: list) -> None:
        """Creates the slot variables of every variable in ``var_list``.

        Args:
          var_list: the model variables this optimizer trains.
        """
        if self.built:
            return
        super().build(var_list)
        slots: dict[str, list] = {key: [] for key, _ in self._slot_specs()}
        for variable in var_list:
            for position, (key, initializer) in enumerate(self._slot_specs()):
                if self._overwrite_variable_with_gradient(variable):
                    slots[key].append(None)
                    continue
                slot_name = self.name if position == 0 else f"{self.name}_{position}"
                slots[key].append(self._add_slot(variable, slot_name, initializer))
        self._slots = slots

    def _add_slot(self, variable: Any, slot_name: str, initializer: Any) -> keras.Variable:
        """Creates slot ``<variable path>/<slot_name>`` colocated with ``variable``."""
        parent, _, leaf = _reference_path(variable).rpartition("/")
        colocate = _tf_variable(variable)
        with self._distribution_strategy.extended.colocate_vars_with(colocate):
            with keras.name_scope(leaf, override_parent=parent):
                slot = keras.Variable(
                    initializer=keras.initializers.get(initializer),
                    shape=tuple(variable.shape),
                    dtype=variable.dtype,
                    trainable=False,
                    name=slot_name,
                )
        self._track_variable(slot)
        return slot

    def _non_slot_variables(self) -> dict[str, keras.Variable]:
        """TF1's non-slot variables by TF1 name (Adam's beta powers)."""
        return {}

    def get_slot(self, variable: Any, key: str) -> keras.Variable:
        """TF1's ``get_slot``: the slot ``key`` (``'rms'``, ``'m'``, ...) of ``variable``.

        Args:
          variable: a variable this optimizer was built with.
          key: a TF1 slot name (see ``get_slot_names``).

        Returns:
          The slot variable.

        Raises:
          ValueError: if the optimizer is not built, ``key`` is unknown, or ``variable``
            is not one of its variables.
        """
        if not self.built:
            raise ValueError(f"get_slot: optimizer {self.name!r} is not built yet.")
        if key not in self._slots:
            raise ValueError(f"get_slot: unknown key={key!r}; known: {self.get_slot_names()}")
        self._check_variables_are_known([variable])
        return self._slots[key][self._get_variable_index(variable)]

    def get_slot_names(self) -> list[str]:
        """TF1's slot keys, in creation order."""
        return [key for key, _ in self._slot_specs()]

    def slot_variables_by_tf1_name(self, model_variables: list | None = None) -> dict:
        """Optimizer state by the names a TF1 checkpoint uses.

        Args:
          model_variables: restrict to the slots of these variables (default: all). If the
            optimizer is not built yet, it is built with them.

        Returns:
          ``{'<variable>/<name>': slot, ..., 'beta1_power': ..., 'beta2_power': ...}``
          (the beta powers for Adam only).

        Raises:
          ValueError: if the optimizer is not built and no variables are given, or a
            variable is not one this optimizer trains.
        """
        if not self.built:
            if model_variables is None:
                raise ValueError(
                    f"slot_variables_by_tf1_name: optimizer {self.name!r} is not built; "
                    "pass model_variables or apply a step first."
                )
            self.build(list(model_variables))
        if model_variables is None:
            model_variables = self._trainable_variables
        self._check_variables_are_known(model_variables)
        named: dict[str, keras.Variable] = {}
        for variable in model_variables:
            index = self._get_variable_index(variable)
            for key in self.get_slot_names():
                slot = self._slots[key][index]
                if slot is not None:
                    named[slot.path] = slot
        named.update(self._non_slot_variables())
        return named

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        """Applies TF1's rule to ``variable`` (a Keras or tf variable) for ``gradient``."""
        var = _tf_variable(variable)
        index = self._get_variable_index(variable)
        slots = [_tf_variable(self._slots[key][index]) for key in self.get_slot_names()]
        lr = _hyper(learning_rate, var.dtype)
        if isinstance(gradient, tf.IndexedSlices):
            values, indices = _dedup(tf.cast(gradient, var.dtype))
            self._apply_sparse(values, indices, var, slots, lr)
        else:
            self._apply_dense(tf.cast(gradient, var.dtype), var, slots, lr)

    def _apply_dense(self, grad, var, slots, lr) -> None:
        raise NotImplementedError

    def _apply_sparse(self, grad, indices, var, slots, lr) -> None:
        raise NotImplementedError

    def get_config(self) -> dict:
        """The Keras config; a variable or plain-callable learning rate is saved as a float."""
        lr = self._learning_rate
        plain_callable = callable(lr) and not isinstance(
            lr, (keras.optimizers.schedules.LearningRateSchedule, keras.Variable)
        )
        if plain_callable:
            self._learning_rate = float(np.asarray(tf.convert_to_tensor(lr())))
            try:
                return super().get_config()
            finally:
                self._learning_rate = lr
        return super().get_config()


def _rows(variable: tf.Variable, indices: tf.Tensor) -> tf.Tensor:
    return tf.gather(variable, indices)


def _set_rows(variable: tf.Variable, indices: tf.Tensor, rows: tf.Tensor) -> None:
    variable.scatter_update(tf.IndexedSlices(rows, indices))


@keras.saving.register_keras_serializable(package="kslim")
class TF1RMSProp(TF1Optimizer):
    """``tf.compat.v1.train.RMSPropOptimizer``'s rule as a Keras optimizer.

    ``ms = ms + (g^2 - ms) * (1 - decay)`` (``ms`` starts at 1.0);
    ``mom = mom * momentum + lr * g / sqrt(ms + epsilon)``; ``var -= mom``. Centered:
    ``mg = mg + (g - mg) * (1 - decay)`` and the denominator is
    ``sqrt(ms - mg^2 + epsilon)``. Slots: ``<var>/RMSProp`` (ms), ``<var>/RMSProp_1``
    (mg if centered, else momentum), ``<var>/RMSProp_2`` (momentum if centered).

    Args:
      learning_rate: float, schedule or callable (required, as in TF1).
      decay: discount of the mean square (default 0.9).
      momentum: momentum (default 0.0).
      epsilon: added inside the square root (default 1e-10).
      centered: normalize by the estimated variance (default False).
      name: TF1 name, the slot base name (default ``'RMSProp'``).
      **kwargs: Keras ``Optimizer`` arguments.
    """

    def __init__(
        self,
        learning_rate: Any,
        decay: float = 0.9,
        momentum: float = 0.0,
        epsilon: float = 1e-10,
        centered: bool = False,
        name: str = "RMSProp",
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.decay = _float(decay, "decay")
        self.momentum = _float(momentum, "momentum")
        self.epsilon = _float(epsilon, "epsilon")
        self.centered = bool(centered)

    def _slot_specs(self) -> list[tuple[str, Any]]:
        specs = [("rms", "ones")]
        if self.centered:
            specs.append(("mg", "zeros"))
        specs.append(("momentum", "zeros"))
        return specs

    def _hypers(self, dtype):
        return tuple(_hyper(h, dtype) for h in (self.decay, self.momentum, self.epsilon))

    def _apply_dense(self, grad, var, slots, lr) -> None:
        rho, momentum, epsilon = self._hypers(var.dtype)
        if self.centered:
            ms, mg, mom = slots
            tf.raw_ops.ResourceApplyCenteredRMSProp(
                var=var.handle, mg=mg.handle, ms=ms.handle, mom=mom.handle, lr=lr, rho=rho,
                momentum=momentum, epsilon=epsilon, grad=grad,
            )  # fmt: skip
        else:
            ms, mom = slots
            tf.raw_ops.ResourceApplyRMSProp(
                var=var.handle, ms=ms.handle, mom=mom.handle, lr=lr, rho=rho,
                momentum=momentum, epsilon=epsilon, grad=grad,
            )  # fmt: skip

    def _apply_sparse(self, grad, indices, var, slots, lr) -> None:
        dtype = var.dtype
        rho, momentum, epsilon = self._hypers(dtype)
        one = tf.ones([], dtype)
        ms, mom = slots[0], slots[-1]
        ms_rows = _rows(ms, indices) * rho + tf.square(grad) * (one - rho)
        denominator = ms_rows + epsilon
        if self.centered:
            mg = slots[1]
            mg_rows = _rows(mg, indices) * rho + grad * (one - rho)
            denominator = denominator - tf.square(mg_rows)
            _set_rows(mg, indices, mg_rows)
        mom_rows = _rows(mom, indices) * momentum + tf.math.rsqrt(denominator) * lr * grad
        _set_rows(ms, indices, ms_rows)
        _set_rows(mom, indices, mom_rows)
        var.scatter_sub(tf.IndexedSlices(mom_rows, indices))

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            decay=self.decay, momentum=self.momentum, epsilon=self.epsilon, centered=self.centered
        )
        return config


@keras.saving.register_keras_serializable(package="kslim")
class TF1Momentum(TF1Optimizer):
    """``tf.compat.v1.train.MomentumOptimizer``'s rule as a Keras optimizer.

    ``accum = accum * momentum + g``; ``var -= lr * accum``, or with Nesterov
    ``var -= lr * g + lr * momentum * accum``. Slot: ``<var>/Momentum``.

    Args:
      learning_rate: float, schedule or callable (required, as in TF1).
      momentum: momentum (required, as in TF1).
      use_nesterov: Nesterov momentum (default False).
      name: TF1 name, the slot name (default ``'Momentum'``).
      **kwargs: Keras ``Optimizer`` arguments.
    """

    def __init__(
        self,
        learning_rate: Any,
        momentum: float,
        use_nesterov: bool = False,
        name: str = "Momentum",
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.momentum = _float(momentum, "momentum")
        self.use_nesterov = bool(use_nesterov)

    def _slot_specs(self) -> list[tuple[str, Any]]:
        return [("momentum", "zeros")]

    def _apply_dense(self, grad, var, slots, lr) -> None:
        (accum,) = slots
        tf.raw_ops.ResourceApplyMomentum(
            var=var.handle, accum=accum.handle, lr=lr, grad=grad,
            momentum=_hyper(self.momentum, var.dtype), use_nesterov=self.use_nesterov,
        )  # fmt: skip

    def _apply_sparse(self, grad, indices, var, slots, lr) -> None:
        (accum,) = slots
        momentum = _hyper(self.momentum, var.dtype)
        accum_rows = _rows(accum, indices) * momentum + grad
        _set_rows(accum, indices, accum_rows)
        if self.use_nesterov:
            step = grad * lr + accum_rows * momentum * lr
        else:
            step = accum_rows * lr
        var.scatter_sub(tf.IndexedSlices(step, indices))

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(momentum=self.momentum, use_nesterov=self.use_nesterov)
        return config


@keras.saving.register_keras_serializable(package="kslim")
class TF1Adam(TF1Optimizer):
    """``tf.compat.v1.train.AdamOptimizer``'s rule as a Keras optimizer.

    ``lr_t = lr * sqrt(1 - beta2_power) / (1 - beta1_power)``;
    ``m = m + (g - m) * (1 - beta1)``; ``v = v + (g^2 - v) * (1 - beta2)``;
    ``var -= lr_t * m / (sqrt(v) + epsilon)`` ("epsilon hat"); after every step
    ``beta1_power *= beta1`` and ``beta2_power *= beta2`` (they start at beta1, beta2).
    Slots: ``<var>/Adam`` (m), ``<var>/Adam_1`` (v); non-slot variables ``beta1_power``,
    ``beta2_power`` (Keras paths ``<name>/beta1_power``, TF1 names in
    ``slot_variables_by_tf1_name``).

    Args:
      learning_rate: float, schedule or callable (default 0.001).
      beta1: first-moment decay (default 0.9).
      beta2: second-moment decay (default 0.999).
      epsilon: added to ``sqrt(v)`` (default 1e-8).
      name: TF1 name, the slot base name (default ``'Adam'``).
      **kwargs: Keras ``Optimizer`` arguments.
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta1: float = 0.9,
        beta2: float = 0.999,
        epsilon: float = 1e-8,
        name: str = "Adam",
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta1 = _float(beta1, "beta1")
        self.beta2 = _float(beta2, "beta2")
        self.epsilon = _float(epsilon, "epsilon")

    def _slot_specs(self) -> list[tuple[str, Any]]:
        return [("m", "zeros"), ("v", "zeros")]

    def build(self, var_list: list) -> None:
        """Creates ``m``, ``v`` per variable and the ``beta1_power``/``beta2_power``."""
        if self.built:
            return
        super().build(var_list)
        # TF1 keeps the powers in float32 whatever the variables' dtype.
        self._beta1_power = self.add_variable(
            (), keras.initializers.Constant(self.beta1), "float32", name="beta1_power"
        )
        self._beta2_power = self.add_variable(
            (), keras.initializers.Constant(self.beta2), "float32", name="beta2_power"
        )

    def _non_slot_variables(self) -> dict[str, keras.Variable]:
        return {"beta1_power": self._beta1_power, "beta2_power": self._beta2_power}

    def _hypers(self, dtype):
        return (
            tf.cast(self._beta1_power, dtype),
            tf.cast(self._beta2_power, dtype),
            _hyper(self.beta1, dtype),
            _hyper(self.beta2, dtype),
            _hyper(self.epsilon, dtype),
        )

    def _apply_dense(self, grad, var, slots, lr) -> None:
        # TF1's ApplyAdam CPU kernel (ApplyAdamNonCuda), term for term, as plain ops: the
        # fused ResourceApplyAdam dispatches through the thread pool (parallelFor) and is
        # about 1.3x slower per MLP step on CPU than these ops inside a compiled loop.
        m, v = slots
        beta1_power, beta2_power, beta1, beta2, epsilon = self._hypers(var.dtype)
        alpha = lr * tf.sqrt(1 - beta2_power) / (1 - beta1_power)
        m_t = m.assign_add((grad - m) * (1 - beta1))
        v_t = v.assign_add((tf.square(grad) - v) * (1 - beta2))
        var.assign_sub((m_t * alpha) / (tf.sqrt(v_t) + epsilon))

    def _apply_sparse(self, grad, indices, var, slots, lr) -> None:
        # TF1's AdamOptimizer._apply_sparse_shared, operation for operation.
        m, v = slots
        beta1_power, beta2_power, beta1, beta2, epsilon = self._hypers(var.dtype)
        lr = lr * tf.sqrt(1 - beta2_power) / (1 - beta1_power)
        m.assign(m * beta1)
        m.scatter_add(tf.IndexedSlices(grad * (1 - beta1), indices))
        v.assign(v * beta2)
        v.scatter_add(tf.IndexedSlices((grad * grad) * (1 - beta2), indices))
        var.assign_sub(lr * m / (tf.sqrt(v) + epsilon))

    def _backend_update_step(self, grads, trainable_variables, learning_rate) -> None:
        super()._backend_update_step(grads, trainable_variables, learning_rate)
        tf.__internal__.distribute.interim.maybe_merge_call(
            self._update_beta_powers, self._distribution_strategy
        )

    def _update_beta_powers(self, distribution) -> None:
        for power, beta in ((self._beta1_power, self.beta1), (self._beta2_power, self.beta2)):
            distribution.extended.update(
                _tf_variable(power),
                lambda p, b: p.assign(p * tf.convert_to_tensor(b)),
                args=(beta,),
                group=False,
            )

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(beta1=self.beta1, beta2=self.beta2, epsilon=self.epsilon)
        return config


@keras.saving.register_keras_serializable(package="kslim")
class TF1Adagrad(TF1Optimizer):
    """``tf.compat.v1.train.AdagradOptimizer``'s rule as a Keras optimizer.

    ``accum += g^2``; ``var -= lr * g / sqrt(accum)`` (no epsilon). Slot:
    ``<var>/Adagrad``, starting at ``initial_accumulator_value``.

    Args:
      learning_rate: float, schedule or callable (required, as in TF1).
      initial_accumulator_value: the accumulators' start value (default 0.1, must be
        positive).
      name: TF1 name, the slot name (default ``'Adagrad'``).
      **kwargs: Keras ``Optimizer`` arguments.

    Raises:
      ValueError: if ``initial_accumulator_value`` is not positive (TF1's message).
    """

    def __init__(
        self,
        learning_rate: Any,
        initial_accumulator_value: float = 0.1,
        name: str = "Adagrad",
        **kwargs: Any,
    ) -> None:
        value = _float(initial_accumulator_value, "initial_accumulator_value")
        if value <= 0.0:
            raise ValueError(
                f"initial_accumulator_value must be positive: {initial_accumulator_value}"
            )
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.initial_accumulator_value = value

    def _slot_specs(self) -> list[tuple[str, Any]]:
        return [("accumulator", keras.initializers.Constant(self.initial_accumulator_value))]

    def _apply_dense(self, grad, var, slots, lr) -> None:
        (accum,) = slots
        tf.raw_ops.ResourceApplyAdagrad(var=var.handle, accum=accum.handle, lr=lr, grad=grad)

    def _apply_sparse(self, grad, indices, var, slots, lr) -> None:
        (accum,) = slots
        accum_rows = _rows(accum, indices) + tf.square(grad)
        _set_rows(accum, indices, accum_rows)
        var.scatter_sub(tf.IndexedSlices(lr * grad * tf.math.rsqrt(accum_rows), indices))

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(initial_accumulator_value=self.initial_accumulator_value)
        return config


def _from_gradient_descent(opt: Any) -> keras.optimizers.Optimizer:
    lr = _learning_rate(opt._learning_rate, "learning_rate")
    return keras.optimizers.SGD(learning_rate=lr, momentum=0.0, name=opt._name)


def _from_momentum(opt: Any) -> keras.optimizers.Optimizer:
    return TF1Momentum(
        learning_rate=_learning_rate(opt._learning_rate, "learning_rate"),
        momentum=_float(opt._momentum, "momentum"),
        use_nesterov=opt._use_nesterov,
        name=opt._name,
    )


def _from_rmsprop(opt: Any) -> keras.optimizers.Optimizer:
    return TF1RMSProp(
        learning_rate=_learning_rate(opt._learning_rate, "learning_rate"),
        decay=_float(opt._decay, "decay"),
        momentum=_float(opt._momentum, "momentum"),
        epsilon=_float(opt._epsilon, "epsilon"),
        centered=opt._centered,
        name=opt._name,
    )


def _from_adam(opt: Any) -> keras.optimizers.Optimizer:
    return TF1Adam(
        learning_rate=_learning_rate(opt._lr, "learning_rate"),
        beta1=_float(opt._beta1, "beta1"),
        beta2=_float(opt._beta2, "beta2"),
        epsilon=_float(opt._epsilon, "epsilon"),
        name=opt._name,
    )


def _from_adagrad(opt: Any) -> keras.optimizers.Optimizer:
    return TF1Adagrad(
        learning_rate=_learning_rate(opt._learning_rate, "learning_rate"),
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
